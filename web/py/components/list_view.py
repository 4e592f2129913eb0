"""A reusable list (grid) of records: search in place, view and column filters, sortable headers, a pager,
multi-select with a checkbox column, keyboard, loading/empty/error states, lookups shown as names.

The state (what is filtered, sorted, paged, selected, the scroll offset) is a pure
:class:`casework.listview.ListState`; this class only draws it and turns clicks and keys into new states. The DOM is
built once per list and kept for the tab's life: a reload replaces the rows only (and not even those when nothing
changed), so switching tabs or sessions never loses anything, and ``ListView.state`` goes into the page's view state
for session restore.

Keyboard on the rows (roving focus, ARIA grid pattern): arrows and Home/End move, Shift+arrows extend the selection,
Space toggles the row, Ctrl+A selects the page, Enter opens, Delete deletes the selection (after a confirmation).

Every write through the record client is announced on the record bus; the list listens for its entity sets and
reloads its page at once when visible, or when it is shown next.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import js

from browser.dom import active_element, found, h, on, soon, text
from casework.entities import entity
from casework.list_layout import column_widths, table_min_em
from casework.listcatalog import cell_text, column_label, column_width, is_overdue, lookup_queries, record_title
from casework.listview import PAGE_SIZES, ListSpec, ListState
from casework.recordbus import DELETED, RecordChange
from casework.records import Page as RecordPage
from casework.records import RecordError
from components.lookup import remember_name
from components.pages import Page

SEARCH_DELAY = 0.25  # seconds of typing quiet before the search runs


@dataclass
class Action:
    """A toolbar button: ``run(selected records)``; ``needs`` is how many selected rows it needs (0, 1 = one or
    more)."""

    label: str
    run: Callable[[list[dict]], Any]
    needs: int = 0
    kind: str = "secondary"
    name: str = ""


def _names(services: Any) -> dict[str, str]:
    """The page-wide cache of lookup names by id (one per page, shared by every list)."""
    cache = services.lookup_names
    if cache is None:
        cache = services.lookup_names = {}

        def remember(change: RecordChange) -> None:
            if change.kind == DELETED:
                cache.pop(change.record_id, None)
            elif change.record is not None and change.record_id in cache:
                cache[change.record_id] = record_title(change.entity_set, change.record)

        services.bus.subscribe(remember)
    return cache


class ListView:
    """One grid over ``spec``, living inside ``page`` (for services, visibility, spawning and state changes).

    Args:
        page: The hosting page.
        spec: What the list shows.
        title: Its heading (and the grid's accessible name).
        state: A saved ``ListState.to_dict()`` (restore); ``None`` for the default.
        on_open: Opens a row's record.
        actions: Toolbar buttons.
        on_delete: When given, Delete (key and button) deletes the selected rows after a confirmation.
        watch: Entity sets whose changes reload this list (default: the spec's own).
        name: A short name for tests and CSS (``data-list``).
        heading_level: ``h2`` on a dashboard, ``h1`` for a list page.
    """

    def __init__(self, page: Page, spec: ListSpec, *, title: str, state: dict | None, on_open: Callable[[dict], Any],
                 actions: list[Action] | None = None, on_delete: Callable[[list[dict]], Any] | None = None,
                 watch: tuple[str, ...] = (), name: str = "", heading_level: str = "h2") -> None:
        self.page = page
        self.services = page.services
        self.spec = spec
        self.title = title
        self.state = ListState.from_dict(spec, state) if state else spec.default_state()
        self.on_open = on_open
        self.actions = actions or []
        self.on_delete = on_delete
        self.watch = watch or (spec.entity_set,)
        self.name = name or spec.entity_set
        self.heading_level = heading_level
        self.records: list[dict] = []
        self.total: int | None = None
        self.next_link = False
        self.loaded = False
        self.stale = False
        self._names = _names(self.services)
        self._load_seq = 0
        self._search_seq = 0
        self._loading: asyncio.Future | None = None
        self._reload_again = False
        self._rendered_key: tuple = ()
        self._row_marks: dict[str, tuple[bool, bool]] = {}  # row id -> (selected, focusable) as last set in the DOM
        self._restore_scroll = self.state.scroll
        self._lookup_cells: list[tuple[Any, str]] = []
        self._action_buttons: list[tuple[Any, Action]] = []
        self._offset = -int(js.Date.new().getTimezoneOffset())
        self.element: Any = None

    # -- building ---------------------------------------------------------------------------------------------------

    def mount(self) -> Any:
        """Build the list's DOM (once), subscribe to the bus, start loading; returns the root element."""
        slug = f"{self.page.tab_id}-{self.name}".replace(".", "-")
        heading_id = f"list-title-{slug}"
        self.count_badge = h("span", {"class": "list-count"}, "")
        heading = h(self.heading_level, {"class": "list-title", "id": heading_id}, self.title, " ", self.count_badge)
        toolbar = h("div", {"class": "list-toolbar", "role": "toolbar", "aria-label": f"{self.title} actions"})
        for action in self.actions:
            button = h("button", {"type": "button", "class": f"button-{action.kind} list-action",
                                  "data-action": action.name or action.label}, action.label)
            on(button, "click", lambda _event, a=action: self._run(a))
            toolbar.appendChild(button)
            self._action_buttons.append((button, action))
        if self.on_delete is not None:
            delete = Action("Delete", self._delete_selected, needs=1, name="delete")
            button = h("button", {"type": "button", "class": "button-secondary list-action", "data-action": "delete",
                                  "aria-keyshortcuts": "Delete"}, "Delete")
            on(button, "click", lambda _event: self._run(delete))
            toolbar.appendChild(button)
            self._action_buttons.append((button, delete))
        refresh = h("button", {"type": "button", "class": "button-secondary list-action", "data-action": "refresh",
                               "title": "Refresh", "aria-label": f"Refresh {self.title}"}, "↻")
        on(refresh, "click", lambda _event: self.reload())
        toolbar.appendChild(refresh)

        filters = h("div", {"class": "list-filters"})
        if len(self.spec.views) > 1:
            self.view_select = h("select", {"class": "list-view-select", "aria-label": "View"},
                                 *(h("option", {"value": v.key}, v.label) for v in self.spec.views))
            self.view_select.value = self.state.view
            on(self.view_select, "change", lambda _e: self._change(self.state.with_view(self.spec,
                                                                                          self.view_select.value)))
            filters.appendChild(self.view_select)
        self.filter_selects: dict[str, Any] = {}
        for field_name, choices in self.spec.filterable.items():
            label = column_label(self.spec.entity_set, field_name)
            select = h("select", {"class": "list-filter", "aria-label": f"Filter by {label}",
                                  "data-field": field_name},
                       h("option", {"value": ""}, f"{label}: all"),
                       # "Priority: High", not "High": the closed select shows the chosen option only
                       *(h("option", {"value": str(i)}, f"{label}: {option_label}")
                         for i, (_, option_label) in enumerate(choices)))
            on(select, "change", lambda _e, f=field_name, s=select, c=choices: self._change(
                self.state.with_filter(f, c[int(s.value)][0] if s.value else None)))
            self.filter_selects[field_name] = select
            filters.appendChild(select)
        self.search_box = h("input", {"type": "search", "class": "list-search", "placeholder": "Search this list",
                                      "aria-label": f"Search {self.title}", "maxlength": "100"})
        self.search_box.value = self.state.search
        on(self.search_box, "input", lambda _e: self._search_typed())
        on(self.search_box, "keydown", self._search_key)
        filters.appendChild(self.search_box)
        self.clear_all = h("button", {"type": "button", "class": "button-secondary list-clear-all", "hidden": True},
                           "Clear all")
        on(self.clear_all, "click", lambda _e: self._change(self.state.cleared()))
        filters.appendChild(self.clear_all)

        self.status = h("div", {"class": "list-status", "role": "status", "aria-live": "polite"})
        self.error = h("div", {"class": "list-error", "role": "alert", "hidden": True})
        self.select_all = h("input", {"type": "checkbox", "class": "list-check",
                                      "aria-label": "Select all rows on this page"})
        on(self.select_all, "click", lambda _e: self._change(self.state.select_page(self._ids()), reload=False))
        self.header_row = h("tr", {"role": "row"}, h("th", {"class": "list-check-cell", "scope": "col"},
                                                     self.select_all))
        self.sort_headers: dict[str, Any] = {}
        widths = column_widths(self.spec.entity_set, self.spec.columns)  # readable, not cut (item 8)
        for column, fit in zip(self.spec.columns, widths, strict=True):
            label = column_label(self.spec.entity_set, column)
            width = column_width(self.spec.entity_set, column)
            style = fit.css or None
            if self.spec.can_sort(column):
                button = h("button", {"type": "button", "class": "list-sort"}, label,
                           h("span", {"class": "list-sort-mark", "aria-hidden": "true"}))
                on(button, "click", lambda _e, c=column: self._change(self.state.toggle_sort(self.spec, c)))
                cell = h("th", {"role": "columnheader", "scope": "col", "class": f"w-{width}", "style": style,
                                "data-column": column}, button)
                self.sort_headers[column] = cell
            else:
                cell = h("th", {"role": "columnheader", "scope": "col", "class": f"w-{width}", "style": style,
                                "data-column": column}, label)
            self.header_row.appendChild(cell)
        self.body = h("tbody", {"class": "list-rows"})
        self.grid = h("table", {"class": "list-grid", "role": "grid", "aria-labelledby": heading_id,
                                "aria-multiselectable": "true", "aria-rowcount": "-1",
                                "style": f"min-width: {table_min_em(widths)}em"},
                      h("thead", None, self.header_row), self.body)
        on(self.body, "click", self._row_click)
        on(self.body, "dblclick", self._row_dblclick)
        on(self.body, "keydown", self._row_key)
        self.empty = h("div", {"class": "list-empty", "hidden": True}, "Nothing to show here.")
        self.scroller = h("div", {"class": "list-scroll"}, self.grid, self.empty)
        on(self.scroller, "scroll", lambda _e: self._scrolled())

        self.pager_label = h("span", {"class": "list-pager-label"}, "")
        self.previous_button = h("button", {"type": "button", "class": "button-secondary list-previous",
                                            "aria-label": "Previous page"}, "‹ Previous")
        self.next_button = h("button", {"type": "button", "class": "button-secondary list-next",
                                        "aria-label": "Next page"}, "Next ›")
        on(self.previous_button, "click", lambda _e: self._change(self.state.go_to(self.state.page - 1, self.total)))
        on(self.next_button, "click", lambda _e: self._change(self.state.go_to(self.state.page + 1)))
        self.size_select = h("select", {"class": "list-size", "aria-label": "Rows per page"},
                             *(h("option", {"value": str(size)}, f"{size} per page") for size in PAGE_SIZES))
        self.size_select.value = str(self.state.page_size)
        on(self.size_select, "change", lambda _e: self._change(self.state.with_page_size(int(self.size_select.value))))
        pager = h("div", {"class": "list-pager"}, self.pager_label, self.size_select, self.previous_button,
                  self.next_button)

        self.element = h("section", {"class": "list-view", "data-list": self.name, "aria-labelledby": heading_id},
                         h("div", {"class": "list-head"}, heading, toolbar), filters, self.error, self.status,
                         self.scroller, pager)
        self._sync_controls()
        for entity_set in self.watch:
            self.page.keep(self.services.bus.subscribe(self._changed, entity_set=entity_set))
        self.reload()
        return self.element

    # -- loading ----------------------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Load the current page again (coalesced: a reload asked while one runs runs once more after it)."""
        if self._loading is not None and not self._loading.done():
            self._reload_again = True
            return
        self.stale = False
        self._loading = self.page.spawn(self._load())

    async def _load(self) -> None:
        try:
            await self._load_once()
        finally:
            if self._reload_again:  # asked while this one ran (lookups included): once more, with the new state
                self._reload_again = False
                self._loading = self.page.spawn(self._load())

    async def _load_once(self) -> None:
        self._load_seq += 1
        seq = self._load_seq
        self.grid.setAttribute("aria-busy", "true")
        self.element.classList.add("is-loading")
        if not self.loaded:
            text(self.status, "Loading…")
        try:
            result: RecordPage = await self.services.client.list(
                self.spec.entity_set, **self.state.query(self.spec, self.services.agent.user_id))
        except RecordError as error:
            if seq == self._load_seq:
                self._show_error(error.message or f"The server answered {error.status}.")
            return
        finally:
            if seq == self._load_seq:
                self.grid.removeAttribute("aria-busy")
                self.element.classList.remove("is-loading")
        if seq != self._load_seq or self._reload_again:
            return  # a newer state is waiting: do not paint this one
        self.error.hidden = True
        self.records = result.records
        self.total = result.count
        self.next_link = bool(result.next_link)
        if not self.records and self.state.page > 0 and self.total:  # the page emptied (rows deleted): step back
            self._reload_again = True
            self.state = self.state.go_to(self.state.page - 1, self.total)
            self.page.state_changed()
            return
        self.loaded = True
        kept = self.state.retain(self._ids())
        if kept is not self.state:
            self.state = kept
            self.page.state_changed()
        self._render()
        await self._resolve_lookups(seq)

    def _show_error(self, message: str) -> None:
        self.error.replaceChildren(h("span", None, f"This list could not load: {message}"), " ",
                                   self._retry_button())
        self.error.hidden = False
        text(self.status, "")

    def _retry_button(self) -> Any:
        button = h("button", {"type": "button", "class": "button-secondary"}, "Try again")
        on(button, "click", lambda _e: self.reload())
        return button

    async def _resolve_lookups(self, seq: int) -> None:
        requests = lookup_queries(self.records, self.spec.columns, set(self._names))
        for target, filter_text, count in requests:
            meta = entity(target)
            try:
                found = await self.services.client.list(target, filter=filter_text, select=[meta.key, meta.primary],
                                                        top=count)
            except RecordError:
                continue  # the ids stay shown as "…"; the list itself is fine
            for record in found.records:
                name = self._names[str(record[meta.key])] = record_title(target, record)
                remember_name(meta.logical, str(record[meta.key]), name)  # forms opened from here need no request
            for record_id in filter_text.split("'")[1::2]:
                self._names.setdefault(record_id, "(not found)")
        if seq == self._load_seq:
            for cell, record_id in self._lookup_cells:
                text(cell, self._names.get(record_id, "…"))

    # -- rendering --------------------------------------------------------------------------------------------------

    def _ids(self) -> list[str]:
        return [str(record.get(self.spec.key)) for record in self.records]

    def _render(self) -> None:
        key = tuple((r.get(self.spec.key), r.get("@odata.etag")) for r in self.records)
        if key != self._rendered_key:  # rows changed: rebuild them (the rest of the list stays as it is)
            self._rendered_key = key
            had_focus = self.body.contains(active_element())
            self._lookup_cells = []
            rows = [self._row(index, record) for index, record in enumerate(self.records)]
            self.body.replaceChildren(*rows)
            self._row_marks = {}  # fresh rows: none selected, none focusable
            if had_focus:
                self._focus_row()
        self._sync_rows()
        self._sync_controls()
        if self._restore_scroll is not None:
            self.scroller.scrollTop = self._restore_scroll
            self._restore_scroll = None

    @property
    def _now_iso(self) -> str:
        return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")

    def _row(self, index: int, record: dict) -> Any:
        record_id = str(record.get(self.spec.key))
        name = record_title(self.spec.entity_set, record)
        check = h("input", {"type": "checkbox", "class": "list-check", "tabindex": "-1",
                            "aria-label": f"Select {name}"})
        row = h("tr", {"role": "row", "data-id": record_id, "aria-rowindex": str(index + 2), "tabindex": "-1"},
                h("td", {"class": "list-check-cell", "role": "gridcell"}, check))
        for position, column in enumerate(self.spec.columns):
            value = cell_text(self.spec.entity_set, column, record, self._names, self._offset)
            if position == 0:
                content = h("a", {"href": "#", "class": "list-open", "tabindex": "-1"}, value or name)
            else:
                content = value
            overdue = is_overdue(column, record, self._now_iso)
            if overdue:  # said in words too (not by colour alone)
                content = [h("span", {"class": "list-overdue-badge"}, "Overdue"), " ", value]
            cell = h("td", {"role": "gridcell", "data-column": column, "title": value or None,
                            "class": "is-overdue" if overdue else None}, content)
            if record.get(column) and value == "…":
                self._lookup_cells.append((cell, str(record[column])))
            row.appendChild(cell)
        return row

    def _sync_rows(self) -> None:
        """Mark rows selected (checkbox, aria-selected) and the focus row focusable (roving tabindex).

        Only rows whose marks change are touched: a click that moves the focus row updates two rows, not the page
        (each DOM call from Python costs a proxy crossing; all 50 rows took 3-7 ms right after opening a record)."""
        selected = set(self.state.selected)
        ids = self._ids()
        focus = self.state.focus if self.state.focus in ids else (ids or [None])[0]
        marks = self._row_marks
        rows = None
        for index, row_id in enumerate(ids):
            wanted = (row_id in selected, row_id == focus)
            if marks.get(row_id) == wanted:
                continue
            if rows is None:
                rows = self.body.rows
            row = rows.item(index)
            if not row or row.dataset.id != row_id:  # not rendered yet (or already replaced)
                continue
            row.setAttribute("aria-selected", "true" if wanted[0] else "false")
            row.cells.item(0).firstChild.checked = wanted[0]
            row.setAttribute("tabindex", "0" if wanted[1] else "-1")
            marks[row_id] = wanted

    def _sync_controls(self) -> None:
        state = self.state
        for column, cell in self.sort_headers.items():
            sort = ("descending" if state.descending else "ascending") if column == state.sort else "none"
            cell.setAttribute("aria-sort", sort)
            cell.querySelector(".list-sort-mark").textContent = {"ascending": " ▲", "descending": " ▼"}.get(sort, "")
        self.size_select.value = str(state.page_size)
        if hasattr(self, "view_select"):
            self.view_select.value = state.view
        for field_name, select in self.filter_selects.items():
            chosen = dict(state.filters).get(field_name)
            choices = self.spec.filterable[field_name]
            select.value = next((str(i) for i, (v, _) in enumerate(choices) if chosen is not None and v == chosen),
                                "")
        if self.search_box.value != state.search and active_element() != self.search_box:
            self.search_box.value = state.search
        self.clear_all.hidden = not state.narrowed
        if not state.narrowed and active_element() != self.search_box:
            self.search_box.value = ""
        ids = self._ids()
        chosen = [i for i in ids if i in state.selected]
        self.select_all.checked = bool(ids) and len(chosen) == len(ids)
        self.select_all.indeterminate = 0 < len(chosen) < len(ids)
        if self.loaded:
            self.count_badge.textContent = f"({self.total:,})" if self.total is not None else ""
            label = state.pager_label(self.total, len(self.records))
            text(self.pager_label, label)
            self.empty.hidden = bool(self.records)
            self.empty.textContent = ("No records match your search or filters." if state.search or state.filters
                                      else "Nothing to show here.")
            text(self.status, f"{len(chosen)} selected" if chosen else "")
        self.previous_button.disabled = not state.has_previous()
        self.next_button.disabled = not state.has_next(self.total, self.next_link)
        for button, action in self._action_buttons:
            button.disabled = action.needs > 0 and not chosen

    def _rows(self) -> list:
        return list(self.body.querySelectorAll("tr[data-id]"))

    def _focus_row(self) -> None:
        focus = self.state.focus
        for row in self._rows():
            if row.dataset.id == focus:
                row.focus()  # focusing scrolls the row into view
                return

    # -- changes ----------------------------------------------------------------------------------------------------

    def _change(self, state: ListState, reload: bool = True) -> None:
        """Adopt a new state: say so to the page (session restore), redraw, and reload when the query changed."""
        if state is self.state:
            self._sync_controls()
            return
        before = self.state.query(self.spec, None)
        self.state = state
        self.page.state_changed()
        self._sync_rows()
        self._sync_controls()
        if reload and state.query(self.spec, None) != before:
            self.scroller.scrollTop = 0
            self.reload()

    def _search_typed(self) -> None:
        self._search_seq += 1
        seq = self._search_seq

        async def later() -> None:
            await asyncio.sleep(SEARCH_DELAY)
            if seq == self._search_seq:
                self._change(self.state.with_search(self.search_box.value))

        self.page.spawn(later())

    def _search_key(self, event: Any) -> None:
        if event.key == "Enter":
            event.preventDefault()
            self._search_seq += 1
            self._change(self.state.with_search(self.search_box.value))
        elif event.key == "Escape" and self.search_box.value:
            event.preventDefault()
            self.search_box.value = ""
            self._search_seq += 1
            self._change(self.state.with_search(""))

    def _scrolled(self) -> None:
        # A hidden panel's scroller may report 0: only the agent's own scrolling (visible list) counts.
        if self._restore_scroll is None and self.page.visible:
            state = self.state.with_scroll(self.scroller.scrollTop)
            if state is not self.state:
                self.state = state
                self.page.state_changed()

    def _changed(self, change: RecordChange) -> None:
        """A record of a watched set changed somewhere: reload now if shown, else when shown."""
        if self.page.visible:
            self.reload()
        else:
            self.stale = True

    def shown(self) -> None:
        """The list's tab is visible again: catch up on changes it skipped, and put the scroll offset back (the
        panel becomes visible right after this call, hence also on the next task)."""
        if self.stale:
            self.reload()
        self._put_scroll_back()
        soon(self._put_scroll_back)

    def _put_scroll_back(self) -> None:
        if self._restore_scroll is None and self.scroller.scrollTop != self.state.scroll:
            self.scroller.scrollTop = self.state.scroll

    # -- rows: mouse and keyboard -----------------------------------------------------------------------------------

    def _record(self, row_id: str | None) -> dict | None:
        return next((r for r in self.records if str(r.get(self.spec.key)) == row_id), None)

    def selected_records(self) -> list[dict]:
        return [r for r in self.records if str(r.get(self.spec.key)) in self.state.selected]

    def _row_click(self, event: Any) -> None:
        row = found(event.target.closest("tr[data-id]"))
        if row is None:
            return
        row_id = row.dataset.id
        if event.target.closest("a.list-open"):
            event.preventDefault()
            self._open(row_id)
            # The row's focus after the open: its requests are queued first, off this bookkeeping's path
            asyncio.get_event_loop().call_soon(
                lambda: self._change(self.state.with_focus(row_id), reload=False))
            return
        if event.target.classList.contains("list-check"):
            self._change(self.state.toggle(row_id), reload=False)
        else:
            self._change(self.state.click(self._ids(), row_id, shift=event.shiftKey,
                                          ctrl=event.ctrlKey or event.metaKey), reload=False)
        row.focus()

    def _row_dblclick(self, event: Any) -> None:
        row = event.target.closest("tr[data-id]")
        if row and not event.target.closest("a.list-open"):
            self._open(row.dataset.id)

    def _row_key(self, event: Any) -> None:
        key = event.key
        ids = self._ids()
        ctrl = event.ctrlKey or event.metaKey
        steps = {"ArrowDown": 1, "ArrowUp": -1, "Home": -10**6, "End": 10**6, "PageDown": 10, "PageUp": -10}
        if key in steps and not event.altKey:
            state = self.state.move_focus(ids, steps[key])
            if event.shiftKey and state.focus:
                state = state.click(ids, state.focus, shift=True, ctrl=ctrl)
            self._change(state, reload=False)
            self._focus_row()
        elif key == " " and self.state.focus:
            self._change(self.state.toggle(self.state.focus), reload=False)
        elif key == "Enter" and self.state.focus:
            self._open(self.state.focus)
        elif key.lower() == "a" and ctrl and not event.altKey:
            self._change(self.state.select_page(ids), reload=False)
        elif key == "Delete" and self.on_delete is not None and not ctrl:
            self._run(Action("Delete", self._delete_selected, needs=1))
        else:
            return
        event.preventDefault()
        event.stopPropagation()

    def _open(self, row_id: str) -> None:
        record = self._record(row_id)
        if record is not None:
            result = self.on_open(record)
            if asyncio.iscoroutine(result):
                self.page.spawn(result)

    def _run(self, action: Action) -> None:
        chosen = self.selected_records()
        if action.needs and not chosen:
            self.services.notify("Select one or more rows first.", "nothing_selected")
            return
        result = action.run(chosen)
        if asyncio.iscoroutine(result):
            self.page.spawn(result)

    async def _delete_selected(self, chosen: list[dict]) -> None:
        if not chosen:
            return
        what = (f"“{record_title(self.spec.entity_set, chosen[0])}”" if len(chosen) == 1
                else f"{len(chosen)} records")
        confirmed = await self.services.dialogs.confirm(f"Delete {what}?", "This cannot be undone.",
                                                        confirm="Delete", danger=True)
        if confirmed:
            await self.on_delete(chosen)

    def dispose(self) -> None:
        self._load_seq += 1  # answers still on their way are dropped


def record_set(entity_set: str, record: dict) -> str:
    """The entity set a row is written through (an ``activitypointers`` row through its own type's set)."""
    if entity_set == "activitypointers":
        return f"{record.get('activitytypecode')}s"
    return entity_set


async def delete_records(services: Any, entity_set: str, records: list[dict]) -> int:
    """Delete ``records`` one by one (each with its ETag); the server's refusal (a 403 for an agent deleting a
    case, a 412 for a changed record) is shown as a notice and the others still go. Returns how many went."""
    deleted, failures = 0, []
    for record in records:
        target = record_set(entity_set, record)
        try:
            await services.client.delete(target, record, key=entity(target).key)
            deleted += 1
        except RecordError as error:
            failures.append(error)
    if failures:
        first = failures[0]
        message = first.message or f"The server answered {first.status}."
        more = f" ({len(failures)} of {len(records)} were not deleted.)" if len(records) > 1 else ""
        services.notify(message + more, first.code)
    elif deleted:
        services.notify(f"Deleted {deleted} record{'s' if deleted != 1 else ''}.", "deleted")
    return deleted
