"""The "@" picker of a note's text box: typing ``@`` and part of a name lists matching colleagues in a listbox
under the box (the box points at it with ``aria-controls`` and at the chosen option with
``aria-activedescendant``); Up/Down move, Enter or Tab picks, Escape closes the list (not the draft). A pick puts
the mention token in the text (``casework.mentions``); the server tells that person when the note is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from browser.dom import clear, h, on, unique_id
from browser.tasks import spawn
from casework import mentions
from casework.records import odata_literal
from casework.search import LatestOnly

SHOWN = 6


class MentionPicker:
    """Wires the picker to ``box`` (a textarea); ``active()`` says whether mentions apply now (a note's draft),
    ``changed()`` is called after a pick changed the text."""

    def __init__(self, services: Any, box: Any, active: Callable[[], bool], changed: Callable[[], None]) -> None:
        self.services, self.box, self.active, self.changed = services, box, active, changed
        self.list = h("ul", {"class": "mention-list", "role": "listbox", "id": unique_id("mention-list"),
                             "aria-label": "People to mention", "hidden": True})
        self.people: list[tuple[str, str]] = []  # (systemuserid, fullname) shown
        self.index = 0
        self.at: tuple[int, str] | None = None
        self.latest = LatestOnly()
        box.setAttribute("aria-autocomplete", "list")
        box.setAttribute("aria-controls", self.list.id)
        box.insertAdjacentElement("afterend", self.list)
        on(box, "input", lambda _event: self._typed())
        on(box, "keydown", self._key)
        on(box, "blur", lambda _event: self.close())
        on(self.list, "mousedown", self._clicked)  # before the box's blur closes the list

    def _typed(self) -> None:
        self.at = mentions.typing_at(str(self.box.value), int(self.box.selectionStart or 0)) if self.active() \
            else None
        if self.at is None:
            self.close()
            return
        ticket = self.latest.issue()
        spawn(self._find(ticket, self.at[1]), self.services.report)

    async def _find(self, ticket: int, query: str) -> None:
        condition = "isdisabled eq false"
        if query.strip():
            condition += f" and contains(fullname,{odata_literal(query.strip())})"
        page = await self.services.client.list("systemusers", filter=condition, select=["fullname"],
                                               orderby="fullname asc", top=SHOWN)
        if not self.latest.accept(ticket) or self.at is None:
            return
        me = self.services.agent.user_id
        self.people = [(r["systemuserid"], r["fullname"]) for r in page.records if r["systemuserid"] != me]
        self.index = 0
        self._render()

    def _render(self) -> None:
        clear(self.list)
        for index, (user_id, name) in enumerate(self.people):
            option = h("li", {"class": "mention-option", "role": "option", "id": f"{self.list.id}-{index}",
                              "data-id": user_id, "aria-selected": "true" if index == self.index else "false"},
                       "@" + name)
            self.list.appendChild(option)
        shown = bool(self.people)
        self.list.hidden = not shown
        if shown:
            self.box.setAttribute("aria-activedescendant", f"{self.list.id}-{self.index}")
        else:
            self.box.removeAttribute("aria-activedescendant")

    def close(self) -> None:
        self.latest.cancel()
        self.people, self.at = [], None
        self._render()

    def _key(self, event: Any) -> None:
        if self.list.hidden or not self.people:
            return
        key = event.key
        if key in ("ArrowDown", "ArrowUp"):
            self.index = (self.index + (1 if key == "ArrowDown" else -1)) % len(self.people)
            self._render()
        elif key in ("Enter", "Tab") and not (event.ctrlKey or event.metaKey):
            self._pick(self.index)
        elif key == "Escape":
            self.close()
        else:
            return
        event.preventDefault()
        event.stopPropagation()  # not the draft's Enter/Escape

    def _clicked(self, event: Any) -> None:
        option = event.target.closest(".mention-option")
        if option is None:
            return
        event.preventDefault()  # the box keeps focus
        ids = [user_id for user_id, _ in self.people]
        user_id = str(option.dataset.id)
        if user_id in ids:
            self._pick(ids.index(user_id))

    def _pick(self, index: int) -> None:
        if self.at is None or not 0 <= index < len(self.people):
            return
        user_id, name = self.people[index]
        value, cursor = mentions.complete(str(self.box.value), int(self.box.selectionStart or 0), self.at[0], name,
                                          user_id)
        self.box.value = value
        self.box.setSelectionRange(cursor, cursor)
        self.close()
        self.changed()
