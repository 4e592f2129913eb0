"""Notices: short messages to the agent (a limit hit, an action refused), shown until dismissed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from browser.dom import h, on

MAX_SHOWN = 3


class Notices:
    """Shows messages in the page's notification region (``role="alert"`` items, newest last).

    The same code shown twice replaces its earlier notice instead of stacking copies.
    """

    def __init__(self, host: Any) -> None:
        self.host = host

    def show(self, message: str, code: str = "info", action: tuple[str, Callable[[], Any]] | None = None) -> None:
        """Show ``message``; ``code`` (an ApmError code) marks it for styling and tests. ``action`` adds a link
        ``(label, callback)`` (e.g. "Open" on a created record); following it dismisses the notice."""
        for existing in list(self.host.querySelectorAll(".notice")):
            if existing.dataset.code == code:
                existing.remove()
        notice = h("div", {"class": "notice", "role": "alert", "data-code": code},
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
