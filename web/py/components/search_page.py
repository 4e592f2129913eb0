"""The search results page: tabs of page type ``search`` (template ``msdyn_search``, parameter ``searchText``).

Relevance-ranked hits with snippets (matches as ``<mark>``, text nodes only), entity filter chips, "Load more"
(the API ranks up to 50 hits: each press asks for 20 more) and a box to search again (the tab navigates in place
to the new query). Opening a result follows "open a record from the retrieved search records": it loads in the
focused session (``NavSource.SEARCH_RESULTS``), in a new tab beside this one (``keep_tab``): the results stay for
the next pick (issue 15, item 12).

View state (for session restore): ``{"query", "entity", "top", "scroll"}`` (``casework.search.ResultsState``).
"""

from __future__ import annotations

from typing import Any

from apm.errors import ApmError
from apm.navigation import NavSource
from browser.dom import clear, h, on
from casework.entities import entity
from casework.search import (
    SEARCHABLE,
    Hit,
    ResultsState,
    normalize_query,
    parse_hits,
    results_target_context,
    results_title,
)
from components.global_search import facts_node, snippet_nodes, title_and_snippet
from components.pages import Page


class SearchPage(Page):
    """Search results for the tab's ``searchText`` (see the module docstring)."""

    def mount(self, panel: Any) -> None:
        self.panel = panel
        self.state = ResultsState.restore(str(self.params.get("searchText") or ""), self.initial_state)
        self.hits: list[Hit] = []
        self._restore_scroll = self.state.scroll
        self._loading = False
        title_id = f"search-title-{self.tab_id}"
        self.query_input = h("input", {"type": "search", "class": "search-page-input", "aria-label": "Search for",
                                       "value": self.state.query, "autocomplete": "off"})
        form = h("form", {"class": "search-page-form", "role": "search", "aria-label": "Search again"},
                 self.query_input, h("button", {"type": "submit", "class": "button-primary"}, "Search"))
        on(form, "submit", self._search_again)
        self.chips = h("div", {"class": "search-chips", "role": "group", "aria-label": "Filter by record type"})
        for name in (None, *SEARCHABLE):
            label = "All" if name is None else entity(name).plural
            chip = h("button", {"type": "button", "class": "search-chip", "data-entity": name or "",
                                "aria-pressed": "true" if name == self.state.entity else "false"}, label)
            on(chip, "click", lambda _event, n=name: self._choose(n))
            self.chips.appendChild(chip)
        self.summary = h("p", {"class": "search-summary", "role": "status", "aria-live": "polite"})
        self.results = h("ol", {"class": "search-results", "aria-labelledby": title_id})
        self.more = h("button", {"type": "button", "class": "button-secondary search-more", "hidden": True},
                      "Load more results")
        on(self.more, "click", lambda _event: self._load_more())
        panel.appendChild(h("div", {"class": "search-page"},
                            h("div", {"class": "panel-header"},
                              h("h1", {"class": "panel-title", "id": title_id}, "Search results"),
                              form),
                            self.chips, self.summary, self.results, self.more))
        scroll_proxy = on(panel, "scroll", self._on_scroll)  # the panel outlives this page (in-place navigation)
        self.keep(lambda: panel.removeEventListener("scroll", scroll_proxy))
        self._load()

    # -- loading ---------------------------------------------------------------------------------------------------

    def _load(self) -> None:
        if not self.state.query:
            self.summary.textContent = "Type what you are looking for."
            clear(self.results)
            self.more.hidden = True
            return
        self._loading = True
        self.summary.textContent = "Searching…"
        self.spawn(self._fetch())

    async def _fetch(self) -> None:
        state = self.state
        asked = (state.query, state.entity, state.top)
        try:
            raw = await self.services.client.search(state.query, state.entities, top=state.top)
        finally:
            self._loading = False
        if asked != (self.state.query, self.state.entity, self.state.top):
            return  # the filter changed while this was on its way: a newer request renders
        self._render(parse_hits(raw))

    def _render(self, hits: list[Hit]) -> None:
        self.hits = hits
        clear(self.results)
        for index, hit in enumerate(hits):
            self.results.appendChild(self._row(index, hit))
        what = "" if self.state.entity is None else f" in {entity(self.state.entity).plural.lower()}"
        if hits:
            self.summary.textContent = f"{len(hits)} result{'' if len(hits) == 1 else 's'} for “{self.state.query}”" \
                                       f"{what}, most relevant first."
        else:
            self.summary.textContent = f"No records match “{self.state.query}”{what}."
        self.more.hidden = not self.state.can_load_more(len(hits))
        if self._restore_scroll:
            self.panel.scrollTop = self._restore_scroll
            self._restore_scroll = 0

    def _row(self, index: int, hit: Hit) -> Any:
        meta = entity(hit.entity)
        button = h("button", {"type": "button", "class": "search-result-open", "data-entity": hit.entity,
                              "data-id": hit.id},
                   title_and_snippet(hit, "search-result-title")[0],
                   h("span", {"class": "search-result-type"}, meta.singular))
        on(button, "click", lambda _event, i=index: self._open(i))
        snippet = None if hit.snippet_is_title or not hit.snippet else snippet_nodes(hit)
        return h("li", {"class": "search-result"}, button, facts_node(hit.facts, "search-result-facts"), snippet)

    # -- actions ---------------------------------------------------------------------------------------------------

    def _open(self, index: int) -> None:
        hit = self.hits[index]
        # a new tab beside the results, which stay (issue 15, item 12)
        self.services.open_record(hit.entity, hit.id, NavSource.SEARCH_RESULTS, title=hit.title, keep_tab=True)

    def _choose(self, name: str | None) -> None:
        self.state.choose(name)
        for chip in self.chips.children:
            chip.setAttribute("aria-pressed", "true" if (chip.dataset.entity or None) == name else "false")
        self.panel.scrollTop = 0
        self.state_changed()
        self._load()

    def _load_more(self) -> None:
        if self._loading:
            return
        self.state.load_more()
        self.state_changed()
        self._load()

    def _search_again(self, event: Any) -> None:
        event.preventDefault()
        query = normalize_query(self.query_input.value)
        if not query or query == self.state.query:
            return
        try:  # the tab shows the new query (its page is rebuilt for it)
            self.services.workspace.navigate_tab(self.tab_id, "msdyn_search", results_target_context(query),
                                                 title=results_title(query))
        except ApmError as error:
            self.services.notify(error.message, error.code)

    def _on_scroll(self, _event: Any) -> None:
        if not self.panel.classList.contains("is-inactive"):
            self.state.scroll = int(self.panel.scrollTop)
            self.state_changed()

    # -- life cycle ------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        self._load()

    def view_state(self) -> dict | None:
        return self.state.to_dict()
