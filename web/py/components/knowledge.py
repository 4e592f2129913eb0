"""Knowledge search for agents: :class:`KnowledgeBrowser` (search with product, keywords and language filters, the
results, and the article view with its view count, rating, Copy link, Link to case and Send to conversation), shown
in the productivity pane's knowledge tool and as the ``msdyn_omnichannel_kbsearch`` tab
(:class:`KnowledgeSearchPage`, which reads its search text from the tab's ``data``).

Server: ``GET /api/knowledge/search``, ``POST /api/knowledgearticles(<id>)/view``, ``PUT .../rating``
(``server.api.knowledge``). Record text enters the page only as text nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js

from apm.model import Tab
from browser.dom import clear, h, on, text
from browser.tasks import spawn
from casework import knowledge as kb
from components.pages import Page, PageHost, Services

KBSEARCH_TAB = "msdyn_omnichannel_kbsearch"


def _copy(value: str) -> None:
    try:
        js.navigator.clipboard.writeText(value)
    except Exception:  # noqa: BLE001 - no clipboard (insecure context)
        pass


async def _api(services: Services, method: str, path: str, body: Any = None, params: dict | None = None) -> Any:
    _, _, payload = await services.client._call(method, path, body=body, params=params)  # noqa: SLF001
    return payload


class KnowledgeBrowser:
    """Search, results and one article at a time, drawn into ``container``.

    Args:
        services: The page's services.
        query: The search to start from.
        focused_case: The case "Link to case" links to (``None``: no such button).
        on_query: Called with the query after each search (the pane keeps it per page; the tab in its view state).
    """

    def __init__(self, services: Services, query: kb.KnowledgeQuery,
                 focused_case: Callable[[], str | None] = lambda: None,
                 on_query: Callable[[kb.KnowledgeQuery], object] | None = None) -> None:
        self.services = services
        self.query = query
        self.focused_case = focused_case
        self.on_query = on_query
        self.facets: dict = {}
        self.container: Any = None

    # -- the focused conversation (for "Send to conversation")
    def conversation(self) -> str | None:
        desk = self.services.conversations
        return desk.focused_conversation() if desk is not None else None

    def show(self, container: Any) -> None:
        self.container = container
        clear(container)
        self.box = h("input", {"type": "search", "class": "kb-query", "aria-label": "Search knowledge articles",
                               "placeholder": "Search knowledge articles", "value": self.query.text})
        self.product = h("select", {"class": "kb-product", "aria-label": "Product"},
                         h("option", {"value": ""}, "Any product"))
        self.keywords = h("input", {"type": "text", "class": "kb-keywords", "aria-label": "Keywords",
                                    "placeholder": "Keywords, comma-separated", "value": self.query.keywords})
        self.language = h("select", {"class": "kb-language", "aria-label": "Language"},
                          h("option", {"value": ""}, "Any language"))
        form = h("form", {"class": "kb-form", "role": "search", "aria-label": "Knowledge search"},
                 h("div", {"class": "kb-search-row"}, self.box,
                   h("button", {"type": "submit", "class": "button-primary"}, "Search")),
                 h("div", {"class": "kb-filters"}, self.product, self.keywords, self.language))
        self.status = h("p", {"class": "kb-status", "role": "status"})
        self.results = h("ul", {"class": "kb-results"})
        self.article = h("article", {"class": "kb-article", "hidden": True, "aria-label": "Knowledge article"})
        container.append(form, self.status, self.results, self.article)
        self._fill_facets()

        def submit(event: Any) -> None:
            event.preventDefault()
            self.query = kb.KnowledgeQuery(str(self.box.value), str(self.product.value), str(self.keywords.value),
                                           kb.parse_language(self.language.value))
            spawn(self.search(), self.services.report)

        on(form, "submit", submit)
        on(self.product, "change", lambda _e: form.requestSubmit())
        on(self.language, "change", lambda _e: form.requestSubmit())
        spawn(self.search(), self.services.report)

    def _fill_facets(self) -> None:
        for select, values, chosen, label in (
                (self.product, self.facets.get("products") or [], self.query.product, str),
                (self.language, self.facets.get("languages") or [], self.query.language, kb.language_name)):
            while select.options.length > 1:
                select.remove(1)
            for value in values:
                option = h("option", {"value": str(value)}, label(value))
                select.appendChild(option)
            if chosen not in (None, "") and str(chosen) in [str(v) for v in values]:
                select.value = str(chosen)

    async def search(self) -> None:
        if self.on_query is not None:
            self.on_query(self.query)
        text(self.status, "Searching…")
        answer = await _api(self.services, "GET", "/knowledge/search", params=self.query.params(10))
        self.facets = answer.get("facets") or {}
        self._fill_facets()
        clear(self.results)
        self.article.setAttribute("hidden", "")
        self.results.removeAttribute("hidden")
        items = answer.get("value") or []
        text(self.status, f"{len(items)} article{'s' if len(items) != 1 else ''}." if items
             else "No knowledge articles found.")
        for item in items:
            self.results.appendChild(self._hit(item))

    def _hit(self, item: dict) -> Any:
        open_button = h("button", {"type": "button", "class": "link-button kb-open"}, item.get("title") or "")
        row = h("li", {"class": "kb-hit", "data-id": item["id"]}, open_button,
                h("p", {"class": "kb-meta"}, kb.meta_line(item)),
                h("p", {"class": "kb-summary"}, item.get("summary") or ""),
                self._actions(item))
        on(open_button, "click", lambda _e: spawn(self.open(item["id"]), self.services.report))
        return row

    def _actions(self, item: dict) -> Any:
        actions = h("div", {"class": "kb-actions"})
        copy = h("button", {"type": "button", "class": "kb-copy"}, "Copy link")
        on(copy, "click", lambda _e: _copy(kb.article_url(str(js.window.location.origin), item["id"])))
        actions.appendChild(copy)
        case = self.focused_case()
        if case is not None:
            link = h("button", {"type": "button", "class": "kb-link", "aria-pressed": "false"}, "Link to case")
            on(link, "click", lambda _e: spawn(self.link(item, link, case), self.services.report))
            actions.appendChild(link)
        if self.conversation() is not None:
            send = h("button", {"type": "button", "class": "kb-send"}, "Send to conversation")
            on(send, "click", lambda _e: self.send(item))
            actions.appendChild(send)
        return actions

    async def open(self, article_id: str) -> dict:
        """The article view (its views counted on the server), in place of the results."""
        article = await _api(self.services, "POST", f"/knowledgearticles({article_id})/view", body={})
        clear(self.article)
        back = h("button", {"type": "button", "class": "link-button kb-back"}, "← Back to results")
        on(back, "click", lambda _e: self._back())
        self.meta = h("p", {"class": "kb-meta"}, kb.meta_line(article))
        stars = h("div", {"class": "kb-rating", "role": "group", "aria-label": "Rate this article"})
        for value in range(1, kb.STARS + 1):
            star = h("button", {"type": "button", "class": "kb-star",
                                "aria-pressed": "true" if article.get("myrating") == value else "false",
                                "aria-label": f"Rate {value} of {kb.STARS}"}, "★")
            on(star, "click", lambda _e, v=value: spawn(self.rate(article, v, stars), self.services.report))
            stars.appendChild(star)
        self.article.append(back, h("h3", {"class": "kb-article-title"}, article.get("title") or ""), self.meta,
                            h("div", {"class": "kb-content"}, article.get("content") or ""), stars,
                            self._actions(article))
        self.results.setAttribute("hidden", "")
        self.article.removeAttribute("hidden")
        text(self.status, "")
        return article

    def _back(self) -> None:
        self.article.setAttribute("hidden", "")
        self.results.removeAttribute("hidden")

    async def rate(self, article: dict, value: int, stars: Any) -> None:
        answer = await _api(self.services, "PUT", f"/knowledgearticles({article['id']})/rating", body={"rating": value})
        for index in range(stars.children.length):
            stars.children.item(index).setAttribute("aria-pressed", "true" if index + 1 == value else "false")
        text(self.meta, kb.meta_line(answer))
        text(self.status, f"You rated it {value} of {kb.STARS}.")

    async def link(self, item: dict, button: Any, case: str) -> None:
        pane = self.services.pane
        if pane is not None:
            await pane.assist.link("article", item, button, case)

    def send(self, item: dict) -> None:
        """Put the article's title, number and link into the conversation's composer (the agent sends it)."""
        conversation = self.conversation()
        desk = self.services.conversations
        page = desk.pages.get(conversation) if desk is not None and conversation else None
        if page is None:
            return
        page.put_in_box(kb.article_message(item, kb.article_url(str(js.window.location.origin), item["id"])))
        text(self.status, "The article link is in the conversation's message box.")


def is_kbsearch(tab: Tab) -> bool:
    return tab.template_name == KBSEARCH_TAB


class KnowledgeSearchPage(Page):
    """The ``msdyn_omnichannel_kbsearch`` tab: the knowledge browser, searching the tab's ``data`` first."""

    def mount(self, panel: Any) -> None:
        self.panel = panel
        start = kb.KnowledgeQuery.from_json(self.initial_state.get("query")) if self.initial_state.get("query") \
            else kb.KnowledgeQuery(str(self.params.get("data") or ""))
        self._query = start
        body = h("div", {"class": "kb-page"}, h("h2", None, "Knowledge search"))
        panel.appendChild(body)
        pane = self.services.pane
        self.browser = KnowledgeBrowser(self.services, start,
                                        focused_case=(pane.focused_case if pane is not None else lambda: None),
                                        on_query=self._remember)
        holder = h("div", {"class": "kb-browser"})
        body.appendChild(holder)
        self.browser.show(holder)

    def _remember(self, query: kb.KnowledgeQuery) -> None:
        self._query = query
        self.state_changed()

    def view_state(self) -> dict | None:
        return {"query": self._query.to_json()}


def register(host: PageHost) -> None:
    host.register(is_kbsearch, KnowledgeSearchPage, first=True)
