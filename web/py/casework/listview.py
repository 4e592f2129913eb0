"""The state of a list view (the grid) and the query it makes. Pure: no ``js`` or ``pyodide`` import.

A :class:`ListSpec` says what a list can show (entity set, columns, searchable fields, preset views); a
:class:`ListState` is what the agent made of it (view, search text, column filters, sort, page, selection,
scroll). States are immutable: every change returns a new one, so the grid can compare before and after.

:meth:`ListState.query` turns a state into ``RecordClient.list`` arguments. User text only ever enters the
``$filter`` through :func:`casework.records.odata_literal`; field names only come from the spec.
:meth:`ListState.to_dict` / :meth:`ListState.from_dict` carry a state through session restore; restoring never
fails: anything unknown or malformed falls back to the default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from casework.records import odata_literal

ME = "@me"  # a condition value that stands for the signed-in user's id
PAGE_SIZES = (25, 50, 100, 250)
DEFAULT_PAGE_SIZE = 50
MAX_SEARCH = 100
MAX_SELECTION = 500
_OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le")


@dataclass(frozen=True)
class Condition:
    """``field op value`` (``value`` may be :data:`ME`; ``None`` means null)."""

    field: str
    op: str
    value: Any

    def odata(self, me: str | None) -> str:
        if self.op not in _OPERATORS:
            raise ValueError(f"unknown operator {self.op!r}")
        value = me if self.value == ME else self.value
        return f"{self.field} {self.op} {odata_literal(value)}"


@dataclass(frozen=True)
class View:
    """A preset view: a name and the conditions every row meets (joined with ``and``; a tuple inside the
    conditions is a group joined with ``or``)."""

    key: str
    label: str
    conditions: tuple[Condition | tuple[Condition, ...], ...] = ()
    order: tuple[str, bool] | None = None  # the view's own default sort: (column, descending)


@dataclass(frozen=True)
class ListSpec:
    """What a list can show.

    Attributes:
        entity_set: API entity set.
        key: The records' id field.
        columns: Field names shown, in order (the first is the record's name, the one that opens it).
        search: Text fields the search box looks in (``contains``, any of them).
        views: Preset views (the first is the default); at least one.
        order: Default sort ``(column, descending)``.
        sortable: Columns that may be sorted (all ``columns`` when empty).
        extra_select: Fields fetched but not shown (the type of a polymorphic lookup).
        filterable: Column filters allowed: ``{field: ((value, label), ...)}``.
        sort_fields: What a column sorts by when that is not the column itself: a lookup column by the name it
            shows (``{"customerid": "customeridname"}``, the server's lookup names).
    """

    entity_set: str
    key: str
    columns: tuple[str, ...]
    search: tuple[str, ...]
    views: tuple[View, ...]
    order: tuple[str, bool]
    sortable: tuple[str, ...] = ()
    extra_select: tuple[str, ...] = ()
    filterable: dict[str, tuple[tuple[Any, str], ...]] = field(default_factory=dict)
    sort_fields: dict[str, str] = field(default_factory=dict)

    def sort_field(self, column: str) -> str:
        """The field ``$orderby`` names for sorting by ``column``."""
        return self.sort_fields.get(column, column)

    def view(self, key: str) -> View:
        """The view named ``key`` (the default view when there is none)."""
        return next((view for view in self.views if view.key == key), self.views[0])

    def can_sort(self, column: str) -> bool:
        return column in (self.sortable or self.columns)

    def default_state(self) -> ListState:
        first = self.views[0]
        column, descending = first.order or self.order
        return ListState(view=first.key, sort=column, descending=descending)


@dataclass(frozen=True)
class ListState:
    """What the agent made of a list. Every method returns a new state.

    Attributes:
        view: The preset view's key.
        search: Text typed in the search box.
        filters: Column filters ``((field, value), ...)``: the column equals the value.
        sort / descending: Sort column and direction.
        page: Page index, from 0.
        page_size: Rows per page.
        selected: Ids of selected rows (in selection order).
        anchor: The row a Shift-selection extends from.
        focus: The id of the row with keyboard focus.
        scroll: The grid's scroll offset in pixels.
    """

    view: str = ""
    search: str = ""
    filters: tuple[tuple[str, Any], ...] = ()
    sort: str = ""
    descending: bool = False
    page: int = 0
    page_size: int = DEFAULT_PAGE_SIZE
    selected: tuple[str, ...] = ()
    anchor: str | None = None
    focus: str | None = None
    scroll: int = 0

    # -- the query
    def filter_text(self, spec: ListSpec, me: str | None) -> str | None:
        """The ``$filter`` of this state (``None`` when every row qualifies)."""
        parts = []
        for condition in spec.view(self.view).conditions:
            if isinstance(condition, tuple):
                parts.append("(" + " or ".join(c.odata(me) for c in condition) + ")")
            else:
                parts.append(condition.odata(me))
        for name, value in self.filters:
            if name in spec.filterable:
                parts.append(f"{name} eq {odata_literal(value)}")
        text = self.search.strip()
        if text and spec.search:
            literal = odata_literal(text)
            parts.append("(" + " or ".join(f"contains({name},{literal})" for name in spec.search) + ")")
        return " and ".join(parts) or None

    def orderby(self, spec: ListSpec) -> str:
        """The ``$orderby``: the sort column, then (for rows equal on it) the view's default order, so equal keys
        come in a meaningful second order (newest first, say) rather than by id."""
        column, descending = (self.sort, self.descending) if spec.can_sort(self.sort) else (
            spec.view(self.view).order or spec.order)
        text = f"{spec.sort_field(column)} {'desc' if descending else 'asc'}"
        second, second_descending = spec.view(self.view).order or spec.order
        if second != column:
            text += f",{spec.sort_field(second)} {'desc' if second_descending else 'asc'}"
        return text

    def query(self, spec: ListSpec, me: str | None) -> dict:
        """Keyword arguments for ``RecordClient.list(spec.entity_set, **query)``: this page, with a count."""
        select = [spec.key, *spec.columns, *(name for name in spec.extra_select if name not in spec.columns)]
        return {"filter": self.filter_text(spec, me), "select": list(dict.fromkeys(select)),
                "orderby": self.orderby(spec), "top": self.page_size, "skip": self.page * self.page_size,
                "count": True}

    # -- changes that start over at the first page
    def with_search(self, text: str) -> ListState:
        text = text.replace("\x00", "")[:MAX_SEARCH]  # no stored text holds NUL; the server refuses it in a filter
        if text == self.search:
            return self
        return replace(self, search=text, page=0, selected=(), anchor=None, focus=None, scroll=0)

    def with_view(self, spec: ListSpec, key: str) -> ListState:
        view = spec.view(key)
        if view.key == self.view:
            return self
        column, descending = view.order or spec.order
        return replace(self, view=view.key, filters=(), sort=column, descending=descending, page=0, selected=(),
                       anchor=None, focus=None, scroll=0)

    def with_filter(self, name: str, value: Any) -> ListState:
        """Filter a column on ``value`` (``None`` removes the column's filter)."""
        others = tuple((n, v) for n, v in self.filters if n != name)
        filters = others if value is None else (*others, (name, value))
        if filters == self.filters:
            return self
        return replace(self, filters=filters, page=0, selected=(), anchor=None, focus=None, scroll=0)

    @property
    def narrowed(self) -> bool:
        """Whether a search or a column filter narrows the list (then "Clear all" has something to clear)."""
        return bool(self.search.strip() or self.filters)

    def cleared(self) -> ListState:
        """Every column filter and the search removed (the view and sort stay)."""
        if not self.narrowed:
            return self
        return replace(self, search="", filters=(), page=0, selected=(), anchor=None, focus=None, scroll=0)

    def toggle_sort(self, spec: ListSpec, column: str) -> ListState:
        """Sort by ``column``: ascending first, the other direction when it is already the sort column."""
        if not spec.can_sort(column):
            return self
        descending = not self.descending if column == self.sort else False
        return replace(self, sort=column, descending=descending, page=0, scroll=0)

    def with_page_size(self, size: int) -> ListState:
        size = size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE
        return self if size == self.page_size else replace(self, page_size=size, page=0, scroll=0)

    # -- paging
    def page_count(self, total: int | None) -> int | None:
        return None if total is None else max(1, math.ceil(total / self.page_size))

    def go_to(self, page: int, total: int | None = None) -> ListState:
        """Page ``page`` (clamped to the pages ``total`` rows make; selection kept, focus reset)."""
        last = self.page_count(total)
        page = max(0, page if last is None else min(page, last - 1))
        return self if page == self.page else replace(self, page=page, focus=None, scroll=0)

    def has_next(self, total: int | None, next_link: bool = False) -> bool:
        return next_link if total is None else (self.page + 1) * self.page_size < total

    def has_previous(self) -> bool:
        return self.page > 0

    def pager_label(self, total: int | None, shown: int) -> str:
        """``"1–50 of 5,000"`` (``"No records"`` when empty)."""
        if shown == 0:
            return "No records" if not total else f"0 of {total:,}"
        first = self.page * self.page_size + 1
        last = first + shown - 1
        return f"{first:,}–{last:,}" + (f" of {total:,}" if total is not None else "")

    # -- selection
    def click(self, row_ids: list[str], row_id: str, *, shift: bool = False, ctrl: bool = False) -> ListState:
        """Select as a click does: alone; with Ctrl toggled; with Shift the range from the anchor (added to the
        selection with Ctrl too)."""
        if row_id not in row_ids:
            return self
        if shift and self.anchor in row_ids:
            start, end = sorted((row_ids.index(self.anchor), row_ids.index(row_id)))
            span = tuple(row_ids[start:end + 1])
            base = self.selected if ctrl else ()
            return replace(self, selected=_unique(base + span), focus=row_id)
        if ctrl:
            selected = tuple(i for i in self.selected if i != row_id) if row_id in self.selected else (
                *self.selected, row_id)
            return replace(self, selected=selected[-MAX_SELECTION:], anchor=row_id, focus=row_id)
        return replace(self, selected=(row_id,), anchor=row_id, focus=row_id)

    def toggle(self, row_id: str) -> ListState:
        """Space or a row's checkbox: toggle one row, keep the others."""
        return self.click([row_id], row_id, ctrl=True)

    def select_page(self, row_ids: list[str]) -> ListState:
        """Ctrl+A or the header checkbox: select every row on the page (clear them when all are selected)."""
        if row_ids and all(i in self.selected for i in row_ids):
            return replace(self, selected=tuple(i for i in self.selected if i not in row_ids))
        return replace(self, selected=_unique(self.selected + tuple(row_ids))[-MAX_SELECTION:])

    def clear_selection(self) -> ListState:
        return replace(self, selected=(), anchor=None)

    def retain(self, row_ids: list[str]) -> ListState:
        """After a reload: keep selection and focus only for rows still shown."""
        shown = set(row_ids)
        selected = tuple(i for i in self.selected if i in shown)
        anchor = self.anchor if self.anchor in shown else None
        focus = self.focus if self.focus in shown else None
        if (selected, anchor, focus) == (self.selected, self.anchor, self.focus):
            return self
        return replace(self, selected=selected, anchor=anchor, focus=focus)

    def move_focus(self, row_ids: list[str], step: int) -> ListState:
        """Arrow keys: the focus moves ``step`` rows (clamped); ``step`` of ±10**6 goes to the ends."""
        if not row_ids:
            return self
        index = row_ids.index(self.focus) if self.focus in row_ids else (-1 if step > 0 else len(row_ids))
        target = row_ids[max(0, min(len(row_ids) - 1, index + step))]
        return replace(self, focus=target)

    def with_focus(self, row_id: str | None) -> ListState:
        return self if row_id == self.focus else replace(self, focus=row_id)

    def with_scroll(self, offset: float) -> ListState:
        offset = max(0, int(offset))
        return self if offset == self.scroll else replace(self, scroll=offset)

    # -- session restore
    def to_dict(self) -> dict:
        """A JSON-ready dict (the selection is kept: it is what the agent was about to act on)."""
        return {"view": self.view, "search": self.search, "filters": [[n, v] for n, v in self.filters],
                "sort": self.sort, "descending": self.descending, "page": self.page, "pageSize": self.page_size,
                "selected": list(self.selected), "anchor": self.anchor, "focus": self.focus, "scroll": self.scroll}

    @classmethod
    def from_dict(cls, spec: ListSpec, data: Any) -> ListState:
        """A state from :meth:`to_dict`'s output; whatever is missing or malformed takes its default."""
        state = spec.default_state()
        if not isinstance(data, dict):
            return state
        view = data.get("view")
        if isinstance(view, str) and any(v.key == view for v in spec.views):
            state = state.with_view(spec, view)
        search = data.get("search")
        if isinstance(search, str):
            state = replace(state, search=search[:MAX_SEARCH])
        filters = data.get("filters")
        if isinstance(filters, list):
            kept = []
            for item in filters:
                if (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                        and item[0] in spec.filterable
                        and any(item[1] == value and type(item[1]) is type(value)
                                for value, _ in spec.filterable[item[0]])):
                    kept.append((item[0], item[1]))
            state = replace(state, filters=tuple(dict(kept).items()))
        sort = data.get("sort")
        if isinstance(sort, str) and spec.can_sort(sort):
            descending = data.get("descending")
            state = replace(state, sort=sort, descending=descending if isinstance(descending, bool) else False)
        size = data.get("pageSize")
        if _is_int(size) and size in PAGE_SIZES:
            state = replace(state, page_size=size)
        page = data.get("page")
        if _is_int(page) and 0 <= page <= 100_000:
            state = replace(state, page=page)
        selected = data.get("selected")
        if isinstance(selected, list):
            ids = tuple(i for i in selected if isinstance(i, str) and 0 < len(i) <= 100)
            state = replace(state, selected=_unique(ids)[-MAX_SELECTION:])
        for name in ("anchor", "focus"):
            value = data.get(name)
            if isinstance(value, str) and 0 < len(value) <= 100:
                state = replace(state, **{name: value})
        scroll = data.get("scroll")
        if isinstance(scroll, int | float) and not isinstance(scroll, bool) and math.isfinite(scroll):
            state = state.with_scroll(min(scroll, 10_000_000))
        return state


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _unique(ids: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))
