"""The inbox's views, filters and sort as pure functions, shared by the server (which runs them over the rows of its
queries) and the page (which applies pushed changes with the same rules). Standard library only: the server loads
this file by path, as it does ``casework.productivity_format``.

An item is a plain dict (JSON as the API answers it)::

    {"key": "conversation:<id>", "kind": "conversation" | "case" | "activity" | "email", "id": <record id>,
     "view": <view id>, "customer": str, "channel": str, "subject": str, "preview": str, "time": ISO-8601,
     "since": ISO-8601 (waiting or open since), "unread": int (unread messages; 1/0 for records),
     "live": bool, "statuscode": int, "ownerid": str | None, "queueid": str | None}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

#: The views, in the order the inbox lists them: (id, name, record kinds).
VIEWS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("cases", "Cases", ("case",)),
    ("assigned", "Assigned conversations", ("conversation",)),
    ("unassigned", "Unassigned conversations", ("conversation",)),
    ("resolved", "Resolved conversations", ("conversation",)),
    ("activities", "My activities", ("activity",)),
    ("email", "E-mail", ("email",)),
)
VIEW_IDS = tuple(view for view, _, _ in VIEWS)
VIEW_NAMES = {view: name for view, name, _ in VIEWS}
FILTERS = ("all", "unread", "read")
SORTS = ("date", "customer")
ORDERS = ("desc", "asc")  # desc: latest on top (the default), asc: oldest on top
LIVE_CHANNELS = frozenset({"chat", "voice"})

# Conversation status codes (server/conversations/states.py: Open 1, Active 2, Waiting 3, Closed 4, Wrap-up 5).
OPEN, ACTIVE, WAITING, CLOSED, WRAP_UP = 1, 2, 3, 4, 5
ASSIGNED_STATUSES = frozenset({ACTIVE, WAITING, WRAP_UP})


def profile_views(settings: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The views an agent experience profile shows, in its order: its ``inboxViews`` (ids of :data:`VIEWS`, as
    the reference's profile lists the views an inbox has). Without the key, or with nothing usable in it, every
    view; unknown ids and repeats are skipped (a profile saved before a view was renamed still opens)."""
    chosen = (settings or {}).get("inboxViews")
    if not isinstance(chosen, list):
        return VIEW_IDS
    views = tuple(dict.fromkeys(view for view in chosen if isinstance(view, str) and view in VIEW_IDS))
    return views or VIEW_IDS


def check_profile_views(value: Any) -> None:
    """Raises ``ValueError`` unless ``value`` is a non-empty list of distinct view ids (what an admin may save)."""
    if not isinstance(value, list) or not value:
        raise ValueError(f"inboxViews is a non-empty list of view ids ({', '.join(VIEW_IDS)})")
    for index, view in enumerate(value):
        if view not in VIEW_IDS:
            raise ValueError(f"inboxViews[{index}] is {view!r}, not one of {', '.join(VIEW_IDS)}")
    if len(set(value)) != len(value):
        raise ValueError("inboxViews names a view twice")


class InboxQueryError(ValueError):
    """A query parameter outside its choices; ``field`` names it (the API's ``details.field``)."""

    def __init__(self, name: str, value: Any, choices: Iterable[str]) -> None:
        self.field = name
        self.choices = tuple(choices)
        super().__init__(f"{name} must be one of {', '.join(self.choices)} (got {value!r}).")


@dataclass(frozen=True)
class Query:
    """What one view is asked for: filter, sort key and order."""

    filter: str = "all"
    sort: str = "date"
    order: str = "desc"

    @staticmethod
    def parse(params: Mapping[str, str]) -> Query:
        """Read ``filter``, ``sort``, ``order`` from query parameters (absent: the defaults).

        Raises:
            InboxQueryError: a value outside its choices.
        """
        values = {}
        for name, choices in (("filter", FILTERS), ("sort", SORTS), ("order", ORDERS)):
            value = params.get(name)
            if value is None:
                continue
            if value not in choices:
                raise InboxQueryError(name, value, choices)
            values[name] = value
        return Query(**values)

    def as_params(self) -> dict[str, str]:
        return {"filter": self.filter, "sort": self.sort, "order": self.order}


