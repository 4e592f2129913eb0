"""The keyboard shortcut help dialog (``?``): every shortcut of ``casework.shortcuts`` in a table."""

from __future__ import annotations

from browser.dom import h
from casework.shortcuts import help_rows
from components.pages import Services, spawn


class ShortcutHelp:
    """Shows the dialog; a second ``?`` while it is open does nothing."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.showing = False

    def show(self) -> None:
        if self.showing:
            return
        self.showing = True
        spawn(self._show(), self.services.report)

    async def _show(self) -> None:
        try:
            rows = help_rows()
            table = h("table", {"class": "shortcut-table"},
                      h("caption", {"class": "visually-hidden"}, "Keyboard shortcuts"),
                      h("thead", None, h("tr", None, h("th", {"scope": "col"}, "Keys"),
                                         h("th", {"scope": "col"}, "Action"))),
                      h("tbody", None, [h("tr", None, h("td", None, _keys(keys)), h("td", None, description))
                                        for keys, description in rows]))
            scroller = h("div", {"class": "shortcut-scroll", "tabindex": "0", "role": "region",
                                 "aria-label": "Shortcut list"}, table)  # scrollable, so keyboard-reachable
            await self.services.dialogs.show("Keyboard shortcuts", scroller, [("Close", None, "primary")],
                                             label="shortcut-help")
        finally:
            self.showing = False


def _keys(text: str) -> object:
    """``"Ctrl+K or /"`` as ``<kbd>`` elements (text nodes inside)."""
    parts: list[object] = []
    for index, alternative in enumerate(text.split(" or ")):
        if index:
            parts.append(" or ")
        parts.append(h("kbd", None, alternative))
    return parts
