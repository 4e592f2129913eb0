"""Notices: short messages to the agent (a limit hit, an action refused, a case resolved).

Where and how long (``casework.notices``): successes fade after a few seconds (not while pointed at or focused),
errors stay until dismissed; each kind has its colour. They sit in the bottom corner of the workspace, clear of the
case header, list search and timeline buttons at the top of a tab.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from browser.dom import h, on
from browser.tasks import spawn
from casework.notices import SUCCESS_MS, fades, limit_message, notice_kind

MAX_SHOWN = 3


class Notices:
    """Shows messages in the page's notification region (items newest last; errors ``role="alert"``, others
    ``role="status"``).

    The same code shown twice replaces its earlier notice instead of stacking copies. ``limits`` (set at boot to the
    workspace) gives ``max_sessions`` / ``max_tabs`` for limit notices.
    """

    def __init__(self, host: Any, fade_ms: int = SUCCESS_MS) -> None:
        self.host = host
        self.fade_ms = fade_ms
        self.limits: Any = None

    def show(self, message: str, code: str = "info", action: tuple[str, Callable[[], Any]] | None = None) -> None:
        """Show ``message``; ``code`` (an ApmError code) decides its kind and marks it for tests. ``action`` adds a
        link ``(label, callback)`` (e.g. "Open" on a created record); following it dismisses the notice."""
        if self.limits is not None:
            message = limit_message(code, getattr(self.limits, "max_sessions", None),
                                    getattr(self.limits, "max_tabs", None)) or message
        for existing in list(self.host.querySelectorAll(".notice")):
            if existing.dataset.code == code:
                existing.remove()
        kind = notice_kind(code)
        notice = h("div", {"class": f"notice notice-{kind}", "role": "alert" if kind == "error" else "status",
                           "data-code": code, "data-kind": kind},
                   h("span", {"class": "notice-text"}, message))
        if action is not None:
            label, callback = action
            link = h("a", {"class": "notice-action", "href": "#"}, label)

            def follow(event: Any) -> None:
                event.preventDefault()
                notice.remove()
                callback()

            on(link, "click", follow)
            notice.appendChild(link)
        dismiss = h("button", {"type": "button", "class": "notice-dismiss", "aria-label": "Dismiss"}, "×")
        on(dismiss, "click", lambda _event: notice.remove())
        notice.appendChild(dismiss)
        self.host.appendChild(notice)
        while self.host.children.length > MAX_SHOWN:
            self.host.firstElementChild.remove()
        if fades(code):
            self._fade(notice)

    def _fade(self, notice: Any) -> None:
        """Remove ``notice`` after ``fade_ms``; pointing at it or focusing inside holds it (WCAG 2.2.1)."""
        held = {"count": 0, "generation": 0}

        async def later(generation: int) -> None:
            await asyncio.sleep(self.fade_ms / 1000)
            if generation == held["generation"] and not held["count"] and notice.isConnected:
                notice.remove()

        def start() -> None:
            held["generation"] += 1
            spawn(later(held["generation"]))

        def hold(_event: Any) -> None:
            held["count"] = 1
            held["generation"] += 1

        def release(_event: Any) -> None:
            held["count"] = 0
            start()

        on(notice, "mouseenter", hold)
        on(notice, "focusin", hold)
        on(notice, "mouseleave", release)
        on(notice, "focusout", release)
        start()
