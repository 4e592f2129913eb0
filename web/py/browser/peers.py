"""Other live browser tabs of the same agent: which records they have open with unsaved edits.

Every browser tab announces on ``BroadcastChannel("casework.peers.<user>")`` (per origin by nature, per user by
name) the records it holds unsaved edits on (PageHost pages with ``dirty`` true and a saved record); the
bookkeeping is ``casework.peers.PeerEdits``. A tab of this browser tab whose record another tab edits gets
``data-peer-edit`` on its tab button (a dot, and a tooltip) and one notice names those records.

API for pages (``services.peers``, a :class:`PeerPresence`):

* ``edited_elsewhere() -> {(entity_name, entity_id): (workspace ids...)}``: records open here that another live
  browser tab has unsaved edits on.
* ``subscribe(callback) -> unsubscribe``: ``callback(edited_elsewhere())`` whenever that changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Protocol

import js
from pyodide.ffi import create_proxy

from apm.model import Workspace
from casework.peers import BYE, EDITS, HELLO, PeerEdits, Record, bye_message, edits_message
from casework.statedb import escape_part

PEER_EDIT_TITLE = "Another browser tab has unsaved edits on this record"


class DirtyTabs(Protocol):
    """What peer presence needs of the page host (``components.pages.PageHost``): which tabs hold unsaved edits."""

    def is_dirty(self, tab_id: str) -> bool: ...


class PeerPresence:
    """Announces this browser tab's unsaved records and marks the tabs other browser tabs are editing.

    Args:
        workspace: This browser tab's workspace.
        host: Its page host (dirty pages).
        workspace_id: This browser tab's workspace id (names it on the channel).
        user: The signed-in user (one channel per user).
        notify: Shows ``(message, code)``.
    """

    def __init__(self, workspace: Workspace, host: DirtyTabs, workspace_id: str, user: str,
                 notify: Callable[[str, str], None]) -> None:
        self.workspace = workspace
        self.host = host
        self.workspace_id = workspace_id
        self.notify = notify
        self.edits = PeerEdits(workspace_id)
        self._posted: list | None = None
        self._shown: dict[Record, tuple[str, ...]] = {}
        self._marked: set[str] = set()
        self._listeners: list[Callable[[dict], object]] = []
        self.channel = js.BroadcastChannel.new(f"casework.peers.{escape_part(user)}")
        self._on_message = create_proxy(self._receive)
        self._on_pagehide = create_proxy(lambda _event: self._post(bye_message(self.workspace_id)))
        self.channel.addEventListener("message", self._on_message)
        js.window.addEventListener("pagehide", self._on_pagehide)
        workspace.subscribe("*", lambda _event: self._workspace_changed())
        self._post(edits_message(workspace_id, self.dirty_records(), kind=HELLO))

    def dirty_records(self) -> list[Record]:
        """Records this browser tab has open with unsaved edits."""
        return [tab.record for tab_id, tab in self.workspace.tabs.items()
                if tab.record is not None and self.host.is_dirty(tab_id)]

    def local_changed(self) -> None:
        """A page's dirty flag changed: announce the new list (only when it differs)."""
        message = edits_message(self.workspace_id, self.dirty_records())
        if message["records"] != self._posted:
            self._post(message)

    def _workspace_changed(self) -> None:
        self.local_changed()  # a closed tab may have taken unsaved edits with it
        self._refresh()

    def edited_elsewhere(self) -> dict[Record, tuple[str, ...]]:
        """Records open here that another live browser tab has unsaved edits on."""
        return self.edits.edited_elsewhere(t.record for t in self.workspace.tabs.values() if t.record is not None)

    def subscribe(self, callback: Callable[[dict], object]) -> Callable[[], None]:
        """Call ``callback(edited_elsewhere())`` when it changes; returns the unsubscribe function."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _post(self, message: dict) -> None:
        if message.get("type") in (EDITS, HELLO):
            self._posted = message["records"]
        self.channel.postMessage(json.dumps(message))

    def _receive(self, event: object) -> None:
        try:
            message = json.loads(event.data) if isinstance(event.data, str) else None
        except ValueError:
            return
        kind = self.edits.receive(message)
        if kind == HELLO:  # a new browser tab: tell it what we edit
            self._post(edits_message(self.workspace_id, self.dirty_records()))
        if kind in (HELLO, EDITS, BYE):
            self._refresh()

    def _refresh(self) -> None:
        found = self.edited_elsewhere()
        tabs = {tab_id for tab_id, tab in self.workspace.tabs.items() if tab.record in found}
        for tab_id in self._marked - tabs:
            button = js.document.getElementById(f"tab-{tab_id}")
            tab = self.workspace.tabs.get(tab_id)
            if button is not None:
                button.removeAttribute("data-peer-edit")
                if tab is not None:
                    button.setAttribute("title", tab.title)  # the view's own title back
        for tab_id in tabs:
            button = js.document.getElementById(f"tab-{tab_id}")
            if button is not None:
                button.setAttribute("data-peer-edit", "true")
                button.setAttribute("title", PEER_EDIT_TITLE)
        self._marked = tabs
        if found == self._shown:
            return
        new = [record for record in found if record not in self._shown]
        self._shown = found
        if new:
            titles = [repr(self.workspace.tabs[t].title) for t in sorted(tabs)
                      if self.workspace.tabs[t].record in new]
            self.notify(f"Another browser tab has unsaved edits on {', '.join(titles)}: save or discard there "
                        "first to avoid a conflict.", "peer_edits")
        for callback in list(self._listeners):
            try:
                callback(found)
            except Exception as error:  # a listener never breaks the bookkeeping
                js.console.error(f"peers listener: {error!r}")
