"""Restored sessions that wait for something before they come back (conversations wait for presence).

Pure (no ``js``). After a restore and before the first paint, :func:`hold_sessions` takes the sessions of some
templates out of the workspace (without events: nothing is painted yet); :func:`reinstate` puts them back later,
announcing them with the usual ``session.created``/``tab.created`` events so the view paints them then. Both are the
workspace's own verbs (``Workspace.hold_sessions`` / ``Workspace.reinstate_sessions``), so the focus moves by the
model's focus rule. The browser side is ``PageRestore.defer_until(gate, kinds)`` / ``PageRestore.release(gate)``
(docs/restore.md, "Deferred sessions").
"""

from __future__ import annotations

from collections.abc import Iterable

from apm.model import HeldSessions, Workspace

__all__ = ["HeldSessions", "hold_sessions", "reinstate"]


def hold_sessions(ws: Workspace, template_names: Iterable[str]) -> HeldSessions:
    """Take the sessions of ``template_names`` out of ``ws`` (no events; call before the first paint).

    When the focused session is held, the focus moves as if it had been closed (the previous session in bar
    order, else Home) and is given back on :func:`reinstate`.
    """
    return ws.hold_sessions(template_names)


def reinstate(ws: Workspace, held: HeldSessions) -> list[str]:
    """Put the held sessions back at the end of the session bar (saved order kept), with events.

    Returns:
        Notes for a notice (empty when everything came back; see ``Workspace.reinstate_sessions``).
    """
    return ws.reinstate_sessions(held)
