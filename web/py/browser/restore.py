"""Session restore in the page: load the workspace saved for this browser tab, then save it after changes.

The rules (envelope, migrations, what is dropped or repaired, quarantine, trimming) are pure and live in
``apm.snapshot`` and ``casework.statedb``; this module only connects them to ``localStorage``, a timer and the page
lifecycle. Saving is debounced and runs from a timer, never inside the interaction that changed the workspace;
``pagehide`` saves at once so a reload right after a change loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import js
from pyodide.ffi import create_proxy

from apm.model import Workspace
from browser.storage import LocalStorageConnector
from casework.profile import Agent
from casework.statedb import Debouncer, RestoreStore, dropped_message


class PageRestore:
    """Loads this browser tab's saved workspace and keeps saving it.

    Args:
        agent: The signed-in agent (the key is per user; the profile's limits apply to what is restored).
        workspace_id: This browser tab's workspace id (``Microsoft.Apm.workspaceId``, kept in sessionStorage).
        notify: Shows ``(message, code)`` to the agent.
    """

    def __init__(self, agent: Agent, workspace_id: str, notify: Callable[[str, str], None]) -> None:
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
        self.debouncer = Debouncer()
        self.workspace: Workspace | None = None
        self.view_state: dict[str, dict] = {}  # restored per-tab view state, for the pages as they open
        self.view_state_provider: Callable[[], dict] | None = None  # the pages' current view state, for saving
        self._timer: object | None = None
        self._fire = create_proxy(self._on_timer)
        self._on_pagehide = create_proxy(lambda _event: self.save_now())

    def load(self) -> Workspace:
        """The restored workspace (a fresh one when nothing usable was saved); notes become one notice."""
        result = self.store.load()
        if result.dropped:
            self.notify(dropped_message(result.dropped), "restore_dropped")
        self.workspace = result.workspace
        self.view_state = dict(result.view_state or {})
        return result.workspace

    def start_saving(self) -> None:
        """Save after every change (debounced) and when the page goes away."""
        assert self.workspace is not None, "load() first"
        self.workspace.subscribe("*", lambda _event: self._touch())
        js.window.addEventListener("pagehide", self._on_pagehide)

    def save_now(self) -> None:
        """Write the workspace now (used on pagehide and by the timer)."""
        if self.workspace is None:
            return
        views = self.view_state_provider() if self.view_state_provider is not None else None
        result = self.store.save(self.workspace, view_state=views)
        self.debouncer.done()
        if result.trimmed:
            self.notify("Browser storage is full: some unsaved drafts will not survive a reload.", "storage_full")
        elif not result and result.reason == "error":
            self.notify(f"Your workspace could not be saved for a reload ({result.error}).", "restore_save_failed")

    def touch(self) -> None:
        """Something worth saving changed (a page's view state): save soon, off the interaction's path."""
        self._touch()

    def _touch(self) -> None:
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
