"""Which restore slot this browser tab uses, and the offer to reopen a closed browser tab's workspace.

The locks live in web/js/apm.js (``Microsoft.Apm._slots``: a Web Lock per workspace id held for the page's life,
BroadcastChannel where Web Locks are missing); the decisions are ``casework.peers`` (pure). See docs/restore.md.
"""

from __future__ import annotations

from collections.abc import Callable

import js

from browser.dom import h, js_object, on
from browser.tasks import spawn
from casework.peers import (
    ReopenOffer,
    SlotChoice,
    choose_slot,
    closed_slots_to_prune,
    offer_text,
    reopen_offers,
)


def _slots() -> object:
    return js.window.Microsoft.Apm._slots


async def claim_slot() -> SlotChoice:
    """Decide and hold this browser tab's slot: its own after a reload, a new one for a new or duplicated tab."""
    slots = _slots()
    stored = slots.storedId if isinstance(slots.storedId, str) else None
    held = await slots.firstHold  # apm.js asked for the lock of the id it started with
    free = None if held is None else bool(held)
    current = str(js.window.Microsoft.Apm.workspaceId)
    choice = choose_slot(stored, free, current if not stored else str(js.crypto.randomUUID()))
    if choice.workspace_id != current:
        await slots.hold(choice.workspace_id)  # a fresh id: free
        slots.use(choice.workspace_id)
    return choice


async def live_slots() -> set[str]:
    """Workspace ids whose slot a live browser tab holds."""
    return {str(name) for name in (await _slots().live()).to_py()}


def _local_time(iso: str | None) -> str | None:
    """``iso`` (UTC) in the browser's locale and time zone, e.g. "27 Nov, 22:50"; ``None`` when unreadable."""
    if not iso:
        return None
    when = js.Date.new(iso)
    if when.getTime() != when.getTime():  # NaN: not a date
        return None
    options = js_object({"day": "numeric", "month": "short", "hour": "2-digit", "minute": "2-digit"})
    return str(when.toLocaleString(js.undefined, options))


class ReopenOfferView:
    """A small, non-blocking offer in the notices area: "Reopen" adopts a closed browser tab's slot (reloads the
    page on it), "Dismiss" hides the offer.

    Args:
        restore: This page's ``PageRestore`` (its store lists the slots; its own slot is dropped when empty).
        notify: For failures (``(message, code)``).
    """

    def __init__(self, restore: object, notify: Callable[[str, str], None]) -> None:
        self.restore = restore
        self.notify = notify
        self.element: object | None = None

    async def offer(self) -> list[ReopenOffer]:
        """Look for closed workspaces and show the offer when there are any; returns them."""
        store = self.restore.store
        live = await live_slots()
        now = str(js.Date.new().toISOString())
        for key in closed_slots_to_prune(store.connector, store.prefix, live, store.workspace_id, now):
            store.connector.remove(key)  # retention of closed tabs' workspaces (docs/restore.md)
        offers = reopen_offers(store.connector, store.prefix, live, store.workspace_id)
        if offers:
            self.show(offers)
        return offers

    def show(self, offers: list[ReopenOffer]) -> None:
        rows = []
        for offer in offers:
            button = h("button", {"type": "button", "class": "reopen-button",
                                  "data-workspace-id": offer.workspace_id}, "Reopen")
            on(button, "click", lambda _e, wid=offer.workspace_id: spawn(self.reopen(wid), self._failed))
            rows.append(h("li", {"class": "reopen-item"},
                          h("span", {"class": "reopen-text"}, offer_text(offer, _local_time(offer.saved_at))),
                          button))
        dismiss = h("button", {"type": "button", "class": "reopen-dismiss"}, "Dismiss")
        on(dismiss, "click", lambda _e: self.hide())
        heading = ("A workspace from a closed browser tab can be reopened" if len(offers) == 1
                   else "Workspaces from closed browser tabs can be reopened")
        self.element = h(
            "div", {"class": "reopen-offer", "role": "status", "aria-label": "Reopen a workspace"},
            h("span", {"class": "reopen-heading"}, heading),
            h("ul", {"class": "reopen-list"}, *rows),
            dismiss,
        )
        js.document.getElementById("notices").appendChild(self.element)

    def hide(self) -> None:
        if self.element is not None:
            self.element.remove()
            self.element = None

    async def reopen(self, workspace_id: str) -> None:
        """Adopt ``workspace_id``'s slot: hold its lock, make it this browser tab's id, reload onto it."""
        slots = _slots()
        if not await slots.hold(workspace_id):
            self.hide()
            self.notify("That workspace was reopened in another browser tab meanwhile.", "reopen_taken")
            return
        own = self.restore.store.workspace_id
        self.restore.stop_saving()
        ws = self.restore.workspace
        if ws is not None and len(ws.sessions) == 1 and len(ws.tabs) == 1:
            self.restore.store.remove()  # nothing in this tab's own slot worth keeping
        slots.use(workspace_id)
        slots.release(own)
        js.window.location.reload()

    def _failed(self, error: BaseException) -> None:
        self.notify(f"The workspace could not be reopened: {error}", "reopen_failed")
