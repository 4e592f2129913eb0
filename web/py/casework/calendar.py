"""The agent calendar's logic: the day/week range in local time, items from activity records, their placement in
half-hour slots (overlapping items side by side), and rescheduling (keeping an item's duration).

Pure: no ``js``/``pyodide``. Time zones are passed in as ``tzinfo`` (the page gives one that asks the browser, tests
give ``zoneinfo``), so a week that crosses a daylight-saving change is still seven local days of 23-25 hours.

Which records show: open (``statecode 0``) tasks, phone calls and appointments owned by the agent whose due time
(``scheduledend``) falls in the range. Completed and cancelled ones are hidden; undated ones are counted and named in
a note. A task or a phone call is drawn as a 30-minute block starting at its due time, on its due day (at 23:40 it is
drawn 23:30-24:00); an appointment from
``scheduledstart`` to ``scheduledend`` (30 minutes before its end when the start is missing or not before the end).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from casework.timeline import parse_time  # an API datetime as an aware datetime (None when absent or bad)

MODES = ("day", "week")
CALENDAR_SETS = ("tasks", "phonecalls", "appointments")
SET_OF_TYPE = {"task": "tasks", "phonecall": "phonecalls", "appointment": "appointments"}
LABELS = {"tasks": "Task", "phonecalls": "Phone call", "appointments": "Appointment"}
LOGICAL = {"tasks": "task", "phonecalls": "phonecall", "appointments": "appointment"}
SLOT_MINUTES = 30
DAY_MINUTES = 24 * 60
MARKER_MINUTES = 30  # how long a task or a phone call is drawn (it has a due time, not a duration)
SELECT = ("activityid", "subject", "scheduledstart", "scheduledend", "statecode", "regardingobjectid",
          "regardingobjecttypecode", "ownerid", "modifiedon")
#: Alt+arrow -> how far an item moves.
KEY_MOVES = {"ArrowUp": dt.timedelta(minutes=-SLOT_MINUTES), "ArrowDown": dt.timedelta(minutes=SLOT_MINUTES),
             "ArrowLeft": dt.timedelta(days=-1), "ArrowRight": dt.timedelta(days=1)}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


# -- the range ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CalendarView:
    """What the calendar shows: ``mode`` (``day`` or ``week``, weeks start on Monday) around the local date
    ``anchor``. Immutable; the page keeps one and replaces it."""

    mode: str
    anchor: dt.date

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")

    @property
    def days(self) -> tuple[dt.date, ...]:
        """The local dates shown, in order."""
        if self.mode == "day":
            return (self.anchor,)
        monday = self.anchor - dt.timedelta(days=self.anchor.weekday())
        return tuple(monday + dt.timedelta(days=n) for n in range(7))

    def shifted(self, steps: int) -> CalendarView:
        """The previous (``-1``) or next (``+1``) day or week."""
        return replace(self, anchor=self.anchor + dt.timedelta(days=steps * (1 if self.mode == "day" else 7)))

    def with_mode(self, mode: str) -> CalendarView:
        return CalendarView(mode, self.anchor)

    def bounds(self, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """Local midnight of the first day and of the day after the last, as aware datetimes in ``tz``."""
        days = self.days
        return local_midnight(days[0], tz), local_midnight(days[-1] + dt.timedelta(days=1), tz)

    def heading(self) -> str:
        """``Wednesday 2 December 2026``, or ``30 November – 6 December 2026`` (years and months only once)."""
        days = self.days
        first, last = days[0], days[-1]
        if self.mode == "day":
            return f"{WEEKDAYS[first.weekday()]} {first.day} {MONTHS[first.month - 1]} {first.year}"
        if first.year != last.year:
            return (f"{first.day} {MONTHS[first.month - 1]} {first.year} – "
                    f"{last.day} {MONTHS[last.month - 1]} {last.year}")
        if first.month != last.month:
            return f"{first.day} {MONTHS[first.month - 1]} – {last.day} {MONTHS[last.month - 1]} {last.year}"
        return f"{first.day} – {last.day} {MONTHS[first.month - 1]} {first.year}"

    def to_dict(self) -> dict:
        return {"mode": self.mode, "anchor": self.anchor.isoformat()}

    @classmethod
    def from_dict(cls, data: object, today: dt.date) -> CalendarView:
        """A saved view; anything unusable falls back to this week around ``today`` (restore never raises)."""
        if not isinstance(data, dict):
            return cls("week", today)
        mode = data.get("mode") if data.get("mode") in MODES else "week"
        try:
            anchor = dt.date.fromisoformat(str(data.get("anchor")))
        except ValueError:
            anchor = today
        return cls(mode, anchor)


def local_midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


def day_label(day: dt.date) -> str:
    """``Wednesday 2 December`` (a day column's accessible name)."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def short_day(day: dt.date) -> str:
    """``Wed 2``, the column heading."""
    return f"{WEEKDAYS[day.weekday()][:3]} {day.day}"


# -- times on the wire ----------------------------------------------------------------------------------------------

def wire(value: dt.datetime) -> str:
    """An aware datetime as the API writes it: UTC, seconds, ``Z``."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def range_filter(owner_id: str, start: dt.datetime, end: dt.datetime) -> str:
    """``$filter`` for the agent's open activities due in ``[start, end)``. ``owner_id`` is a GUID."""
    return (f"ownerid eq {_guid(owner_id)} and statecode eq 0 and scheduledend ge {wire(start)} "
            f"and scheduledend lt {wire(end)}")


def undated_filter(owner_id: str) -> str:
    """``$filter`` for the agent's open activities without a due time (counted, not shown)."""
    return f"ownerid eq {_guid(owner_id)} and statecode eq 0 and scheduledend eq null"


def _guid(value: str) -> str:
    text = str(value)
    if len(text) != 36 or any(c not in "0123456789abcdefABCDEF-" for c in text):
        raise ValueError(f"not a GUID: {value!r}")
    return text


# -- items ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One activity on the calendar.

    Attributes:
        entity_set: ``tasks``, ``phonecalls`` or ``appointments``.
        record: The record as last read (its ``@odata.etag`` guards a move).
        start: Where the block starts (aware).
        end: Where it ends (aware; after ``start``).
        due: ``scheduledend``.
    """

    entity_set: str
    record: dict = field(compare=False, hash=False)
    start: dt.datetime
    end: dt.datetime
    due: dt.datetime

    @property
    def id(self) -> str:
        return str(self.record.get("activityid"))

    @property
    def key(self) -> str:
        return f"{self.entity_set}:{self.id}"

    @property
    def label(self) -> str:
        return LABELS[self.entity_set]

    @property
    def logical(self) -> str:
        return LOGICAL[self.entity_set]

    @property
    def subject(self) -> str:
        return str(self.record.get("subject") or "(no subject)")

    @property
    def is_appointment(self) -> bool:
        return self.entity_set == "appointments"

    def time_text(self, tz: dt.tzinfo) -> str:
        """``10:00–11:00`` for an appointment, ``Due 10:00`` for a task or call (local time)."""
        if self.is_appointment:
            return f"{clock(self.start, tz)}–{clock(self.end, tz)}"
        return f"Due {clock(self.due, tz)}"


def clock(value: dt.datetime, tz: dt.tzinfo) -> str:
    return value.astimezone(tz).strftime("%H:%M")


def item_of(entity_set: str, record: dict) -> Item | None:
    """The calendar item of a record, or ``None`` when it has no due time (or is not a calendar type)."""
    if entity_set not in CALENDAR_SETS:
        return None
    due = parse_time(record.get("scheduledend"))
    if due is None:
        return None
    if entity_set == "appointments":
        start = parse_time(record.get("scheduledstart"))
        if start is None or start >= due:
            start = due - dt.timedelta(minutes=MARKER_MINUTES)
        return Item(entity_set, record, start, due, due)
    return Item(entity_set, record, due, due + dt.timedelta(minutes=MARKER_MINUTES), due)


def items_of(records_by_set: dict[str, list[dict]]) -> list[Item]:
    """Items of every record that has a due time, in a total order (start, end, set, id)."""
    items = [item for entity_set, records in records_by_set.items() for record in records
             if (item := item_of(entity_set, record)) is not None]
    return sorted(items, key=lambda i: (i.start, i.end, i.entity_set, i.id))


# -- placement ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Placement:
    """An item's box in one day column: minutes from local midnight (``top``) and its height in minutes, and its
    lane among ``lanes`` side-by-side lanes (overlapping items share the column's width)."""

    item: Item
    day: dt.date
    top: int
    height: int
    lane: int
    lanes: int


def place_day(items: list[Item], day: dt.date, tz: dt.tzinfo, min_height: int = SLOT_MINUTES) -> list[Placement]:
    """The boxes of ``day``: every item that intersects the local day, clipped to it; a box is at least
    ``min_height`` minutes tall (readable), which also counts for overlap. Overlapping boxes (transitively, a
    "cluster") get lanes: each box the first lane free at its start; every box of a cluster knows the cluster's
    lane count."""
    day_start = local_midnight(day, tz).astimezone(dt.UTC)  # in UTC: same-zone subtraction would ignore DST
    day_end = local_midnight(day + dt.timedelta(days=1), tz).astimezone(dt.UTC)
    length = int((day_end - day_start).total_seconds() // 60)  # 23 to 25 hours on a clock change
    boxes: list[tuple[int, int, Item]] = []
    for item in items:
        if item.is_appointment:
            if item.end <= day_start or item.start >= day_end:
                continue
        elif not day_start <= item.due < day_end:  # a task's block never spills into the next day
            continue
        top = max(0, int((item.start - day_start).total_seconds() // 60))
        bottom = min(length, int((item.end - day_start).total_seconds() // 60))
        height = max(bottom - top, min_height)
        top = min(top, max(0, length - height))  # a late box stays inside the day
        boxes.append((top, height, item))
    boxes.sort(key=lambda b: (b[0], -b[1], b[2].entity_set, b[2].id))
    placements: list[Placement] = []
    cluster: list[tuple[int, int, Item, int]] = []
    lane_ends: list[int] = []
    cluster_end = -1

    def flush() -> None:
        lanes = len(lane_ends)
        placements.extend(Placement(item, day, top, height, lane, lanes) for top, height, item, lane in cluster)
        cluster.clear()
        lane_ends.clear()

    for top, height, item in boxes:
        if top >= cluster_end and cluster:
            flush()
        lane = next((n for n, end in enumerate(lane_ends) if end <= top), None)
        if lane is None:
            lane = len(lane_ends)
            lane_ends.append(top + height)
        else:
            lane_ends[lane] = top + height
        cluster.append((top, height, item, lane))
        cluster_end = max(cluster_end, top + height)
    if cluster:
        flush()
    return placements


# -- rescheduling ---------------------------------------------------------------------------------------------------

def shift_local(value: dt.datetime, delta: dt.timedelta, tz: dt.tzinfo) -> dt.datetime:
    """``value`` moved by ``delta`` on the local wall clock (a day later is the same local time the next day, even
    across a daylight-saving change)."""
    local = value.astimezone(tz).replace(tzinfo=None) + delta
    return local.replace(tzinfo=tz)


def moved(item: Item, delta: dt.timedelta, tz: dt.tzinfo) -> dict:
    """The PATCH body that moves ``item`` by ``delta`` (local wall clock): ``scheduledend`` and, when the record
    has one, ``scheduledstart`` move together, so the duration stays."""
    changes = {"scheduledend": wire(shift_local(item.due, delta, tz))}
    start = parse_time(item.record.get("scheduledstart"))
    if start is not None:
        changes["scheduledstart"] = wire(shift_local(start, delta, tz))
    return changes


def drop_delta(item: Item, day: dt.date, minutes: float, tz: dt.tzinfo) -> dt.timedelta:
    """How far a drag moves ``item`` (for :func:`moved`): its box's new top is ``minutes`` after local midnight
    of ``day``, snapped to the half hour, so the box starts at that local time."""
    snapped = int(round(minutes / SLOT_MINUTES)) * SLOT_MINUTES
    snapped = max(0, min(DAY_MINUTES - SLOT_MINUTES, snapped))
    target = dt.datetime(day.year, day.month, day.day, snapped // 60, snapped % 60)
    return target - item.start.astimezone(tz).replace(tzinfo=None)


def key_delta(key: str, alt: bool, others: bool = False) -> dt.timedelta | None:
    """The move of an Alt+arrow key (``None`` for any other key). ``others``: Shift, Ctrl or Meta is held too
    (Alt+Shift+arrows switch sessions and tabs, ``casework.shortcuts``), which is no move."""
    return KEY_MOVES.get(key) if alt and not others else None


def move_text(item: Item, changes: dict, tz: dt.tzinfo) -> str:
    """``Thursday 3 December 10:30`` — where a move puts the item (its due time, local)."""
    due = parse_time(changes.get("scheduledend"))
    if due is None:
        return "no due time"
    local = due.astimezone(tz)
    start = parse_time(changes.get("scheduledstart")) if item.is_appointment else None
    when = f"{day_label(local.date())} {local.strftime('%H:%M')}"
    return f"{day_label(start.astimezone(tz).date())} {clock(start, tz)}–{local.strftime('%H:%M')}" if start else when


def due_text(record: dict, tz: dt.tzinfo) -> str:
    """A record's due time as a sentence part (for the conflict panel)."""
    due = parse_time(record.get("scheduledend"))
    if due is None:
        return "no due time"
    local = due.astimezone(tz)
    return f"{day_label(local.date())} {local.strftime('%H:%M')}"


def conflict_rows(mine: dict, theirs: dict, tz: dt.tzinfo) -> list[tuple[str, str, str]]:
    """``(field, their value, your value)`` of a move that met a newer version: the due time always, the subject
    and the start when theirs differ (so the agent sees what the other change was)."""
    rows = [("Due", due_text(theirs, tz), due_text(mine, tz))]
    if "scheduledstart" in mine:
        start = parse_time(theirs.get("scheduledstart"))
        rows.append(("Start", due_text({"scheduledend": theirs.get("scheduledstart")}, tz) if start else "none",
                     due_text({"scheduledend": mine["scheduledstart"]}, tz)))
    return rows


# -- regarding names ------------------------------------------------------------------------------------------------

def regarding_ids(items: list[Item], known: set[str]) -> dict[str, list[str]]:
    """Ids of the records the items regard whose names are not ``known`` yet, by logical name (sorted, unique)."""
    wanted: dict[str, set[str]] = {}
    for item in items:
        kind = item.record.get("regardingobjecttypecode")
        record_id = item.record.get("regardingobjectid")
        if isinstance(kind, str) and isinstance(record_id, str) and record_id not in known:
            wanted.setdefault(kind, set()).add(record_id)
    return {kind: sorted(ids) for kind, ids in sorted(wanted.items())}


def undated_note(count: int) -> str:
    """The small note under the heading (empty when every open activity has a due time)."""
    if count <= 0:
        return ""
    return f"{count} open activit{'ies' if count != 1 else 'y'} without a due date, not shown."