def view_of(item: Mapping[str, Any], user_id: str, queue_ids: Iterable[str] = ()) -> str | None:
    """The view an item belongs to for ``user_id`` (member of ``queue_ids``), or ``None`` (not in the inbox).

    The same rules as the server's queries (``server/api/inbox.py``), so that a pushed change moves a card between
    views in the page exactly as a refresh would.
    """
    kind, owner = item.get("kind"), item.get("ownerid")
    if kind == "case":
        return "cases" if owner == user_id and item.get("statecode", 0) == 0 else None
    if kind == "conversation":
        status = item.get("statuscode")
        if owner == user_id:
            if status in ASSIGNED_STATUSES:
                return "assigned"
            if status == CLOSED:
                return "resolved"
            return None
        if owner is None and status == OPEN and item.get("queueid") in set(queue_ids):
            return "unassigned"
        return None
    if kind in ("activity", "email"):
        return ("email" if kind == "email" else "activities") if owner == user_id and \
            item.get("statecode", 0) == 0 else None
    return None


def matches(item: Mapping[str, Any], filter_: str) -> bool:
    """Whether ``item`` passes the All / Unread / Read filter."""
    if filter_ == "unread":
        return bool(item.get("unread"))
    if filter_ == "read":
        return not item.get("unread")
    return True


def _date_key(item: Mapping[str, Any]) -> tuple:
    return (item.get("time") or "", item.get("key") or "")


def _customer_key(item: Mapping[str, Any]) -> tuple:
    return ((item.get("customer") or "").casefold(), item.get("time") or "", item.get("key") or "")


def arrange(items: Iterable[Mapping[str, Any]], query: Query) -> list:
    """``items`` filtered by ``query.filter`` and sorted by its key and order (a total order: the item key breaks
    ties, so the page and the server agree on every position). Customer ascending is A→Z; descending Z→A."""
    chosen = [item for item in items if matches(item, query.filter)]  # items are never changed in place
    key = _customer_key if query.sort == "customer" else _date_key
    chosen.sort(key=key, reverse=query.order == "desc")
    return chosen


