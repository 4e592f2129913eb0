"""The header's global search: an ARIA combobox (input + listbox) that searches as the agent types.

* Typing waits ~150 ms of quiet, then asks ``/api/search``; only the newest request's answer is shown
  (``casework.search.LatestOnly``), so a slow early answer never replaces a newer one.
* The listbox shows the top hits of each entity (one request per entity, so one busy topic cannot crowd out
  the others), grouped, the group with the best hit first, each with its snippet: matched words are ``<mark>`` elements
  built from text nodes (the API sends segments, never HTML), plus a "See all results" option.
* Keys in the box: ArrowDown/ArrowUp move through the options (``aria-activedescendant``; focus stays in the input),
  Enter opens the active option, or the results page when none is active, Escape closes the list (a second Escape
  clears the box). ``/`` and Ctrl+K focus the box from anywhere (``casework.shortcuts``).
* Navigation rules: a hit opens in a NEW SESSION (``NavSource.GLOBAL_SEARCH``). The results page (tab template
  ``msdyn_search``) is a page of the workspace, not a record, so it "loads in the focused session" like any page
  (``NavSource.SITEMAP_PAGE``): the focused tab shows it in place when it can navigate, else a new tab opens in
  the focused session; a focused tab with unsaved edits is never replaced (a new tab opens instead).
"""

from __future__ import annotations

import asyncio
from typing import Any

from apm.errors import ApmError
from apm.navigation import NavSource, NavTarget
from browser.dom import active_element, by_id, clear, h, on, scroll_into_view
from casework.search import (
    SEARCHABLE,
    SUGGESTION_TOP,
    Group,
    Hit,
    LatestOnly,
    flatten,
    is_searchable,
    move,
    normalize_query,
    option_count,
    parse_hits,
    rank_groups,
    results_target_context,
    results_title,
)
from components.pages import Services, spawn

DEBOUNCE_SECONDS = 0.15
LISTBOX_ID = "global-search-listbox"


def snippet_nodes(hit: Hit, css_class: str = "search-snippet") -> Any:
    """A hit's snippet as a ``<span>``: plain segments as text nodes, matched ones as ``<mark>`` (text inside)."""
    return h("span", {"class": css_class}, [h("mark", None, text) if match else text for text, match in hit.snippet])


def facts_node(facts: tuple[str, ...] | list[str], css_class: str = "search-facts") -> Any:
    """What tells a hit apart from look-alikes (``casework.search.facts_of``), as text: "CAS-1 · Contoso · …"."""
    return h("span", {"class": css_class}, " · ".join(facts)) if facts else None


def title_and_snippet(hit: Hit, title_class: str) -> list:
    """The title (highlighted when the snippet is the title itself, so it is not repeated) and the snippet."""
    if hit.snippet_is_title:
        return [snippet_nodes(hit, title_class)]
    return [h("span", {"class": title_class}, hit.title), snippet_nodes(hit) if hit.snippet else None]


def open_results_page(services: Services, query: str) -> tuple[str, str] | None:
    """Open the search results page for ``query`` by the navigation rules (see the module docstring)."""
    query = normalize_query(query)
    target = NavTarget("msdyn_search", results_target_context(query), results_title(query))
    workspace = services.workspace
    host = services.host
    if host is not None and host.is_dirty(workspace.focused_tab_id):
        try:  # "loads in the focused session" must not throw away unsaved edits: a new tab in that session
            tab_id = workspace.create_tab(target.template_name, target.app_context, title=target.title)
            return workspace.focused_session_id, tab_id
        except ApmError as error:
            services.notify(error.message, error.code)
            return None
    return services.open(target, NavSource.SITEMAP_PAGE)


def _see_all_label(query: str) -> str:
    return f"See all results for “{query}”"


