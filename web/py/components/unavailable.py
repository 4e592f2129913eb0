"""The page of a restored tab whose record is gone (deleted, or no longer visible to the agent).

Session restore (``browser.restore.PageRestore``) finds such tabs after the first paint; the composition root
registers this page first for them (``PageRestore.is_unavailable``).
"""

from __future__ import annotations

from typing import Any

from browser.dom import h
from components.pages import Page


class UnavailablePage(Page):
    """A restored tab whose record was deleted or is no longer visible to the agent: says so, and shows any unsaved
    draft as text so it can be copied out. Its view state (``unavailable`` and the draft) is kept across reloads."""

    def mount(self, panel: Any) -> None:
        info = self.initial_state.get("unavailable") or {}
        reason = info.get("reason")
        why = ("you may no longer see it" if reason == "forbidden" else "it was deleted, or you may no longer see it")
        what = f"{info.get('entityName') or 'record'} {info.get('entityId') or ''}".strip()
        children = [
            h("h2", None, "Record no longer available"),
            h("p", None, f"{info.get('title') or what} ({what}) cannot be opened: {why}."),
        ]
        draft = self.initial_state.get("draft")
        if draft:
            import json

            children.append(h("p", None, "Your unsaved changes are below; copy what you need before closing the tab."))
            children.append(h("pre", {"class": "unavailable-draft"}, json.dumps(draft, indent=2, ensure_ascii=False)))
        panel.appendChild(h("div", {"class": "record-unavailable", "role": "note"}, *children))

    def view_state(self) -> dict | None:
        return dict(self.initial_state) or None
