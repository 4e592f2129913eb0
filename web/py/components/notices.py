"""Notices: short messages to the agent (a limit hit, an action refused), shown until dismissed."""

from __future__ import annotations

from typing import Any

from browser.dom import h, on

MAX_SHOWN = 3


class Notices:
    """Shows messages in the page's notification region (``role="alert"`` items, newest last).

    The same code shown twice replaces its earlier notice instead of stacking copies.
    """

    def __init__(self, host: Any) -> None:
        self.host = host

    def show(self, message: str, code: str = "info") -> None:
        """Show ``message``; ``code`` (an ApmError code) marks it for styling and tests."""
        for existing in list(self.host.querySelectorAll(".notice")):
            if existing.dataset.code == code:
                existing.remove()
        notice = h("div", {"class": "notice", "role": "alert", "data-code": code},
                   h("span", {"class": "notice-text"}, message))
        dismiss = h("button", {"type": "button", "class": "notice-dismiss", "aria-label": "Dismiss"}, "×")
        on(dismiss, "click", lambda _event: notice.remove())
        notice.appendChild(dismiss)
        self.host.appendChild(notice)
        while self.host.children.length > MAX_SHOWN:
            self.host.firstElementChild.remove()
