"""The agent calendar tab (``casework_calendar``): the signed-in agent's open tasks, phone calls and appointments by
due time, a day or a week, with drag and Alt+arrow rescheduling.

The logic (ranges, placement, the PATCH bodies) is ``casework.calendar``; this module draws it and turns pointer and
key events into moves. A move is one PATCH with ``If-Match`` (``RecordClient.update``); a 412 shows the conflict
panel (their due time, the one the agent chose, "Keep theirs" / "Apply my time"), the item is drawn as it is now,
and nothing is written until the agent chooses. Completed activities are hidden; undated ones are counted.

View state (mode and the anchor day) goes to session restore through ``view_state`` / ``initial_state``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from typing import Any

import js

from apm.navigation import NavSource, NavTarget
from browser.dom import active_element, clear, find, h, on, soon, unique_id
from casework import calendar as cal
from casework.entities import entity
from casework.records import ConflictError, RecordError
from components.lookup import known_name, remember_name
from components.pages import Page, Services, is_page_type

TEMPLATE = "casework_calendar"
TITLE = "My calendar"
SLOT_PX = 32  # one half hour
PX_PER_MINUTE = SLOT_PX / cal.SLOT_MINUTES
FIRST_HOUR_SHOWN = 7  # the body scrolls here when it first opens
DRAG_THRESHOLD_PX = 5
WEEK_MIN_MINUTES = 45
ICONS = {"tasks": "✓", "phonecalls": "☎", "appointments": "▦"}  # aria-hidden; the label says the type
HINT = "Enter opens the record. Alt+Up or Alt+Down moves it 30 minutes, Alt+Left or Alt+Right a day."


class BrowserZone(dt.tzinfo):
    """The browser's local time zone, asked of ``Date`` per moment (so a week across a clock change is right)."""

    def utcoffset(self, value: dt.datetime | None) -> dt.timedelta:
        if value is None:
            return dt.timedelta(0)
        local = js.Date.new(value.year, value.month - 1, value.day, value.hour, value.minute)
        return dt.timedelta(minutes=-int(local.getTimezoneOffset()))

    def dst(self, value: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)

    def tzname(self, value: dt.datetime | None) -> str:
        return "local"

    def fromutc(self, value: dt.datetime) -> dt.datetime:
        moment = js.Date.new(js.Date.UTC(value.year, value.month - 1, value.day, value.hour, value.minute,
                                         value.second))
        return value + dt.timedelta(minutes=-int(moment.getTimezoneOffset()))


def target() -> NavTarget:
    return NavTarget(TEMPLATE, {}, TITLE)


def register(register_page: Any) -> None:
    register_page(is_page_type("custom", name=TEMPLATE), CalendarPage)


