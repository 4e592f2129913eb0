"""The site map: the header's menu button opens a navigation menu of views and dashboards.

ARIA menu button pattern: ``#sitemap-button`` (``aria-haspopup="menu"``, ``aria-expanded``) opens a
``role="menu"`` with ``role="menuitem"`` entries in two groups. Keys: ArrowDown/ArrowUp move (wrapping), Home/End
jump, Enter/Space open, Escape and Tab close; focus returns to the button. Alt+M opens it from anywhere.

Navigation rules: a view opens as a new tab in the focused session (``NavSource.SITEMAP_VIEW``, tab template
``msdyn_entitylist`` with ``{"entityName", "title"}``); a dashboard likewise (``NavSource.SITEMAP_DASHBOARD``,
``msdyn_dashboard``); the agent calendar (``casework_calendar``, ``NavSource.SITEMAP_PAGE``, components.calendar).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apm.navigation import NavSource, NavTarget
from browser.dom import active_element, by_id, document, h, on
from components import calendar
from components.pages import Services

MENU_ID = "sitemap-menu"


@dataclass(frozen=True)
class SiteMapItem:
    """One menu entry: its label, what it opens and from which navigation source."""

    label: str
    target: NavTarget
    source: NavSource


VIEWS = (("incident", "Cases"), ("account", "Accounts"), ("contact", "Contacts"), ("activitypointer", "Activities"),
         ("knowledgearticle", "Knowledge articles"), ("queue", "Queues"))


def _view(logical: str, plural: str) -> SiteMapItem:
    return SiteMapItem(plural, NavTarget("msdyn_entitylist", {"entityName": logical, "title": plural}, plural),
                       NavSource.SITEMAP_VIEW)


SITEMAP: tuple[tuple[str, tuple[SiteMapItem, ...]], ...] = (
    ("Views", tuple(_view(logical, plural) for logical, plural in VIEWS)),
    ("Dashboards", (SiteMapItem("Agent dashboard", NavTarget("msdyn_dashboard", {}, "Agent dashboard"),
                                NavSource.SITEMAP_DASHBOARD),
                    SiteMapItem(calendar.TITLE, calendar.target(), NavSource.SITEMAP_PAGE))),
)


def tool_groups(services: Services) -> tuple[tuple[str, tuple[SiteMapItem, ...]], ...]:
    """The "Tools" group, for agents whose roles allow it (the Python console: ``components.console``)."""
    from components import console

    if not console.may_script(services):
        return ()
    return (("Tools", (SiteMapItem(console.TITLE, console.target(), NavSource.SITEMAP_PAGE),)),)


class SiteMap:
    """Builds the menu next to ``#sitemap-button`` and runs it (see the module docstring)."""

    def __init__(self, services: Services, button: Any | None = None) -> None:
        self.services = services
        self.button = button if button is not None else by_id("sitemap-button")
        self.items: list[Any] = []
        self.menu = h("div", {"id": MENU_ID, "class": "sitemap-menu", "role": "menu", "aria-label": "Site map",
                              "hidden": True})
        for heading, entries in (*SITEMAP, *tool_groups(services)):
            heading_id = f"sitemap-group-{heading.lower()}"
            group = h("div", {"class": "sitemap-group", "role": "group", "aria-labelledby": heading_id},
                      h("div", {"class": "sitemap-heading", "id": heading_id, "role": "presentation"}, heading))
            for item in entries:
                element = h("button", {"type": "button", "class": "sitemap-item", "role": "menuitem",
                                       "tabindex": "-1", "data-template": item.target.template_name},
                            item.label)
                on(element, "click", lambda _event, chosen=item: self.choose(chosen))
                self.items.append(element)
                group.appendChild(element)
            self.menu.appendChild(group)
        self.button.insertAdjacentElement("afterend", self.menu)
        for name, value in (("aria-haspopup", "menu"), ("aria-expanded", "false"), ("aria-controls", MENU_ID),
                            ("aria-keyshortcuts", "Alt+M")):
            self.button.setAttribute(name, value)
        on(self.button, "click", lambda _event: self.close(focus_button=True) if self.is_open else self.open())
        on(self.button, "keydown", self._on_button_key)
        on(self.menu, "keydown", self._on_menu_key)
        on(document, "pointerdown", self._on_outside)

    @property
    def is_open(self) -> bool:
        return not self.menu.hidden

    def open(self, index: int = 0) -> None:
        """Show the menu and focus item ``index`` (``-1``: the last)."""
        self.menu.hidden = False
        self.button.setAttribute("aria-expanded", "true")
        self._focus(index % len(self.items))

    def close(self, focus_button: bool = True) -> None:
        if not self.is_open:
            return
        self.menu.hidden = True
        self.button.setAttribute("aria-expanded", "false")
        if focus_button:
            self.button.focus()

    def choose(self, item: SiteMapItem) -> None:
        """Open an entry by its navigation rule; focus moves to the opened tab."""
        self.close(focus_button=True)
        workspace = self.services.workspace
        same = next((tab_id for tab_id in workspace.focused_session.tab_ids
                     if workspace.tab(tab_id).template_name == item.target.template_name
                     and all(workspace.tab(tab_id).params.get(key) == value
                             for key, value in item.target.app_context.items() if key != "title")), None)
        view = self.services.view
        if same is not None:  # "Cases" twice: the tab already open, not a second identical one
            if view is not None:
                view.attempt(lambda: workspace.focus_tab(same))
                view.focus_selected("tab")
            else:
                workspace.focus_tab(same)
            return
        if self.services.open(item.target, item.source) is not None:
            view = self.services.view
            if view is not None:
                view.focus_selected("tab")

    def _focus(self, index: int) -> None:
        for position, element in enumerate(self.items):
            element.setAttribute("tabindex", "0" if position == index else "-1")
        self.items[index].focus()

    def _current(self) -> int:
        active = active_element()
        for position, element in enumerate(self.items):
            if element == active:
                return position
        return 0

    def _on_button_key(self, event: Any) -> None:
        if event.key in ("ArrowDown", "ArrowUp"):
            event.preventDefault()
            self.open(0 if event.key == "ArrowDown" else -1)

    def _on_menu_key(self, event: Any) -> None:
        key, count = event.key, len(self.items)
        moves = {"ArrowDown": self._current() + 1, "ArrowUp": self._current() - 1, "Home": 0, "End": count - 1}
        if key in moves:
            event.preventDefault()
            self._focus(moves[key] % count)
        elif key == "Escape":
            event.preventDefault()
            event.stopPropagation()
            self.close(focus_button=True)
        elif key == "Tab":
            self.close(focus_button=False)

    def _on_outside(self, event: Any) -> None:
        if self.is_open and not self.menu.contains(event.target) and not self.button.contains(event.target):
            self.close(focus_button=False)
