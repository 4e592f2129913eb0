"""The record timeline, without the DOM: item types, filters, day groups, relative times, drafts, navigation. Pure.

A timeline item is what ``GET /api/<incidents|accounts|contacts>(<id>)/timeline`` answers per row:
``{"type", "id", "subject", "text", "createdon", "ownerid", "statecode"}`` with ``type`` an activity type code
(``task``, ``phonecall``, ``email``, ``appointment``, ``incidentresolution``) or ``note``. Items are kept newest
first (``createdon`` descending, then ``id`` ascending: the server's order, so merged pages never reorder).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from casework.mentions import plain
from casework.recordbus import DELETED, RecordChange

PAGE_SIZE = 10

# Entity sets whose changes may concern a timeline: notes, each activity type, and the activity hint that case
# actions (resolve, cancel) name in ``RecordChange.related``.
TIMELINE_SETS = ("annotations", "tasks", "phonecalls", "emails", "appointments", "activitypointers")


@dataclass(frozen=True)
class ItemType:
    """How the timeline shows one item type.

    Attributes:
        code: The item's ``type``.
        label: Its name for people.
        icon: A glyph for the item's badge (decorative: the label is the accessible text).
        logical: The entity an item of this type opens as (a new tab from the timeline), or ``None`` when it is
            shown inline only (notes expand in place; a resolution is part of its case).
    """

    code: str
    label: str
    icon: str
    logical: str | None


ITEM_TYPES: dict[str, ItemType] = {t.code: t for t in (
    ItemType("note", "Note", "✎", None),
    ItemType("task", "Task", "✓", "task"),
    ItemType("phonecall", "Phone call", "☎", "phonecall"),
    ItemType("email", "Email", "✉", "email"),
    ItemType("appointment", "Appointment", "◷", "appointment"),
    ItemType("incidentresolution", "Case resolution", "⚑", None),
)}


def item_type(code: str) -> ItemType:
    """The presentation of a type code (an unknown code shows as itself, inline)."""
    return ITEM_TYPES.get(code) or ItemType(code, code.capitalize() or "Activity", "•", None)


@dataclass(frozen=True)
class TypeFilter:
    """A filter button: ``types`` it keeps (``None``: all)."""

    key: str
    label: str
    types: frozenset[str] | None


FILTERS: tuple[TypeFilter, ...] = (
    TypeFilter("all", "All", None),
    TypeFilter("note", "Notes", frozenset({"note"})),
    TypeFilter("task", "Tasks", frozenset({"task"})),
    TypeFilter("phonecall", "Phone calls", frozenset({"phonecall"})),
    TypeFilter("email", "Emails", frozenset({"email"})),
)
_FILTERS = {f.key: f for f in FILTERS}


def filter_items(items: list[dict], key: str) -> list[dict]:
    """The items the filter ``key`` keeps (an unknown key keeps all)."""
    chosen = _FILTERS.get(key)
    if chosen is None or chosen.types is None:
        return list(items)
    return [item for item in items if item.get("type") in chosen.types]


# -- time ---------------------------------------------------------------------------------------------------------

def parse_time(value: object) -> dt.datetime | None:
    """An API date-time text (``2026-11-27T10:00:00.123Z``) as an aware datetime; ``None`` when absent or bad."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def absolute_time(when: dt.datetime) -> str:
    """``Fri 27 Nov 2026, 09:05 UTC``: the exact time, for a tooltip."""
    when = when.astimezone(dt.UTC)
    return f"{_DAYS[when.weekday()]} {when.day} {_MONTHS[when.month - 1]} {when.year}, {when:%H:%M} UTC"


def relative_time(when: dt.datetime, now: dt.datetime) -> str:
    """How long ago, as an agent says it: ``just now``, ``5 min ago``, ``3 h ago``, ``yesterday``, ``4 days ago``,
    then the date (``12 Mar``; with the year when it is not this year). A little clock skew (``when`` up to a minute
    in the future) still reads ``just now``."""
    seconds = (now - when).total_seconds()
    if -60 <= seconds < 45:
        return "just now"
    if 0 < seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    if 0 < seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = (now.astimezone(dt.UTC).date() - when.astimezone(dt.UTC).date()).days
    if days == 1:
        return "yesterday"
    if 1 < days < 7:
        return f"{days} days ago"
    when = when.astimezone(dt.UTC)
    text = f"{when.day} {_MONTHS[when.month - 1]}"
    return text if when.year == now.astimezone(dt.UTC).year else f"{text} {when.year}"