class CalendarPage(Page):
    """One calendar; ``self.view`` (``casework.calendar.CalendarView``) is its state, the DOM a drawing of it."""

    def __init__(self, services: Services, tab_id: str, initial_state: dict | None = None) -> None:
        super().__init__(services, tab_id, initial_state)
        self.tz = BrowserZone()
        self.view = cal.CalendarView.from_dict(self.initial_state.get("view"), self._today())
        self.items: list[cal.Item] = []
        self.undated = 0
        self.loaded = False
        self.stale = False
        self._load_seq = 0
        self._drag: dict | None = None
        self._suppress_click = False
        self._focus_key: str | None = None
        self._scrolled = False
        self._saving: set[str] = set()
        self._queued: dict[str, dt.timedelta] = {}  # key moves pressed while that item was saving
        self._redraw_after_drag = False
        self._document_handlers: list[tuple[str, Any]] = []

    def _today(self) -> dt.date:
        return dt.datetime.now(dt.UTC).astimezone(self.tz).date()

    # -- life cycle -------------------------------------------------------------------------------------------------
    def mount(self, panel: Any) -> None:
        panel.classList.add("has-calendar")
        heading_id = unique_id("calendar-heading")
        self.hint_id = unique_id("calendar-hint")
        self.prev_button = h("button", {"type": "button", "class": "button-secondary", "data-action": "previous"},
                             "Previous")
        self.today_button = h("button", {"type": "button", "class": "button-secondary", "data-action": "today"},
                              "Today")
        self.next_button = h("button", {"type": "button", "class": "button-secondary", "data-action": "next"},
                             "Next")
        self.mode_buttons = {mode: h("button", {"type": "button", "class": "calendar-mode", "data-mode": mode},
                                     mode.capitalize()) for mode in cal.MODES}
        self.heading = h("h1", {"class": "calendar-title", "id": heading_id, "aria-live": "polite"})
        self.note = h("p", {"class": "calendar-note"})
        self.status = h("p", {"class": "calendar-status", "role": "status"})
        self.conflict_host = h("div", {"class": "calendar-conflict-host"})
        self.head_row = h("div", {"class": "calendar-head", "aria-hidden": "true"})
        self.columns = h("div", {"class": "calendar-columns"})
        self.body = h("div", {"class": "calendar-body", "tabindex": "-1"},
                      h("div", {"class": "calendar-canvas", "style": f"height: {24 * 2 * SLOT_PX}px"},
                        self._gutter(), self.columns))
        self.root = h(
            "section", {"class": "calendar-page", "aria-labelledby": heading_id},
            h("div", {"class": "calendar-toolbar"},
              h("div", {"class": "calendar-nav", "role": "group", "aria-label": "Dates"},
                self.prev_button, self.today_button, self.next_button),
              self.heading,
              h("div", {"class": "calendar-modes", "role": "group", "aria-label": "Show"},
                *self.mode_buttons.values())),
            h("div", {"class": "calendar-notes"}, self.note, self.status),
            self.conflict_host,
            h("p", {"class": "visually-hidden", "id": self.hint_id}, HINT),
            h("div", {"class": "calendar-grid"}, self.head_row, self.body))
        panel.appendChild(self.root)
        on(self.prev_button, "click", lambda _e: self._set_view(self.view.shifted(-1)))
        on(self.next_button, "click", lambda _e: self._set_view(self.view.shifted(1)))
        on(self.today_button, "click", lambda _e: self._set_view(cal.CalendarView(self.view.mode, self._today())))
        for mode, button in self.mode_buttons.items():
            on(button, "click", lambda _e, m=mode: self._set_view(self.view.with_mode(m)))
        on(self.columns, "click", self._on_click)
        on(self.columns, "keydown", self._on_key)
        on(self.columns, "pointerdown", self._on_pointer_down)
        for name, handler in (("pointermove", self._on_pointer_move), ("pointerup", self._on_pointer_up),
                              ("pointercancel", self._on_pointer_cancel)):
            self._document_handlers.append((name, on(js.document, name, handler)))
        for entity_set in cal.CALENDAR_SETS:
            self.keep(self.services.bus.subscribe(self._record_changed, entity_set=entity_set))
        self._draw_frame()
        self.spawn(self.load())

    def refresh(self) -> None:
        if not self.root.parentNode:
            self.panel.appendChild(self.root)
        self.spawn(self.load())

    def shown(self) -> None:
        if self.stale:
            self.stale = False
            self.spawn(self.load())

    def view_state(self) -> dict | None:
        return {"view": self.view.to_dict()}

    def dispose(self) -> None:
        for name, proxy in self._document_handlers:
            js.document.removeEventListener(name, proxy)
        self._document_handlers.clear()
        super().dispose()

    # -- state ------------------------------------------------------------------------------------------------------
    def _set_view(self, view: cal.CalendarView) -> None:
        if view == self.view:
            return
        self.view = view
        self.state_changed()
        self._draw_frame()
        self._draw_items()
        self.spawn(self.load())

    def _record_changed(self, change: Any) -> None:
        key = f"{change.entity_set}:{change.record_id}"
        if key in self._saving and change.origin == "local":
            return  # this calendar's own move, announced before its answer reaches ``move``
        mine = next((i for i in self.items if i.key == key), None)
        if mine is not None and change.record is not None and \
                change.record.get("@odata.etag") == mine.record.get("@odata.etag"):
            return  # this calendar's own move, already drawn
        if self.visible:
            self.spawn(self.load())
        else:
            self.stale = True

    async def load(self) -> None:
        """Read the range's open activities of the three types, the undated count, then regarding names."""
        self._load_seq += 1
        seq = self._load_seq
        owner = self.services.agent.user_id
        start, end = self.view.bounds(self.tz)
        client = self.services.client
        self.status.textContent = "Loading…"
        ranged = [client.list(s, filter=cal.range_filter(owner, start, end), select=list(cal.SELECT),
                              orderby="scheduledend asc", top=500) for s in cal.CALENDAR_SETS]
        undated = [client.list(s, filter=cal.undated_filter(owner), select=["activityid"], top=1, count=True)
                   for s in cal.CALENDAR_SETS]
        try:
            pages = await asyncio.gather(*ranged, *undated)
        except RecordError as error:
            if seq == self._load_seq:
                self.status.textContent = error.message or f"The server answered {error.status}."
            return
        if seq != self._load_seq:
            return  # a newer range was asked meanwhile
        by_set = {s: page.records for s, page in zip(cal.CALENDAR_SETS, pages[:3], strict=True)}
        self.items = cal.items_of(by_set)
        self.undated = sum(page.count or 0 for page in pages[3:])
        self.loaded = True
        self.status.textContent = ""
        self._draw_items()
        await self._resolve_regarding(seq)

    async def _resolve_regarding(self, seq: int) -> None:
        known = {record_id for item in self.items
                 if (record_id := item.record.get("regardingobjectid")) and known_name(
                     item.record.get("regardingobjecttypecode"), record_id)}
        wanted = cal.regarding_ids(self.items, known)
        for logical, ids in wanted.items():
            try:
                meta = entity(logical)
            except KeyError:
                continue
            filter_text = " or ".join(f"{meta.key} eq {record_id}" for record_id in ids[:50])
            try:
                page = await self.services.client.list(meta.entity_set, filter=filter_text,
                                                       select=[meta.key, meta.primary], top=50)
            except RecordError:
                continue
            for record in page.records:
                remember_name(meta.logical, str(record[meta.key]), meta.title_of(record))
        if seq == self._load_seq and wanted:
            self._show_regarding()

    def _show_regarding(self) -> None:
        """Put the names just read into the drawn items, in place (a redraw would drop a pressed item)."""
        for button in list(self.columns.querySelectorAll(".calendar-item")):
            key = button.getAttribute("data-key")
            item = next((i for i in self.items if i.key == key), None)
            name = item and known_name(item.record.get("regardingobjecttypecode"),
                                       item.record.get("regardingobjectid"))
            line = find(button, ".calendar-item-line")
            if name and line and not find(button, ".calendar-regarding"):
                line.appendChild(h("span", {"class": "calendar-regarding"}, f"Regarding {name}"))

    # -- drawing ----------------------------------------------------------------------------------------------------
    def _gutter(self) -> Any:
        gutter = h("div", {"class": "calendar-gutter", "aria-hidden": "true"})
        for hour in range(24):
            gutter.appendChild(h("div", {"class": "calendar-hour", "style": f"top: {hour * 2 * SLOT_PX}px"},
                                 f"{hour:02d}:00"))
        return gutter

    def _draw_frame(self) -> None:
        """Heading, buttons, day headings and empty day columns for the current view."""
        view = self.view
        self.heading.textContent = view.heading()
        unit = "day" if view.mode == "day" else "week"
        self.prev_button.setAttribute("aria-label", f"Previous {unit}")
        self.next_button.setAttribute("aria-label", f"Next {unit}")
        for mode, button in self.mode_buttons.items():
            button.setAttribute("aria-pressed", "true" if mode == view.mode else "false")
        self.root.setAttribute("data-mode", view.mode)
        today = self._today()
        clear(self.head_row)
        clear(self.columns)
        self.head_row.appendChild(h("div", {"class": "calendar-corner"}))
        self.day_lists: dict[str, Any] = {}
        for day in view.days:
            current = "date" if day == today else None
            self.head_row.appendChild(h("div", {"class": "calendar-dayhead" + (" is-today" if current else "")},
                                        cal.short_day(day)))
            column = h("ul", {"class": "calendar-day" + (" is-today" if current else ""),
                              "data-date": day.isoformat(), "aria-label": cal.day_label(day)})
            self.day_lists[day.isoformat()] = column
            self.columns.appendChild(column)
        self.root.style.setProperty("--calendar-days", str(len(view.days)))

    def _draw_items(self) -> None:
        if self._drag is not None and self._drag["moving"]:  # the dragged element must stay; drawn on drop
            self._redraw_after_drag = True
            return
        self._redraw_after_drag = False
        focused = self._focus_key
        self._focus_key = None
        active = active_element()
        if not focused and active and self.columns.contains(active) and active.getAttribute("data-key"):
            focused = active.getAttribute("data-key")  # a redraw keeps the focus where it was
        self.note.textContent = " ".join(filter(None, (
            cal.undated_note(self.undated), "Completed activities are hidden." if self.loaded else "")))
        by_key: dict[str, Any] = {}
        for day in self.view.days:
            column = self.day_lists[day.isoformat()]
            clear(column)
            placements = cal.place_day(self.items, day, self.tz, self._min_height())
            count = len(placements)
            column.setAttribute("aria-label", f"{cal.day_label(day)}, {count} item{'s' if count != 1 else ''}")
            for placement in placements:
                element = self._item_element(placement)
                column.appendChild(element)
                by_key.setdefault(placement.item.key, element)
        if not self._scrolled and self.loaded:
            self._scrolled = True
            first = min((p.item.start.astimezone(self.tz).hour for p in self._all_placements()), default=None)
            hour = min(FIRST_HOUR_SHOWN, first) if first is not None else FIRST_HOUR_SHOWN
            self.body.scrollTop = max(0, hour * 2 * SLOT_PX - 8)  # the hour's label shows whole
        if focused and focused in by_key:
            button = find(by_key[focused], "button")
            if button:
                button.focus()

    def _all_placements(self) -> list[cal.Placement]:
        return [p for day in self.view.days for p in cal.place_day(self.items, day, self.tz, self._min_height())]

    def _min_height(self) -> int:
        """Minutes a box takes at least: in a week's narrow columns two lines (time, then subject) need 45."""
        return cal.SLOT_MINUTES if self.view.mode == "day" else WEEK_MIN_MINUTES

    def _item_element(self, placement: cal.Placement) -> Any:
        item = placement.item
        regarding = known_name(item.record.get("regardingobjecttypecode"), item.record.get("regardingobjectid"))
        width = 100 / placement.lanes
        style = (f"top: {placement.top * PX_PER_MINUTE:.1f}px; height: {placement.height * PX_PER_MINUTE:.1f}px; "
                 f"left: {placement.lane * width:.3f}%; width: {width:.3f}%")
        saving = item.key in self._saving
        button = h("button", {"type": "button", "class": "calendar-item", "data-key": item.key,
                              "data-set": item.entity_set, "aria-describedby": self.hint_id,
                              "aria-keyshortcuts": "Alt+ArrowUp Alt+ArrowDown Alt+ArrowLeft Alt+ArrowRight",
                              "aria-busy": "true" if saving else None},
                   h("span", {"class": "calendar-item-line"},
                     h("span", {"class": "calendar-icon", "aria-hidden": "true"}, ICONS[item.entity_set]),
                     h("span", {"class": "calendar-kind"}, item.label, h("span", {"class": "visually-hidden"}, ",")),
                     h("span", {"class": "calendar-time"}, *self._time_parts(item)),
                     h("span", {"class": "calendar-subject"}, item.subject),
                     h("span", {"class": "calendar-regarding"}, f"Regarding {regarding}") if regarding else None))
        short = placement.height < WEEK_MIN_MINUTES  # one line: icon, time, subject
        compact = placement.height < 2 * WEEK_MIN_MINUTES - cal.SLOT_MINUTES  # under an hour: no regarding line
        return h("li", {"class": "calendar-entry" + (" is-short" if short else "") + (" is-compact" if compact else "")
                        + (" is-saving" if saving else ""),
                        "style": style,
                        "data-key": item.key}, button)

    def _time_parts(self, item: cal.Item) -> list:
        """``Due 10:00,`` with "Due " in its own span (a week's narrow columns hide it visually)."""
        shown = item.time_text(self.tz)
        comma = h("span", {"class": "visually-hidden"}, ",")  # for the accessible name only
        if shown.startswith("Due "):
            return [h("span", {"class": "calendar-due"}, "Due "), shown[4:], comma]
        return [shown, comma]

    # -- events -----------------------------------------------------------------------------------------------------
    def _item_at(self, event: Any) -> cal.Item | None:
        button = event.target.closest(".calendar-item") if event.target else None
        if not button:
            return None
        key = button.getAttribute("data-key")
        return next((i for i in self.items if i.key == key), None)

    def _on_click(self, event: Any) -> None:
        if self._suppress_click:
            self._suppress_click = False
            return
        item = self._item_at(event)
        if item is not None:
            self.services.open_record(item.logical, item.id, NavSource.HOME, record=item.record)

    def _on_key(self, event: Any) -> None:
        if event.key == "Escape" and self._drag is not None and self._drag["moving"]:
            event.preventDefault()
            event.stopPropagation()
            self._drag = {"cancelled": True, "moving": False}  # Escape drops the drag: nothing moves, and the
            self.root.classList.remove("is-dragging")  # release that follows is no click either
            self._draw_items()
            return
        item = self._item_at(event)
        if item is None:
            return
        delta = cal.key_delta(event.key, bool(event.altKey),
                              bool(event.shiftKey or event.ctrlKey or event.metaKey))
        if delta is None:
            return
        event.preventDefault()
        event.stopPropagation()
        if item.key in self._saving:  # the next move needs the ETag this save answers: it waits for it
            self._queued[item.key] = self._queued.get(item.key, dt.timedelta(0)) + delta
            return
        self._focus_key = item.key
        self.spawn(self.move(item, cal.moved(item, delta, self.tz)))

    def _on_pointer_down(self, event: Any) -> None:
        if event.button != 0:
            return
        item = self._item_at(event)
        if item is None or item.key in self._saving:
            return
        entry = event.target.closest(".calendar-entry")
        rect = entry.getBoundingClientRect()
        self._drag = {"item": item, "entry": entry, "x": event.clientX, "y": event.clientY,
                      "grab": event.clientY - rect.top, "moving": False, "day": None, "minutes": None}

    def _on_pointer_move(self, event: Any) -> None:
        drag = self._drag
        if drag is None or drag.get("cancelled"):
            return
        if not drag["moving"]:
            if abs(event.clientX - drag["x"]) + abs(event.clientY - drag["y"]) < DRAG_THRESHOLD_PX:
                return
            drag["moving"] = True
            drag["entry"].classList.add("is-dragging")
            self.root.classList.add("is-dragging")
        event.preventDefault()
        hit = self._column_at(event.clientX)
        if hit is None:
            return
        day, column = hit
        rect = column.getBoundingClientRect()
        minutes = (event.clientY - drag["grab"] - rect.top) / PX_PER_MINUTE
        snapped = max(0, min(cal.DAY_MINUTES - cal.SLOT_MINUTES,
                             round(minutes / cal.SLOT_MINUTES) * cal.SLOT_MINUTES))
        drag["day"], drag["minutes"] = day, minutes
        entry = drag["entry"]
        if entry.parentNode != column:
            column.appendChild(entry)
        entry.style.top = f"{snapped * PX_PER_MINUTE:.1f}px"
        entry.style.left = "0%"
        entry.style.width = "100%"

    def _column_at(self, x: float) -> tuple[dt.date, Any] | None:
        for iso, column in self.day_lists.items():
            rect = column.getBoundingClientRect()
            if rect.left <= x < rect.right:
                return dt.date.fromisoformat(iso), column
        return None

    def _on_pointer_up(self, event: Any) -> None:
        drag, self._drag = self._drag, None
        if drag is not None and drag.get("cancelled"):
            self._suppress_click = True
            soon(self._clear_suppress)
            return
        if drag is None or not drag["moving"]:
            return
        drag["entry"].classList.remove("is-dragging")
        self._suppress_click = True  # the click that ends a drag (same task) does not open the record
        soon(self._clear_suppress)
        self.root.classList.remove("is-dragging")
        item = next((i for i in self.items if i.key == drag["item"].key), None)  # as read now
        if drag["day"] is None or item is None:
            self._draw_items()
            return
        delta = cal.drop_delta(item, drag["day"], drag["minutes"], self.tz)
        if not delta:
            self._draw_items()
            return
        self._focus_key = item.key
        self.spawn(self.move(item, cal.moved(item, delta, self.tz)))

    def _clear_suppress(self) -> None:
        self._suppress_click = False

    def _on_pointer_cancel(self, _event: Any) -> None:
        if self._drag is not None:
            self._drag = None
            self.root.classList.remove("is-dragging")
            self._draw_items()

    # -- moves ------------------------------------------------------------------------------------------------------
    async def move(self, item: cal.Item, changes: dict) -> bool:
        """PATCH ``changes`` with the item's ETag; on 412 show the conflict and draw their version. Returns whether
        it was saved."""
        self._saving.add(item.key)
        self._draw_items()
        self.status.textContent = "Saving…"
        try:
            record = await self.services.client.update(item.entity_set, item.record, changes, key="activityid")
        except ConflictError as error:
            self._saving.discard(item.key)
            self._queued.pop(item.key, None)
            self.status.textContent = "Not moved: someone else changed it."
            theirs = error.current
            if theirs is not None:
                self._replace(item, theirs)
            self._draw_items()
            self._show_conflict(item, changes, theirs)  # focus goes to the panel
            return False
        except RecordError as error:
            self._saving.discard(item.key)
            self._queued.pop(item.key, None)
            self.status.textContent = ""
            self._focus_key = item.key
            self._draw_items()
            self.services.notify(error.message or f"The server answered {error.status}.", error.code)
            return False
        self._saving.discard(item.key)
        self._replace(item, record)
        clear(self.conflict_host)
        self.status.textContent = f"Moved “{item.subject}” to {cal.move_text(item, changes, self.tz)}."
        now = cal.item_of(item.entity_set, {**item.record, **record})
        start, end = self.view.bounds(self.tz)
        if now is not None and not start <= now.due < end:  # moved out of the range: the calendar follows it
            self._set_view(cal.CalendarView(self.view.mode, now.due.astimezone(self.tz).date()))
        self._focus_key = item.key
        self._draw_items()
        queued = self._queued.pop(item.key, None)
        again = next((i for i in self.items if i.key == item.key), None)
        if queued and again is not None:
            self.spawn(self.move(again, cal.moved(again, queued, self.tz)))
        return True

    def _replace(self, item: cal.Item, record: dict) -> None:
        """Put ``record`` (as the server answered) in place of ``item``; drawn only while it is in the range."""
        start, end = self.view.bounds(self.tz)
        new = cal.item_of(item.entity_set, {**item.record, **record})
        rest = [i for i in self.items if i.key != item.key]
        if new is not None and start <= new.due < end:
            rest.append(new)
        self.items = sorted(rest, key=lambda i: (i.start, i.end, i.entity_set, i.id))

    def _show_conflict(self, item: cal.Item, changes: dict, theirs: dict | None) -> None:
        heading_id = unique_id("calendar-conflict")
        rows = h("tbody")
        for label, their_value, my_value in cal.conflict_rows(changes, theirs or {}, self.tz):
            rows.appendChild(h("tr", None, h("th", {"scope": "row"}, label), h("td", None, their_value),
                               h("td", None, my_value)))
        keep_theirs = h("button", {"type": "button", "class": "button-secondary"}, "Keep theirs")
        apply_mine = h("button", {"type": "button", "class": "button-primary"}, "Apply my time")
        panel = h("section", {"class": "calendar-conflict", "role": "alert", "aria-labelledby": heading_id,
                              "data-key": item.key},
                  h("h2", {"class": "calendar-conflict-title", "id": heading_id},
                    f"“{item.subject}” was changed by someone else"),
                  h("p", None, "Your move was not saved. The calendar shows their version now. Apply your time "
                               "on top of theirs, or keep theirs."),
                  h("table", {"class": "calendar-conflict-table"},
                    h("thead", None, h("tr", None, h("th", {"scope": "col"}, "Field"),
                                       h("th", {"scope": "col"}, "Their value"),
                                       h("th", {"scope": "col"}, "Your value"))), rows),
                  h("div", {"class": "calendar-conflict-actions"}, keep_theirs, apply_mine))
        clear(self.conflict_host)
        self.conflict_host.appendChild(panel)
        on(keep_theirs, "click", lambda _e: self._close_conflict())
        on(apply_mine, "click", lambda _e: self._apply_mine(item, theirs, changes))
        apply_mine.focus()

    def _close_conflict(self) -> None:
        clear(self.conflict_host)
        self.status.textContent = "Kept their version."

    def _apply_mine(self, item: cal.Item, theirs: dict | None, changes: dict) -> None:
        """The agent's time on top of their version (its ETag), even when theirs left the range or lost its due."""
        clear(self.conflict_host)
        if theirs is None:
            self.spawn(self.load())
            return
        record = {**item.record, **theirs}
        self.spawn(self.move(cal.item_of(item.entity_set, record) or replace(item, record=record), changes))
