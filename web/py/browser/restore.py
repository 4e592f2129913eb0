"""Session restore in the page: load the workspace saved for this browser tab, then save it after changes.

The rules (envelope, migrations, what is dropped or repaired, quarantine, trimming, held sessions, which records to
check) are pure and live in ``apm.snapshot``, ``casework.statedb``, ``casework.deferred`` and
``casework.availability``; this module only connects them to ``localStorage``, a timer, the server and the page
lifecycle. Saving is debounced and runs from a timer, never inside the interaction that changed the workspace;
``pagehide`` saves at once so a reload right after a change loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

import js
from pyodide.ffi import create_proxy

from apm.model import Workspace
from apm.snapshot import UNAVAILABLE_TITLE, RestoreResult, mark_unavailable
from browser.storage import LocalStorageConnector
from casework.availability import missing_records, not_guids, record_queries
from casework.deferred import HeldSessions, hold_sessions, reinstate
from casework.profile import Agent
from casework.records import RecordClient, RecordError
from casework.statedb import Debouncer, RestoreStore, dropped_message, restore_key

SAVE_SAMPLES = 500


class RestoredPages(Protocol):
    """What restore needs of the page host (``components.pages.PageHost``): view states and replacing a page."""

    def view_states(self) -> dict[str, dict]: ...

    def remount(self, tab_id: str, initial_state: dict | None = None) -> None: ...


class PageRestore:
    """Loads this browser tab's saved workspace and keeps saving it.

    Args:
        agent: The signed-in agent (the key is per user; the profile's limits apply to what is restored).
        workspace_id: This browser tab's workspace id (``Microsoft.Apm.workspaceId``, kept in sessionStorage).
        notify: Shows ``(message, code)`` to the agent.
        copy_from: Another slot's workspace id to start from when this slot is empty (a duplicated browser tab).
    """

    def __init__(self, agent: Agent, workspace_id: str, notify: Callable[[str, str], None],
                 copy_from: str | None = None) -> None:
        limits = agent.limits
        self.notify = notify
        self.store = RestoreStore(
            LocalStorageConnector(),
            origin=str(js.window.location.origin),
            user=agent.user_id or agent.username,
            workspace_id=workspace_id,
            max_sessions=limits.get("maxSessions", 10),
            max_tabs=limits.get("maxTabs", 10),
        )
        self.copy_from = copy_from
        self.debouncer = Debouncer()
        self.workspace: Workspace | None = None
        self.view_state: dict[str, dict] = {}  # restored per-tab view state, for the pages as they open
        self.view_state_provider: Callable[[], dict] | None = None  # the pages' current view state, for saving
        self.extras: dict[str, dict] = {}  # restored per-session extras (the productivity pane's state)
        self.extras_provider: Callable[[], dict] | None = None  # the current per-session extras, for saving
        self.unavailable_tabs: set[str] = set()  # tabs shown as "no longer available"
        self.save_ms: list[float] = []  # how long the last saves took (for bench/restore.py)
        self._gates: dict[str, tuple[str, ...]] = {}
        self._held: dict[str, HeldSessions] = {}
        self._slot_exists = False
        self._saving = False
        self._timer: object | None = None
        self._fire = create_proxy(self._on_timer)
        self._on_pagehide = create_proxy(lambda _event: self.save_now())

    # -- deferred sessions ------------------------------------------------------------------------------------

    def defer_until(self, gate: str, kinds: Iterable[str]) -> None:
        """Hold the restored sessions of these session templates until :meth:`release` of ``gate``.

        Call before :meth:`load`. Conversations use ``defer_until("presence", kinds=("msdyn_chat_session",))``:
        they come back only after presence has loaded. While any gate is closed the workspace is not saved (the
        saved slot still holds the held sessions; saving without them would lose them).
        """
        assert self.workspace is None, "defer_until() before load()"
        self._gates[gate] = tuple(kinds)

    def release(self, gate: str) -> list[str]:
        """Open ``gate``: its held sessions come back (at the end of the session bar, in saved order, with focus if
        it was theirs and the agent has not moved it). Releasing an unknown or open gate does nothing.

        Returns:
            Notes on sessions that could not come back (also shown as one notice).
        """
        self._gates.pop(gate, None)
        held = self._held.pop(gate, None)
        notes = reinstate(self.workspace, held) if held and self.workspace is not None else []
        if notes:
            self.notify(dropped_message(notes), "restore_dropped")
        if not self._held and self._saving:
            self._touch()
        return notes

    @property
    def held_gates(self) -> list[str]:
        """Gates still holding sessions back."""
        return list(self._held)

    # -- load and save ----------------------------------------------------------------------------------------

    def load(self) -> Workspace:
        """The restored workspace (a fresh one when nothing usable was saved); notes become one notice."""
        store = self.store
        if self.copy_from:
            self._copy_slot(self.copy_from)
        self._slot_exists = self._slot_saved()
        result = store.load()
        if result.dropped:
            self.notify(dropped_message(result.dropped), "restore_dropped")
        self.workspace = result.workspace
        self.view_state = dict(result.view_state or {})
        self.extras = dict(getattr(result, "extras", None) or {})
        tabs = result.workspace.tabs
        self.unavailable_tabs = {tab_id for tab_id, view in self.view_state.items()
                                 if isinstance(view, dict) and "unavailable" in view and tab_id in tabs}
        for gate, kinds in self._gates.items():
            held = hold_sessions(result.workspace, kinds)
            if held:
                self._held[gate] = held
        return result.workspace

    def _slot_saved(self) -> bool:
        storage = getattr(self.store.connector, "storage", None)
        if storage is not None:  # localStorage: ask without copying the (large) text into Python
            try:
                return bool(js.Object.prototype.hasOwnProperty.call(storage, self.store.key))
            except Exception:  # storage refused: load() notes it
                return False
        return self.store.connector.fetch(self.store.key) is not None

    def _copy_slot(self, workspace_id: str) -> None:
        connector, store = self.store.connector, self.store
        try:
            if connector.fetch(store.key) is None:
                text = connector.fetch(restore_key(store.origin, store.user, workspace_id))
                if text is not None:
                    connector.save(store.key, text)
        except Exception:  # storage full or refused: this tab simply starts fresh
            pass

    def start_saving(self) -> None:
        """Save after every change (debounced) and when the page goes away."""
        assert self.workspace is not None, "load() first"
        self._saving = True
        self.workspace.subscribe("*", lambda _event: self._touch())
        js.window.addEventListener("pagehide", self._on_pagehide)

    def stop_saving(self) -> None:
        """No more saves from this page (it is leaving this slot, e.g. to reopen another)."""
        self._saving = False
        js.window.removeEventListener("pagehide", self._on_pagehide)
        if self._timer is not None:
            js.clearTimeout(self._timer)
            self._timer = None

    def save_now(self) -> None:
        """Write the workspace now (used on pagehide and by the timer)."""
        ws = self.workspace
        if ws is None or not self._saving or self._held:
            return
        started = js.performance.now()
        views = self.view_state_provider() if self.view_state_provider is not None else None
        extras = self.extras_provider() if self.extras_provider is not None else None
        if not self._slot_exists and len(ws.sessions) == 1 and len(ws.tabs) == 1 and not views:
            self.debouncer.done()  # a new browser tab with nothing open: no slot to litter the reopen offers
            return
        result = self.store.save(ws, view_state=views, extras=extras)
        self.debouncer.done()
        if result:
            self._slot_exists = True
        self.save_ms.append(js.performance.now() - started)
        del self.save_ms[:-SAVE_SAMPLES]
        if result.trimmed:
            self.notify("Browser storage is full: some unsaved drafts will not survive a reload.", "storage_full")
        elif not result and result.reason == "error":
            self.notify(f"Your workspace could not be saved for a reload ({result.error}).", "restore_save_failed")

    def touch(self) -> None:
        """Something worth saving changed (a page's view state): save soon, off the interaction's path."""
        self._touch()

    def _touch(self) -> None:
        if not self._saving:
            return
        self.debouncer.touch(js.performance.now())
        self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            return
        wait = self.debouncer.next_due(js.performance.now())
        if wait is not None:
            self._timer = js.setTimeout(self._fire, wait)

    def _on_timer(self) -> None:
        self._timer = None
        if self.debouncer.due(js.performance.now()):
            self.save_now()
        else:
            self._arm()

    # -- records that may be gone -----------------------------------------------------------------------------

    def is_unavailable(self, tab: Any) -> bool:
        """Whether a tab shows a record that is gone (the page matcher of ``components.unavailable``)."""
        return tab.tab_id in self.unavailable_tabs

    async def check_records(self, client: RecordClient, host: RestoredPages | None) -> dict[tuple[str, str], str]:
        """Ask the server whether the restored record tabs' records still exist and are visible to the agent
        (one ``$filter=<key> eq .. or ..`` request per entity set and 25 records); mark the others "no longer
        available" with ONE notice. Runs after the first paint; nothing else is affected.

        Returns:
            The records marked, with their reason (``"deleted"``: not found, or ``"forbidden"``).
        """
        ws = self.workspace
        if ws is None:
            return {}
        tabs = [tab for tab in ws.tabs.values() if tab.record is not None and tab.tab_id not in self.unavailable_tabs]
        pairs = [(tab.params.get("entityName"), tab.params.get("entityId")) for tab in tabs]
        missing: dict[tuple[str, str], str] = not_guids(pairs)
        for query in record_queries(pairs):
            try:
                page = await client.list(query.entity_set, filter=query.filter, select=[query.key],
                                                  top=len(query.ids))
            except RecordError as error:
                if error.status == 403:
                    missing.update({record: "forbidden" for record in query.records})
                continue  # another failure says nothing about the records: leave them alone
            missing.update(missing_records(query, page.records))
        if missing:
            self.mark(host, missing)
        return missing

    def mark(self, host: RestoredPages | None, missing: dict[tuple[str, str], str]) -> list[str]:
        """Turn the open tabs of ``missing`` records into "no longer available" tabs (after the first paint):
        retitled (with events, so the strip repaints and the next save keeps it), their page replaced, one notice.

        Returns:
            The tab ids marked.
        """
        ws = self.workspace
        views = host.view_states() if host is not None else {}
        titles = {tab_id: tab.title for tab_id, tab in ws.tabs.items()}
        marked = mark_unavailable(RestoreResult(ws, views, {}, (), False), missing)
        tab_ids = [tab_id for tab_id, view in marked.view_state.items()
                   if "unavailable" in view and tab_id not in self.unavailable_tabs and tab_id in ws.tabs]
        shown = []
        for tab_id in tab_ids:
            ws.restore_tab_fields(tab_id, title=titles[tab_id])  # put back, so the retitle below announces itself
            self.unavailable_tabs.add(tab_id)
            if host is not None:
                host.remount(tab_id, marked.view_state[tab_id])
            ws.set_tab_title(tab_id, UNAVAILABLE_TITLE)
            shown.append(repr(titles[tab_id]))
        if shown:
            self.notify(f"No longer available (deleted, or you may no longer see them): {', '.join(shown)}. "
                        "Those tabs keep any unsaved text; close them when done.", "records_unavailable")
        return tab_ids
