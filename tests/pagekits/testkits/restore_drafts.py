"""A tiny record page for session-restore tests and bench/restore.py: one text box whose text is its draft.

Not in the product (served only with ``--test-kits``). Tests install it before boot with
``window.caseworkExtensions = ["testkits.restore_drafts"]`` (a Playwright init script); app.boot then calls
:func:`install`, which registers it first for entity-record tabs of ``task``, so restore's tests do not depend on
the real record forms. Its view state is ``{"draft": {"text": ...}, "touched_at": ms}`` while the box
holds text, and it is dirty then (so other browser tabs see its record as edited).
"""

from __future__ import annotations

from typing import Any

import js

from browser.dom import h, on
from components.pages import Page, PageHost, is_record


class DraftTestPage(Page):
    """An entity-record tab with one text box; what is typed is an unsaved draft."""

    def mount(self, panel: Any) -> None:
        draft = self.initial_state.get("draft") or {}
        self.touched_at = self.initial_state.get("touched_at")
        self.input = h("input", {"type": "text", "class": "draft-test-input", "aria-label": "Draft text",
                                 "data-tab-id": self.tab_id})
        self.input.value = draft.get("text", "") if isinstance(draft, dict) else ""
        on(self.input, "input", lambda _event: self._typed())
        record = self.params.get("entityId") or "new"
        panel.appendChild(h("div", {"class": "draft-test-page"}, h("label", None, f"Draft test page ({record})"),
                            self.input))
        if self.input.value:
            self.set_dirty(True)

    def _typed(self) -> None:
        self.touched_at = js.Date.now()
        self.set_dirty(bool(self.input.value))
        self.state_changed()

    def view_state(self) -> dict | None:
        text = self.input.value
        return {"draft": {"text": text}, "touched_at": self.touched_at} if text else None


def install(handle: Any) -> None:
    """Register the test page first, for ``task`` record tabs (new-record forms included); ``handle`` is
    ``app.handle``."""
    host: PageHost = handle.host
    host.register(is_record("task"), DraftTestPage, first=True)