class GlobalSearch:
    """Turns the header's ``#global-search`` input into the search combobox (see the module docstring)."""

    def __init__(self, services: Services, input_element: Any | None = None) -> None:
        self.services = services
        self.input = input_element if input_element is not None else by_id("global-search")
        self.latest = LatestOnly()
        self.hits: list[Hit] = []
        self.shown_query = ""
        self.active = -1
        self._pending: asyncio.Future | None = None
        self._options: list[Any] = []
        self._see_all: Any = None
        self.listbox = h("div", {"id": LISTBOX_ID, "class": "search-popup", "role": "listbox",
                                 "aria-label": "Search suggestions", "hidden": True})
        self.status = h("div", {"class": "visually-hidden", "role": "status", "aria-live": "polite",
                                "id": "global-search-status"})
        container = self.input.parentElement
        container.appendChild(self.listbox)
        container.appendChild(self.status)
        for name, value in (("role", "combobox"), ("aria-expanded", "false"), ("aria-controls", LISTBOX_ID),
                            ("aria-autocomplete", "list"), ("aria-haspopup", "listbox"),
                            ("aria-keyshortcuts", "Control+K /"), ("aria-describedby", "global-search-status")):
            self.input.setAttribute(name, value)
        on(self.input, "input", self._on_input)
        on(self.input, "keydown", self._on_keydown)
        on(self.input, "focus", self._on_focus)
        on(self.input, "blur", lambda _event: self.close())
        # a press in the list must not blur the input (which closes the list before the click lands)
        on(self.listbox, "mousedown", lambda event: event.preventDefault())

    # -- public ----------------------------------------------------------------------------------------------------

    def focus(self) -> None:
        """Put the caret in the box (the ``/`` and Ctrl+K shortcuts)."""
        self.input.focus()
        self.input.select()

    @property
    def is_open(self) -> bool:
        return not self.listbox.hidden

    def close(self) -> None:
        self.listbox.hidden = True
        self.input.setAttribute("aria-expanded", "false")
        self._set_active(-1)

    # -- typing ----------------------------------------------------------------------------------------------------

    def _on_input(self, _event: Any) -> None:
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
        query = normalize_query(self.input.value)
        if not is_searchable(query):
            self.latest.cancel()
            self.hits, self.shown_query = [], ""
            self.close()
            return
        self._set_active(-1)  # an option of the previous answer is no longer what Enter opens
        if self._see_all is not None:  # the list may still show the last answer: "See all" follows the typing
            self._see_all.textContent = _see_all_label(query)
        self._pending = spawn(self._search_soon(query), self._failed)

    async def _search_soon(self, query: str) -> None:
        await asyncio.sleep(DEBOUNCE_SECONDS)
        ticket = self.latest.issue()
        client = self.services.client
        answers = await asyncio.gather(*(client.search(query, [name], top=SUGGESTION_TOP) for name in SEARCHABLE))
        if not self.latest.accept(ticket):
            return  # a newer query was sent meanwhile: this answer is stale
        self._render(query, rank_groups(dict(zip(SEARCHABLE, map(parse_hits, answers), strict=True))))

    def _failed(self, error: BaseException) -> None:
        message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
        self.hits, self.shown_query = [], ""
        clear(self.listbox).appendChild(h("div", {"class": "search-empty", "role": "presentation"},
                                          f"Search failed: {message}"))
        self.status.textContent = f"Search failed: {message}"
        self._open()

    # -- rendering -------------------------------------------------------------------------------------------------

    def _render(self, query: str, groups: list[Group]) -> None:
        self.hits = flatten(groups)
        self.shown_query = query
        self._options = []
        clear(self.listbox)
        index = 0
        for group in groups:
            label_id = f"global-search-group-{group.entity}"
            section = h("div", {"class": "search-group", "role": "group", "aria-labelledby": label_id},
                        h("div", {"class": "search-group-label", "id": label_id, "role": "presentation"},
                          group.label))
            for hit in group.hits:
                section.appendChild(self._option(index, hit))
                index += 1
            self.listbox.appendChild(section)
        if not self.hits:
            self.listbox.appendChild(h("div", {"class": "search-empty", "role": "presentation"},
                                       f"No records match “{query}”."))
        see_all = h("div", {"class": "search-option search-see-all", "role": "option", "id": "global-search-all",
                            "aria-selected": "false"}, _see_all_label(query))
        on(see_all, "click", lambda _event: self._choose(len(self.hits), query=self.input.value))
        self._see_all = see_all
        self._options.append(see_all)
        self.listbox.appendChild(see_all)
        count = len(self.hits)
        self.status.textContent = f"{count} suggestion{'' if count == 1 else 's'}. Enter shows all results."
        self._set_active(-1)
        if active_element() == self.input:
            self._open()

    def _option(self, index: int, hit: Hit) -> Any:
        option = h("div", {"class": "search-option", "role": "option", "id": f"global-search-option-{index}",
                           "aria-selected": "false", "data-entity": hit.entity, "data-id": hit.id},
                   title_and_snippet(hit, "search-option-title"), facts_node(hit.facts))
        on(option, "click", lambda _event, i=index: self._choose(i))
        self._options.append(option)
        return option

    def _open(self) -> None:
        self.listbox.hidden = False
        self.input.setAttribute("aria-expanded", "true")

    def _set_active(self, index: int) -> None:
        if 0 <= self.active < len(self._options):
            self._options[self.active].setAttribute("aria-selected", "false")
            self._options[self.active].classList.remove("is-active")
        self.active = index if 0 <= index < len(self._options) else -1
        if self.active >= 0:
            option = self._options[self.active]
            option.setAttribute("aria-selected", "true")
            option.classList.add("is-active")
            self.input.setAttribute("aria-activedescendant", option.id)
            scroll_into_view(option)
        else:
            self.input.removeAttribute("aria-activedescendant")

    # -- keys and choices ------------------------------------------------------------------------------------------

    def _on_focus(self, _event: Any) -> None:
        if self.shown_query and self.shown_query == normalize_query(self.input.value):
            self._open()

    def _on_keydown(self, event: Any) -> None:
        key = event.key
        if key in ("ArrowDown", "ArrowUp"):
            if not self._options or self.shown_query != normalize_query(self.input.value):
                return
            event.preventDefault()
            if not self.is_open:
                self._open()
            self._set_active(move(self.active, 1 if key == "ArrowDown" else -1, option_count(len(self.hits))))
        elif key == "Enter":
            event.preventDefault()
            if self.is_open and 0 <= self.active < len(self.hits):
                self._choose(self.active)
            elif normalize_query(self.input.value):
                self._choose(len(self.hits), query=self.input.value)
        elif key == "Escape":
            event.preventDefault()
            if self.is_open:
                self.close()
            else:
                self.input.value = ""
                self._on_input(None)

    def _choose(self, index: int, query: str | None = None) -> None:
        """Open option ``index``: a hit (new session) or, past the hits, the results page for ``query`` (the box's
        text: what the agent typed last, even when the list still shows the previous answer)."""
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
        self.latest.cancel()
        self.close()
        if index < len(self.hits):
            hit = self.hits[index]
            opened = self.services.open_record(hit.entity, hit.id, NavSource.GLOBAL_SEARCH, title=hit.title)
        else:
            opened = open_results_page(self.services, query if query is not None else self.input.value)
        if opened is not None:
            view = self.services.view
            if view is not None:
                view.focus_selected("tab")
