"""The session bar's collapse button: a narrow bar of icons (each with its hover text) or the full one with titles.
The choice is the agent's user setting ``sessionBarCollapsed`` (``casework.settings``), so it follows them to the
next reload and browser; it applies before the first paint from ``/api/me``'s settings.
"""

from __future__ import annotations

from typing import Any

from browser.dom import by_id, h, on
from components.pages import Services, spawn

SETTING = "sessionBarCollapsed"


class SessionBarToggle:
    """The button at the top of ``#session-bar`` (see the module docstring)."""

    def __init__(self, services: Services, bar: Any, app: Any) -> None:
        self.services = services
        self.app = app
        self.label = h("span", {"class": "session-bar-toggle-label"}, "Collapse")
        self.button = h("button", {"type": "button", "class": "session-bar-toggle", "aria-controls": "session-list",
                                   "aria-expanded": "true"},
                        h("span", {"class": "session-bar-toggle-icon", "aria-hidden": "true"}), self.label)
        bar.insertBefore(self.button, bar.firstChild)
        on(self.button, "click", lambda _event: self.toggle())
        settings = services.settings
        saved = settings.get(SETTING) if settings is not None else services.agent.settings.get(SETTING)
        self.collapsed = False
        self.apply(saved is True)

    def apply(self, collapsed: bool) -> None:
        """Show the bar collapsed (icons) or expanded (titles)."""
        self.collapsed = collapsed
        self.app.classList.toggle("sessions-collapsed", collapsed)
        self.button.setAttribute("aria-expanded", "false" if collapsed else "true")
        name = "Expand the session bar" if collapsed else "Collapse the session bar"
        self.button.setAttribute("aria-label", name)
        self.button.setAttribute("title", name)
        self.label.textContent = "Expand" if collapsed else "Collapse"

    def toggle(self) -> None:
        """Collapse or expand, and remember it (a refused save only means it is not remembered)."""
        self.apply(not self.collapsed)
        settings = self.services.settings
        if settings is not None:
            spawn(settings.set(SETTING, self.collapsed), lambda error: None)


def install(services: Services) -> SessionBarToggle:
    return SessionBarToggle(services, by_id("session-bar"), by_id("app"))
