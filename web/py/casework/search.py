"""Global search, the pure part: which answer is current, how hits are grouped, how the results page pages. Pure.

The header's search box (``components.global_search``) asks the server as the agent types. Answers can arrive out
of order (a short query is slower than the longer one typed after it), so every request takes a ticket from
:class:`LatestOnly` and an answer is shown only when its ticket is still the newest: a slower, earlier response
never overwrites a newer one. The results page (``components.search_page``) keeps its query, entity filter and
how many hits it shows in :class:`ResultsState`, which is also its saved view state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from casework.entities import ARTICLE_STATE, CASE_STATE, CASE_STATUS, entity

MIN_QUERY = 2  # one letter matches half the database: suggestions start at two
MAX_QUERY = 200  # the server's limit (server/api/search.py)
SUGGESTION_TOP = 3  # per entity: the box shows a few of each kind rather than eight cases of one topic
PAGE_SIZE = 20
MAX_TOP = 50  # the server's ``top`` limit: "load more" stops there
SEARCHABLE = ("incident", "account", "contact", "knowledgearticle")  # what /api/search covers, in display order


def normalize_query(text: object) -> str:
    """The query as sent: whitespace collapsed, trimmed, cut to the server's limit (``""`` when unusable)."""
    if not isinstance(text, str):
        return ""
    return " ".join(text.split())[:MAX_QUERY]


def is_searchable(query: str) -> bool:
    """Whether a (normalized) query is worth asking the server for suggestions."""
    return len(query) >= MIN_QUERY and any(ch.isalnum() for ch in query)


class LatestOnly:
    """Tickets for requests; only the newest ticket's answer is accepted.

    ``ticket = latest.issue()`` before sending; ``if latest.accept(ticket): show(answer)`` when it arrives.
    :meth:`cancel` invalidates every outstanding ticket (the box was cleared or closed).
    """

    def __init__(self) -> None:
        self._issued = 0
        self._current = 0

    def issue(self) -> int:
        self._issued += 1
        self._current = self._issued
        return self._current

    def cancel(self) -> None:
        self._current = -1

    def is_current(self, ticket: int) -> bool:
        return ticket == self._current

    def accept(self, ticket: int) -> bool:
        """Whether the answer for ``ticket`` may be shown (it is the newest request's)."""
        return self.is_current(ticket)


@dataclass(frozen=True)
class Hit:
    """One search hit as shown: ``snippet`` is ``((text, is_match), ...)``, text only (rendered as text nodes)."""

    entity: str
    id: str
    title: str
    score: float
    snippet: tuple[tuple[str, bool], ...]
    facts: tuple[str, ...] = field(default=())  # what tells it apart from look-alikes (see ``facts_of``)

    @property
    def key(self) -> str:
        return f"{self.entity}:{self.id}"

    @property
    def snippet_text(self) -> str:
        """The snippet as plain text, at most 140 characters (a lookup option shows it under its facts)."""
        text = " ".join("".join(part for part, _ in self.snippet).split())
        return text if len(text) <= 140 else text[:139].rstrip() + "…"

    @property
    def snippet_is_title(self) -> bool:
        """Whether the snippet is just the title (then the title carries the highlights, shown once)."""
        return bool(self.snippet) and "".join(text for text, _ in self.snippet).strip() == self.title.strip()


def parse_hit(raw: object) -> Hit | None:
    """A hit from the API's JSON (``{"entity", "id", "title", "score", "snippet": [{"text", "match"}]}``), or
    ``None`` when it is not one (malformed answers are dropped, never shown half-built)."""
    if not isinstance(raw, dict):
        return None
    name, record_id = raw.get("entity"), raw.get("id")
    if not isinstance(name, str) or not isinstance(record_id, str) or not record_id:
        return None
    try:
        entity(name)
    except KeyError:
        return None
    segments = []
    for part in raw.get("snippet") or ():
        if isinstance(part, dict) and isinstance(part.get("text"), str) and part["text"]:
            segments.append((part["text"], part.get("match") is True))
    title = raw.get("title")
    score = raw.get("score")
    return Hit(name, record_id, title if isinstance(title, str) and title else entity(name).singular,
               float(score) if isinstance(score, int | float) else 0.0, tuple(segments),
               facts_of(name, raw.get("details")))


def parse_hits(raw: object) -> list[Hit]:
    """Every well-formed hit of an answer, in the server's (relevance) order."""
    hits = [parse_hit(item) for item in raw] if isinstance(raw, list) else []
    return [hit for hit in hits if hit is not None]


@dataclass(frozen=True)
class Group:
    """Hits of one entity: ``label`` is its plural display name."""

    entity: str
    label: str
    hits: tuple[Hit, ...]


def group_hits(hits: list[Hit]) -> list[Group]:
    """Hits grouped by entity. Groups come in the order of their best hit (the most relevant group first) and keep
    the server's order inside; a hit id appears once."""
    order: list[str] = []
    grouped: dict[str, list[Hit]] = {}
    seen: set[str] = set()
    for hit in hits:
        if hit.key in seen:
            continue
        seen.add(hit.key)
        if hit.entity not in grouped:
            order.append(hit.entity)
            grouped[hit.entity] = []
        grouped[hit.entity].append(hit)
    return [Group(name, entity(name).plural, tuple(grouped[name])) for name in order]