def day_group(when: dt.datetime | None, now: dt.datetime) -> str:
    """The heading an item falls under: ``Today``, ``Yesterday``, ``Last 7 days``, else its month
    (``March 2026``); ``Undated`` without a time."""
    if when is None:
        return "Undated"
    days = (now.astimezone(dt.UTC).date() - when.astimezone(dt.UTC).date()).days
    if days <= 0:
        return "Today"
    if days == 1:
        return "Yesterday"
    if days < 7:
        return "Last 7 days"
    when = when.astimezone(dt.UTC)
    return f"{when:%B} {when.year}"


def group_items(items: list[dict], now: dt.datetime) -> list[tuple[str, list[dict]]]:
    """Consecutive items under their day heading, in the items' order (newest first stays newest first)."""
    groups: list[tuple[str, list[dict]]] = []
    for item in items:
        label = day_group(parse_time(item.get("createdon")), now)
        if groups and groups[-1][0] == label:
            groups[-1][1].append(item)
        else:
            groups.append((label, [item]))
    return groups


# -- items --------------------------------------------------------------------------------------------------------

def summary(text: object, limit: int = 160) -> str:
    """A one-paragraph preview: whitespace collapsed, cut at a word boundary with an ellipsis past ``limit``."""
    if not isinstance(text, str):
        return ""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] if " " in flat[:limit] else flat[:limit]
    return cut.rstrip(" ,.;:") + "…"


def title_of(item: dict) -> str:
    """What the item is called: its subject, else the start of its text, else its type."""
    subject = (item.get("subject") or "").strip() if isinstance(item.get("subject"), str) else ""
    return subject or summary(plain(item.get("text")), 60) or item_type(str(item.get("type", ""))).label


def status_of(item: dict) -> str:
    """``Open``, ``Completed`` or ``Cancelled`` for activities; empty for notes (they have no status)."""
    if item.get("type") in ("note", "incidentresolution"):  # notes have no status; a resolution is always done
        return ""
    return {0: "Open", 1: "Completed", 2: "Cancelled"}.get(item.get("statecode"), "")


def nav_target(item: dict) -> tuple[str, str] | None:
    """``(logical name, id)`` that opening ``item`` opens in a new tab, or ``None`` when it expands inline."""
    logical = item_type(str(item.get("type", ""))).logical
    return (logical, str(item["id"])) if logical and item.get("id") else None


def _order_key(item: dict) -> tuple:
    when = parse_time(item.get("createdon"))
    stamp = when.timestamp() if when else float("-inf")
    return (-stamp, str(item.get("id", "")))


def merge_items(existing: list[dict], incoming: list[dict]) -> list[dict]:
    """``existing`` with ``incoming`` added or replacing the item with the same id, newest first."""
    by_id = {item["id"]: item for item in existing}
    for item in incoming:
        by_id[item["id"]] = item
    return sorted(by_id.values(), key=_order_key)


_ACTIVITY_SETS = {"tasks": "task", "phonecalls": "phonecall", "emails": "email", "appointments": "appointment"}


def item_from_record(entity_set: str, record: dict) -> dict | None:
    """The timeline item of a note or activity record as the API returns it (``None`` for other sets)."""
    if entity_set == "annotations":
        return {"type": "note", "id": record.get("annotationid"), "subject": record.get("subject"),
                "text": record.get("notetext"), "createdon": record.get("createdon"),
                "ownerid": record.get("ownerid"), "statecode": 1}
    code = _ACTIVITY_SETS.get(entity_set) or record.get("activitytypecode")
    if entity_set not in _ACTIVITY_SETS and entity_set != "activitypointers":
        return None
    return {"type": code, "id": record.get("activityid"), "subject": record.get("subject"),
            "text": record.get("description"), "createdon": record.get("createdon"),
            "ownerid": record.get("ownerid"), "statecode": record.get("statecode")}


def regarding_of(record: dict | None) -> str | None:
    """The record a note or activity is attached to (``objectid`` / ``regardingobjectid``)."""
    if not record:
        return None
    value = record.get("regardingobjectid") or record.get("objectid")
    return str(value).lower() if value else None


def concerns(change: RecordChange, record_id: str, shown_ids: set[str]) -> bool:
    """Whether a record-bus change may alter the timeline of ``record_id``: an item regarding it (created,
    changed, or moved away), an item it shows (deleted), or the record itself (a resolve adds a resolution)."""
    record_id = record_id.lower()
    if change.record_id.lower() == record_id:
        return True
    if change.record_id in shown_ids:
        return True
    return change.kind != DELETED and regarding_of(change.record) == record_id


# -- adding -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DraftKind:
    """What the add bar can add: ``entity_set`` written, and whether a subject is required."""

    key: str
    label: str
    entity_set: str
    subject_required: bool


DRAFT_KINDS: dict[str, DraftKind] = {k.key: k for k in (
    DraftKind("note", "Note", "annotations", False),
    DraftKind("task", "Task", "tasks", True),
    DraftKind("phonecall", "Phone call", "phonecalls", True),
)}

