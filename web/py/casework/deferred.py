"""Restored sessions that wait for something before they come back (conversations wait for presence).

Pure (no ``js``). After a restore and before the first paint, :func:`hold_sessions` takes the sessions of some
templates out of the workspace (without events: nothing is painted yet); :func:`reinstate` puts them back later,
announcing them with the usual ``session.created``/``tab.created`` events so the view paints them then. The browser
side is ``PageRestore.defer_until(gate, kinds)`` / ``PageRestore.release(gate)`` (docs/restore.md, "Deferred
sessions").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from apm.events import SessionCreated, SessionFocused, TabCreated, TabFocused
from apm.model import HOME_SESSION_ID, Session, Tab, Workspace


@dataclass
class HeldSessions:
    """Sessions taken out of a restored workspace until a gate opens.

    Attributes:
        sessions: The held sessions with their tabs, in bar order.
        focus: ``(session_id, tab_id)`` when the restored focus was in a held session, else ``None``.
        focus_while_held: The focus given instead; focus goes back to ``focus`` on reinstate only if the agent
            has not moved it meanwhile.
    """

    sessions: list[tuple[Session, list[Tab]]] = field(default_factory=list)
    focus: tuple[str, str] | None = None
    focus_while_held: tuple[str, str] | None = None

    @property
    def session_ids(self) -> list[str]:
        return [session.session_id for session, _ in self.sessions]

    def __bool__(self) -> bool:
        return bool(self.sessions)


def hold_sessions(ws: Workspace, template_names: Iterable[str]) -> HeldSessions:
    """Take the sessions of ``template_names`` out of ``ws`` (no events; call before the first paint).

    When the focused session is held, the focus moves as if it had been closed (the previous session in bar
    order, else Home) and is given back on :func:`reinstate`.
    """
    names = set(template_names)
    held = HeldSessions()
    order = list(ws.sessions)
    focused = (ws.focused_session_id, ws.focused_tab_id)
    for session_id in order:
        session = ws.sessions[session_id]
        if session_id == HOME_SESSION_ID or session.template_name not in names:
            continue
        tabs = [ws.tabs[tab_id] for tab_id in session.tab_ids]
        for tab in tabs:
            ws._drop_tab(tab.tab_id)
        del ws.sessions[session_id]
        held.sessions.append((session, tabs))
    if held and ws.focused_session_id not in ws.sessions:
        held.focus = focused
        index = order.index(ws.focused_session_id)
        previous = next((sid for sid in reversed(order[:index]) if sid in ws.sessions), HOME_SESSION_ID)
        ws.focused_session_id = previous
        held.focus_while_held = (previous, ws.sessions[previous].focused_tab_id)
    return held


def reinstate(ws: Workspace, held: HeldSessions) -> list[str]:
    """Put the held sessions back at the end of the session bar (saved order kept), with events.

    A session no longer fits when the agent opened others meanwhile up to the session limit, and a tab is left out
    when its record is open elsewhere now (the agent opened it meanwhile); each such case is a note.

    Returns:
        Notes for a notice (empty when everything came back).
    """
    notes: list[str] = []
    events: list = []
    for session, tabs in held.sessions:
        if session.session_id in ws.sessions or len(ws.sessions) >= ws.max_sessions:
            notes.append(f"Session {session.title!r} could not come back: the limit is {ws.max_sessions} sessions.")
            continue
        anchor = tabs[0] if tabs else None
        if anchor is None or (anchor.record is not None and anchor.record in ws._records) or anchor.tab_id in ws.tabs:
            notes.append(f"Session {session.title!r} could not come back: its record is open in another session.")
            continue
        kept = [anchor]
        for tab in tabs[1:]:
            if tab.tab_id in ws.tabs or (tab.record is not None and tab.record in ws._records):
                notes.append(f"Tab {tab.title!r} of {session.title!r} did not come back: its record is open elsewhere.")
            else:
                kept.append(tab)
        session.tab_ids = [tab.tab_id for tab in kept]
        if session.focused_tab_id not in session.tab_ids:
            session.focused_tab_id = anchor.tab_id
        ws.sessions[session.session_id] = session
        events.append(SessionCreated(session.session_id, session.template_name, session.title))
        for tab in kept:
            ws.tabs[tab.tab_id] = tab
            ws._index(tab)
            events.append(TabCreated(session.session_id, tab.tab_id, tab.template_name, tab.title))
    if held.focus is not None and held.focus_while_held == (ws.focused_session_id, ws.focused_tab_id):
        session_id, _tab_id = held.focus
        if session_id in ws.sessions:
            previous_session, previous_tab = ws.focused_session_id, ws.focused_tab_id
            session = ws.sessions[session_id]
            ws.focused_session_id = session_id
            events.append(SessionFocused(session_id, previous_session))
            if session.focused_tab_id != previous_tab:
                events.append(TabFocused(session_id, session.focused_tab_id, previous_tab))
    held.sessions = []
    if events:
        ws._emit(events)
    return notes