def rank_groups(per_entity: dict[str, list[Hit]]) -> list[Group]:
    """Groups from one answer per entity: empty ones dropped, the group with the best-scoring hit first (ties in
    :data:`SEARCHABLE` order), each group in the server's order."""
    order = {name: position for position, name in enumerate(SEARCHABLE)}
    filled = [(name, hits) for name, hits in per_entity.items() if hits]
    filled.sort(key=lambda item: (-max(hit.score for hit in item[1]), order.get(item[0], len(order))))
    return [group for name, hits in filled for group in group_hits([h for h in hits if h.entity == name])]


def flatten(groups: list[Group]) -> list[Hit]:
    """The hits in the order the listbox shows them (what the arrow keys walk through)."""
    return [hit for group in groups for hit in group.hits]


def move(active: int, delta: int, count: int) -> int:
    """The option index after an arrow key: ``-1`` means none (focus stays in the input). Down from none goes to
    the first, Up from none to the last; moving past either end wraps."""
    if count <= 0:
        return -1
    if active < 0:
        return 0 if delta > 0 else count - 1
    return (active + delta) % count


def option_count(hits: int) -> int:
    """Options of the suggestion listbox: the hits plus the "See all results" option."""
    return hits + 1


@dataclass
class ResultsState:
    """The search results page's state, also its saved view state.

    Attributes:
        query: What was searched.
        entity: The entity filter chip (a logical name) or ``None`` for all.
        top: How many hits are asked for (grows by :data:`PAGE_SIZE` with "load more", up to :data:`MAX_TOP`).
        scroll: The results list's scroll offset.
    """

    query: str
    entity: str | None = None
    top: int = PAGE_SIZE
    scroll: int = 0

    @classmethod
    def restore(cls, query: str, saved: object) -> ResultsState:
        """The state for ``query``, taking a saved state's filter, page size and scroll when it is the same query."""
        state = cls(normalize_query(query))
        if isinstance(saved, dict) and normalize_query(saved.get("query")) == state.query:
            chosen = saved.get("entity")
            state.entity = chosen if chosen in SEARCHABLE else None
            top = saved.get("top")
            if isinstance(top, int) and not isinstance(top, bool):
                state.top = max(PAGE_SIZE, min(MAX_TOP, top))
            scroll = saved.get("scroll")
            if isinstance(scroll, int | float) and not isinstance(scroll, bool) and scroll > 0:
                state.scroll = int(scroll)
        return state

    def to_dict(self) -> dict:
        return {"query": self.query, "entity": self.entity, "top": self.top, "scroll": self.scroll}

    @property
    def entities(self) -> list[str] | None:
        """The ``entities`` to ask for (``None``: all)."""
        return [self.entity] if self.entity else None

    def choose(self, name: str | None) -> None:
        """Pick a filter chip (``None``: all); starts again from the first page."""
        if name is not None and name not in SEARCHABLE:
            raise ValueError(f"not a searchable entity: {name!r}")
        self.entity = name
        self.top = PAGE_SIZE
        self.scroll = 0

    def can_load_more(self, shown: int) -> bool:
        """Whether "load more" may give more: the last answer filled the page and the server allows a bigger one."""
        return shown >= self.top and self.top < MAX_TOP

    def load_more(self) -> None:
        self.top = min(MAX_TOP, self.top + PAGE_SIZE)


def results_target_context(query: str) -> dict:
    """The ``msdyn_search`` tab's app context for a query."""
    return {"searchText": normalize_query(query), "searchType": 0}


def results_title(query: str) -> str:
    """The results tab's title."""
    return f"Search: {normalize_query(query)}"


# -- what tells look-alike hits apart ------------------------------------------------------------------------------
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _text(details: dict, key: str) -> str:
    value = details.get(key)
    return " ".join(value.split()) if isinstance(value, str) else ""


def _label(choices: tuple, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        return ""
    return next((label for code, label in choices if code == value), "")


def _date(value: object) -> str:
    if not isinstance(value, str):
        return ""
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}"


def facts_of(logical: str, details: object) -> tuple[str, ...]:
    """The short facts a result row or lookup option shows after the title, in this order: a case's number,
    customer, status (the state when it is not active, else the status reason), owner and last change; a contact's
    account and e-mail; an account's number, city and e-mail; an article's number and state. Empty facts are left
    out; anything malformed is ignored."""
    if not isinstance(details, dict):
        return ()
    if logical == "incident":
        state = details.get("statecode")
        status = (_label(CASE_STATUS, details.get("statuscode")) if state == 0
                  else _label(CASE_STATE, state)) or _label(CASE_STATE, state)
        owner = _text(details, "owner")
        values = [_text(details, "number"), _text(details, "customer"), status,
                  f"Owner {owner}" if owner else "", _date(details.get("modifiedon"))]
    elif logical == "contact":
        values = [_text(details, "account"), _text(details, "email")]
    elif logical == "account":
        values = [_text(details, "number"), _text(details, "city"), _text(details, "email")]
    elif logical == "knowledgearticle":
        values = [_text(details, "number"), _label(ARTICLE_STATE, details.get("statecode")),
                  _date(details.get("modifiedon"))]
    else:
        values = []
    return tuple(value for value in values if value)