SUBJECT_MAX, TEXT_MAX, PHONE_MAX = 300, 20000, 50


def validate_draft(kind: str, subject: str, text: str, phone: str = "") -> dict[str, str]:
    """Field errors of a draft (``{"subject"|"text"|"phone": message}``; empty when it can be saved)."""
    draft = DRAFT_KINDS[kind]
    errors: dict[str, str] = {}
    if draft.subject_required and not subject.strip():
        errors["subject"] = f"A {draft.label.lower()} needs a subject."
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = f"The subject is longer than {SUBJECT_MAX} characters."
    if kind == "note" and not text.strip():
        errors["text"] = "Write the note's text."
    elif len(text) > TEXT_MAX:
        errors["text"] = f"The text is longer than {TEXT_MAX} characters."
    if len(phone) > PHONE_MAX:
        errors["phone"] = f"The phone number is longer than {PHONE_MAX} characters."
    return errors


def draft_body(kind: str, regarding_logical: str, regarding_id: str, subject: str, text: str,
               phone: str = "", *, due: str | None = None, priority: int | None = None) -> tuple[str, dict]:
    """``(entity set, create body)`` for a draft attached to the record (call :func:`validate_draft` first).
    A task also takes its due date (``due``, ISO UTC) and priority (``prioritycode``) when given."""
    draft = DRAFT_KINDS[kind]
    subject, text, phone = subject.strip(), text.strip(), phone.strip()
    if kind == "note":
        body: dict = {"notetext": text, "objectid": regarding_id, "objecttypecode": regarding_logical}
        if subject:
            body["subject"] = subject
        return draft.entity_set, body
    body = {"subject": subject, "regardingobjectid": regarding_id, "regardingobjecttypecode": regarding_logical}
    if text:
        body["description"] = text
    if kind == "phonecall":
        body["directioncode"] = True  # logged by the agent: an outgoing call
        if phone:
            body["phonenumber"] = phone
    if kind == "task":
        if due:
            body["scheduledend"] = due
        if priority is not None:
            body["prioritycode"] = priority
    return draft.entity_set, body


def can_complete(item: dict) -> bool:
    """Whether the timeline offers "Complete" for ``item``: an open activity (notes and resolutions have no state
    to change)."""
    return item.get("type") in ("task", "phonecall", "appointment") and item.get("statecode") == 0


# -- unsaved drafts of the add bar -----------------------------------------------------------------------------------
# A half-typed note, task or phone call is an unsaved change like a form's draft: it marks the tab, triggers the
# close warning and comes back after a reload. It lives in the form page's view state under ``DRAFT_STATE_KEY``.
DRAFT_STATE_KEY = "timeline_draft"
_DRAFT_LIMITS = {"subject": 300, "text": 100_000, "phone": 50}


@dataclass(frozen=True)
class TimelineDraft:
    """What the agent typed in the timeline's add bar, for the record ``record_id``."""

    kind: str
    subject: str = ""
    text: str = ""
    phone: str = ""
    record_id: str = ""

    @property
    def unsaved(self) -> bool:
        """Whether anything was typed (an opened but empty draft loses nothing when closed)."""
        return bool(self.subject.strip() or self.text.strip() or (self.kind == "phonecall" and self.phone.strip()))

    def to_state(self) -> dict | None:
        """The JSON object kept in the view state (``None`` when there is nothing to keep)."""
        if not self.unsaved:
            return None
        return {DRAFT_STATE_KEY: {"kind": self.kind, "subject": self.subject, "text": self.text,
                                  "phone": self.phone if self.kind == "phonecall" else "",
                                  "id": self.record_id}}


def parse_timeline_draft(state: object, record_id: str | None) -> TimelineDraft | None:
    """The timeline draft in a restored view state, if it is one for ``record_id``; tolerant of anything malformed
    (returns ``None``, never raises)."""
    if not isinstance(state, dict) or not record_id:
        return None
    raw = state.get(DRAFT_STATE_KEY)
    if not isinstance(raw, dict) or raw.get("kind") not in DRAFT_KINDS:
        return None
    if str(raw.get("id") or "").lower() != record_id.lower():
        return None
    values = {}
    for name, limit in _DRAFT_LIMITS.items():
        value = raw.get(name, "")
        values[name] = value[:limit] if isinstance(value, str) else ""
    draft = TimelineDraft(str(raw["kind"]), values["subject"], values["text"], values["phone"], record_id)
    return draft if draft.unsaved else None


def holds_unsaved(state: object) -> bool:
    """Whether a restored view state holds unsaved work (a form's draft or a timeline draft) before its page
    mounts."""
    return isinstance(state, dict) and ("draft" in state or DRAFT_STATE_KEY in state)
