"""Scroll buttons for the tab strip when a session's tabs do not fit (issue 15, item 10: at 1024 px the last tab was
off-screen with no way to it but a hidden scroll bar).

The shell's ``#tab-strip`` is wrapped in a ``.tab-strip-bar`` with a "‹" and a "›" button outside the tablist (a
tablist holds only tabs). The buttons show only while the shown session's strip overflows, and each is disabled at
its end. A focused tab is scrolled into view, so a new tab, a restored focus or Alt+Shift+ArrowRight never lands
off-screen. Updated after each workspace event (the view has drawn it by then), on resize and on the strip's scroll.
"""

from __future__ import annotations

from typing import Any

import js

from apm.model import Workspace
from browser.dom import by_id, h, js_object, on

STEP = 0.8  # of the visible width per press


class TabScroller:
    """Owns the two buttons and keeps them in step with the shown strip."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.strip = by_id("tab-strip")
        self.left = h("button", {"type": "button", "class": "tab-scroll tab-scroll-left", "hidden": True,
                                 "aria-label": "Scroll tabs left", "title": "Scroll tabs left"}, "‹")
        self.right = h("button", {"type": "button", "class": "tab-scroll tab-scroll-right", "hidden": True,
                                  "aria-label": "Scroll tabs right", "title": "Scroll tabs right"}, "›")
        bar = h("div", {"class": "tab-strip-bar"})
        self.strip.parentNode.insertBefore(bar, self.strip)
        bar.appendChild(self.left)
        bar.appendChild(self.strip)
        bar.appendChild(self.right)
        on(self.left, "click", lambda _e: self._scroll(-1))
        on(self.right, "click", lambda _e: self._scroll(1))
        on(self.strip, "scroll", lambda _e: self.update(), capture=True)
        on(js.window, "resize", lambda _e: self.update())
        workspace.subscribe("*", self._handle)
        self.update()

    def _shown(self) -> Any:
        return self.strip.querySelector(".tab-strip-session:not([hidden])")

    def _scroll(self, direction: int) -> None:
        shown = self._shown()
        if shown:
            shown.scrollBy(js_object({"left": direction * STEP * shown.clientWidth, "behavior": "instant"}))
            self.update()

    def _handle(self, event: Any) -> None:
        if event.name in ("tab.focused", "tab.created", "session.focused"):
            selected = self.strip.querySelector(
                ".tab-strip-session:not([hidden]) [role=tab][aria-selected=true]")
            if selected:
                selected.scrollIntoView(js_object({"block": "nearest", "inline": "nearest"}))
        self.update()

    def update(self) -> None:
        shown = self._shown()
        overflowing = bool(shown) and shown.scrollWidth > shown.clientWidth + 1
        self.left.hidden = self.right.hidden = not overflowing
        if overflowing:
            self.left.disabled = shown.scrollLeft <= 0
            self.right.disabled = shown.scrollLeft + shown.clientWidth >= shown.scrollWidth - 1


def install(workspace: Workspace) -> TabScroller:
    """Wrap the shell's tab strip with its scroll buttons (once, after the view mounted)."""
    return TabScroller(workspace)