def counts(items: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """``{"count": items, "unread": unread items}`` (the reference: unread counts accrue to the view's count)."""
    total = unread = 0
    for item in items:
        total += 1
        unread += 1 if item.get("unread") else 0
    return {"count": total, "unread": unread}


# -- the page's state --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InboxState:
    """What the inbox shows: the view, its query, the selected item, and every view's items (by key).

    Immutable: each change gives a new state (``casework.listview`` style), so a test compares whole states.
    """

    view: str = "assigned"
    query: Query = Query()
    selected: str | None = None
    items: Mapping[str, Mapping[str, dict]] = field(default_factory=dict)  # view -> key -> item
    # Derived values of these items: each view's arranged rows per query, and the counts. States made from this one
    # with the same items (a move, a view switch, another sort) share it; new items start an empty one. 1,000 rows
    # sorted again per key press or switch cost ~10-20 ms in the page.
    _derived: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def rows(self) -> list[dict]:
        """The current view's items, filtered and sorted."""
        key = ("rows", self.view, self.query)
        if key not in self._derived:
            self._derived[key] = arrange(self.items.get(self.view, {}).values(), self.query)
        return self._derived[key]

    def _same_items(self, **changes: Any) -> InboxState:
        changed = replace(self, **changes)
        object.__setattr__(changed, "_derived", self._derived)
        return changed

    def _selecting(self, key: str | None) -> InboxState:
        return self._same_items(selected=key)

    def view_counts(self) -> dict[str, dict[str, int]]:
        if "counts" not in self._derived:
            self._derived["counts"] = {view: counts(self.items.get(view, {}).values()) for view in VIEW_IDS}
        return dict(self._derived["counts"])

    def total_unread(self) -> int:
        return sum(c["unread"] for c in self.view_counts().values())

    def with_view(self, view: str) -> InboxState:
        """Raises: InboxQueryError for an unknown view."""
        if view not in VIEW_IDS:
            raise InboxQueryError("view", view, VIEW_IDS)
        return self._same_items(view=view, selected=None)

    def with_query(self, query: Query) -> InboxState:
        return self._same_items(query=query)

    def with_items(self, view: str, items: Iterable[Mapping[str, Any]]) -> InboxState:
        """The view's items replaced by a fresh answer of the server."""
        return replace(self, items={**self.items, view: {item["key"]: dict(item) for item in items}})

    def select(self, key: str | None) -> InboxState:
        return self._selecting(key)

    def move(self, delta: int) -> InboxState:
        """Select the next (``delta`` > 0) or previous row, clamped to the list; none selected: the first."""
        rows = self.rows()
        if not rows:
            return self._selecting(None)
        index = next((n for n, row in enumerate(rows) if row["key"] == self.selected), None)
        if index is None:
            return self._selecting(rows[0]["key"] if delta >= 0 else rows[-1]["key"])
        return self._selecting(rows[min(max(index + delta, 0), len(rows) - 1)]["key"])

    def find(self, key: str) -> dict | None:
        for view_items in self.items.values():
            if key in view_items:
                return view_items[key]
        return None

    def place(self, item: Mapping[str, Any], user_id: str, queue_ids: Iterable[str] = ()) -> InboxState:
        """Put a changed item where the view rules say (removed from every other view; removed altogether when
        it belongs to none). The item keeps fields the change did not carry (``preview``, ``unread``, ...)."""
        key = item["key"]
        merged = {**(self.find(key) or {}), **item}
        target = view_of(merged, user_id, queue_ids)
        if target is not None:
            merged["view"] = target
        items = {view: {k: v for k, v in view_items.items() if k != key} for view, view_items in self.items.items()}
        if target is not None:
            items[target] = {**items.get(target, {}), key: merged}
        selected = self.selected
        if selected == key and target != self.view:
            selected = self._neighbour(key)
        return replace(self, items=items, selected=selected)

    def remove(self, key: str) -> InboxState:
        items = {view: {k: v for k, v in view_items.items() if k != key} for view, view_items in self.items.items()}
        selected = self._neighbour(key) if self.selected == key else self.selected
        return replace(self, items=items, selected=selected)

    def _neighbour(self, key: str) -> str | None:
        """The row after ``key`` in the current list (or before it, at the end): where the selection goes when the
        selected item leaves the view."""
        keys = [row["key"] for row in self.rows()]
        if key not in keys:
            return None
        index = keys.index(key)
        rest = keys[:index] + keys[index + 1:]
        return rest[min(index, len(rest) - 1)] if rest else None

    def mark(self, key: str, unread: int) -> InboxState:
        """Set an item's unread count (0: read) wherever it is."""
        items = {view: {k: ({**v, "unread": unread} if k == key else v) for k, v in view_items.items()}
                 for view, view_items in self.items.items()}
        return replace(self, items=items)

    # -- restore -------------------------------------------------------------------------------------------------

    def dehydrate(self) -> dict:
        """What session restore keeps: view, query and selection (the items come from the server again)."""
        return {"view": self.view, **self.query.as_params(), "selected": self.selected}

    @staticmethod
    def rehydrate(data: Any) -> InboxState:
        """The state saved by :meth:`dehydrate`; anything unusable falls back to the defaults (never raises)."""
        if not isinstance(data, dict):
            return InboxState()
        view = data.get("view") if data.get("view") in VIEW_IDS else InboxState.view
        try:
            query = Query.parse({k: v for k, v in data.items() if k in ("filter", "sort", "order")
                                 and isinstance(v, str)})
        except InboxQueryError:
            query = Query()
        selected = data.get("selected") if isinstance(data.get("selected"), str) else None
        return InboxState(view=view, query=query, selected=selected)


def conversation_item(conversation: Mapping[str, Any], *, preview: str | None = None, unread: int | None = None) \
        -> dict:
    """An inbox item from a conversation as the API and push events give it (``conversation_json``)."""
    item = {"key": f"conversation:{conversation['conversationid']}", "kind": "conversation",
            "id": conversation["conversationid"], "customer": conversation.get("customername") or
            conversation.get("customerhandle") or "", "channel": conversation.get("channel") or "",
            "subject": conversation.get("title") or "", "statuscode": conversation.get("statuscode"),
            "ownerid": conversation.get("ownerid"), "queueid": conversation.get("queueid"),
            "live": conversation.get("channel") in LIVE_CHANNELS and conversation.get("statuscode") != CLOSED,
            "since": conversation.get("createdon") or ""}
    time = conversation.get("lastmessageon") or conversation.get("modifiedon") or conversation.get("createdon")
    if time:
        item["time"] = time
    if preview is not None:
        item["preview"] = preview
    if unread is not None:
        item["unread"] = unread
    return item
