"""Which lists exist (the dashboard's and the site map's views), how their cells read, how lookups resolve. Pure.

* :func:`list_spec` gives the :class:`~casework.listview.ListSpec` of an entity's list page (or a dashboard list).
* :func:`lookup_queries` says which referenced records a page of rows needs to show names instead of ids (one
  batched ``key eq .. or key eq ..`` filter per entity set, ids already known skipped); :func:`cell_text` formats a
  cell: lookups as names, option sets as labels, dates readably.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from casework.entities import (
    ACTIVITY_PRIORITY,
    ACTIVITY_STATE,
    ACTIVITY_TYPE,
    ARTICLE_STATE,
    CASE_STATE,
    CASE_STATUS,
    ORIGIN,
    PRIORITY,
    choice_label,
    entity,
)
from casework.listview import ME, Condition, ListSpec, View
from casework.records import odata_literal

# field -> (field naming the target's logical name, or None; {logical name: entity set})
LOOKUPS: dict[str, tuple[str | None, dict[str, str]]] = {
    "customerid": ("customeridtype", {"account": "accounts", "contact": "contacts"}),
    "regardingobjectid": ("regardingobjecttypecode",
                          {"incident": "incidents", "account": "accounts", "contact": "contacts"}),
    "parentcustomerid": (None, {"account": "accounts"}),
    "ownerid": (None, {"systemuser": "systemusers"}),
    "workerid": (None, {"systemuser": "systemusers"}),
    "queueid": (None, {"queue": "queues"}),
    "objectid": ("objecttypecode", {"incident": "incidents"}),
}
LOOKUP_BATCH = 30  # ids per request: keeps the $filter well under the server's 2,000 characters

# (entity set, field) -> option set; a field alone for every entity set
_CHOICES: dict[tuple[str | None, str], tuple[tuple[object, str], ...]] = {
    ("incidents", "prioritycode"): PRIORITY,
    ("incidents", "statecode"): CASE_STATE,
    ("incidents", "statuscode"): CASE_STATUS,
    ("incidents", "caseorigincode"): ORIGIN,
    ("knowledgearticles", "statecode"): ARTICLE_STATE,
    (None, "prioritycode"): ACTIVITY_PRIORITY,
    (None, "statecode"): ACTIVITY_STATE,
    (None, "activitytypecode"): ACTIVITY_TYPE,
}
DATE_FIELDS = {"createdon", "modifiedon", "scheduledend", "scheduledstart", "actualend", "enteredon", "resolvedon"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def choices_of(entity_set: str, name: str) -> tuple[tuple[object, str], ...] | None:
    return _CHOICES.get((entity_set, name)) or _CHOICES.get((None, name))


def format_datetime(value: Any, offset_minutes: int = 0) -> str:
    """``2026-03-14T09:05:00Z`` -> ``14 Mar 2026 09:05`` in the agent's time zone (``offset_minutes`` east of UTC);
    text that is no date comes back as it is."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(dt.UTC) + dt.timedelta(minutes=offset_minutes)
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year} {local.hour:02d}:{local.minute:02d}"


def lookup_target(record: dict, name: str) -> str | None:
    """The entity set the lookup ``name`` of ``record`` points to (``None``: not a lookup, or no value)."""
    spec = LOOKUPS.get(name)
    if spec is None or not record.get(name):
        return None
    type_field, targets = spec
    if type_field is None:
        return next(iter(targets.values()))
    return targets.get(str(record.get(type_field)))


def lookup_queries(records: list[dict], columns: tuple[str, ...], known: set[str]) -> list[tuple[str, str, int]]:
    """``(entity set, $filter, count)`` requests that fetch the names the rows' lookup columns need (ids in
    ``known`` skipped; ``LOOKUP_BATCH`` ids per request, ids quoted with ``odata_literal``)."""
    wanted: dict[str, list[str]] = {}
    for record in records:
        for name in columns:
            target = lookup_target(record, name)
            value = str(record.get(name) or "")
            if target and value not in known and value not in wanted.setdefault(target, []):
                wanted[target].append(value)
    requests = []
    for target, ids in wanted.items():
        key = entity(target).key
        for start in range(0, len(ids), LOOKUP_BATCH):
            chunk = ids[start:start + LOOKUP_BATCH]
            requests.append((target, " or ".join(f"{key} eq {odata_literal(i)}" for i in chunk), len(chunk)))
    return requests


def cell_text(entity_set: str, name: str, record: dict, names: dict[str, str], offset_minutes: int = 0) -> str:
    """A cell as the agent reads it: a lookup's name (``…`` until it is known), an option's label, a date."""
    value = record.get(name)
    if value is None or value == "":
        return ""
    if name in LOOKUPS:
        return names.get(str(value), "…")
    choices = choices_of(entity_set, name)
    if choices:
        return choice_label(choices, value)
    if name in DATE_FIELDS:
        return format_datetime(value, offset_minutes)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def is_overdue(name: str, record: dict, now_iso: str) -> bool:
    """Whether ``record``'s ``name`` cell is an open activity's due date that has passed (``now_iso``: UTC ISO
    text, compared as text: both are ``YYYY-MM-DDTHH:MM...Z``)."""
    if name != "scheduledend" or record.get("statecode", 0) != 0:
        return False
    due = record.get(name)
    return isinstance(due, str) and bool(due) and due[:19] < now_iso[:19]


# -- the lists -----------------------------------------------------------------------------------------------------

_ACTIVE_CASE = Condition("statecode", "eq", 0)
_MINE = Condition("ownerid", "eq", ME)
_OPEN_ACTIVITY = Condition("statecode", "eq", 0)


# Lookup columns the server can search and sort by the name they show (its lookup names: ``customeridname``).
NAME_FIELDS: dict[str, dict[str, str]] = {
    "incidents": {"customerid": "customeridname", "ownerid": "owneridname"},
    "contacts": {"parentcustomerid": "parentcustomeridname"},
}
# Of those, the ones list search looks in: what tells records apart (the customer), not the owner every row shares.
SEARCHED_NAMES = ("customerid", "parentcustomerid")


def _spec(name: str, views: tuple[View, ...], search: tuple[str, ...], *, columns: tuple[str, ...] | None = None,
          extra: tuple[str, ...] = (), filterable: dict | None = None) -> ListSpec:
    meta = entity(name)
    columns = columns or tuple(column.name for column in meta.columns)
    column, direction = meta.default_order.split()
    named = {c: f for c, f in NAME_FIELDS.get(meta.entity_set, {}).items() if c in columns}
    search += tuple(named[c] for c in SEARCHED_NAMES if c in named)
    sortable = tuple(c for c in columns if c not in LOOKUPS or c in named)  # ids sort meaninglessly
    sortable += tuple(view.order[0] for view in views if view.order and view.order[0] not in sortable)
    if column not in sortable:
        sortable += (column,)
    return ListSpec(meta.entity_set, meta.key, columns, search, views, (column, direction == "desc"),
                    sortable=sortable, extra_select=extra, filterable=filterable or {}, sort_fields=named)


CASE_FILTERS = {"prioritycode": PRIORITY, "statuscode": CASE_STATUS[:4]}
ACTIVITY_FILTERS = {"activitytypecode": ACTIVITY_TYPE, "prioritycode": ACTIVITY_PRIORITY}

SPECS: dict[str, ListSpec] = {
    # Home dashboard
    "dashboard.cases": _spec("incident", (
        View("mine", "My active cases", (_MINE, _ACTIVE_CASE)),
    ), ("title", "ticketnumber"), columns=("title", "ticketnumber", "customerid", "prioritycode", "statuscode",
                                           "createdon"), extra=("customeridtype",), filterable=CASE_FILTERS),
    "dashboard.queue": _spec("queueitem", (
        View("available", "Cases available to work on", (Condition("workerid", "eq", None),)),
    ), ("title",), columns=("title", "queueid", "enteredon"), extra=("objectid", "objecttypecode", "workerid")),
    "dashboard.activities": _spec("activitypointer", (
        View("mine", "My open activities", (_MINE, _OPEN_ACTIVITY)),
    ), ("subject",), columns=("subject", "activitytypecode", "regardingobjectid", "prioritycode", "scheduledend"),
        extra=("regardingobjecttypecode", "statecode"), filterable=ACTIVITY_FILTERS),
    # The team home of supervisors and admins (issue 15, item 11): read-only, across every owner
    "team.unassigned": _spec("incident", (
        View("unassigned", "Unassigned cases", (Condition("ownerid", "eq", None), _ACTIVE_CASE)),
    ), ("title", "ticketnumber"), columns=("title", "ticketnumber", "customerid", "prioritycode", "queueid",
                                           "createdon"), extra=("customeridtype",), filterable=CASE_FILTERS),
    "team.high": _spec("incident", (
        View("high", "High-priority cases", (Condition("prioritycode", "eq", 1), _ACTIVE_CASE)),
    ), ("title", "ticketnumber"), columns=("title", "ticketnumber", "customerid", "ownerid", "statuscode",
                                           "createdon"), extra=("customeridtype",),
        filterable={"statuscode": CASE_STATUS[:4]}),
    # Entity lists (site map)
    "incident": _spec("incident", (
        View("my_active", "My active cases", (_MINE, _ACTIVE_CASE)),
        View("all_active", "All active cases", (_ACTIVE_CASE,)),
        View("resolved", "Resolved cases", (Condition("statecode", "eq", 1),), ("resolvedon", True)),
        View("cancelled", "Cancelled cases", (Condition("statecode", "eq", 2),)),
        View("all", "All cases"),
    ), ("title", "ticketnumber"), columns=("title", "ticketnumber", "customerid", "prioritycode", "statuscode",
                                           "ownerid", "createdon"), extra=("customeridtype", "statecode"),
        filterable={"prioritycode": PRIORITY}),
    "account": _spec("account", (View("all", "All accounts"),), ("name", "accountnumber", "emailaddress1")),
    "contact": _spec("contact", (View("all", "All contacts"),), ("fullname", "emailaddress1", "jobtitle")),
    "activitypointer": _spec("activitypointer", (
        View("my_open", "My open activities", (_MINE, _OPEN_ACTIVITY)),
        View("all_open", "All open activities", (_OPEN_ACTIVITY,)),
        View("my_all", "All my activities", (_MINE,)),
        View("all", "All activities"),
    ), ("subject",), extra=("regardingobjecttypecode",), filterable=ACTIVITY_FILTERS),
    "knowledgearticle": _spec("knowledgearticle", (
        View("published", "Published articles", (Condition("statecode", "eq", 3),)),
        View("drafts", "Draft articles", (Condition("statecode", "eq", 0),)),
        View("all", "All articles"),
    ), ("title", "keywords", "subject"), columns=("title", "articlepublicnumber", "subject", "statecode",
                                                  "knowledgearticleviews")),
    "queue": _spec("queue", (View("all", "All queues"),), ("name",)),
    "queueitem": _spec("queueitem", (
        View("available", "Available to work on", (Condition("workerid", "eq", None),)),
        View("mine", "Items I work on", (Condition("workerid", "eq", ME),)),
        View("all", "All queue items"),
    ), ("title",), columns=("title", "queueid", "workerid", "enteredon"), extra=("objectid", "objecttypecode")),
}
# The site map's names for lists, by logical name or entity set.
_ALIASES = {"incidents": "incident", "accounts": "account", "contacts": "contact", "activitypointers":
            "activitypointer", "activity": "activitypointer", "activities": "activitypointer",
            "task": "activitypointer", "knowledgearticles": "knowledgearticle", "queues": "queue",
            "queueitems": "queueitem"}


def list_spec(name: str, view_id: str | None = None) -> ListSpec:
    """The list page of ``name`` (logical name or entity set). ``view_id`` ``queue:<id>`` narrows queue items to
    one queue (what opening a queue shows).

    Raises:
        KeyError: no list for ``name``.
    """
    key = _ALIASES.get(name, name)
    spec = SPECS[key]
    if key == "queueitem" and isinstance(view_id, str) and view_id.startswith("queue:"):
        queue = Condition("queueid", "eq", view_id.removeprefix("queue:"))
        views = tuple(View(v.key, v.label, (*v.conditions, queue), v.order) for v in spec.views)
        return ListSpec(spec.entity_set, spec.key, spec.columns, spec.search, views, spec.order, spec.sortable,
                        spec.extra_select, spec.filterable, spec.sort_fields)
    return spec


def column_label(entity_set: str, name: str) -> str:
    """A column's header (from the entity's columns; the field name otherwise)."""
    meta = entity(entity_set)
    for column in meta.columns:
        if column.name == name:
            return column.label
    labels = {"ownerid": "Owner", "workerid": "Worked by", "resolvedon": "Resolved on", "queueid": "Queue"}
    return labels.get(name, name)


def column_width(entity_set: str, name: str) -> str:
    meta = entity(entity_set)
    return next((column.width for column in meta.columns if column.name == name), "m")


def record_title(entity_set: str, record: dict) -> str:
    """What a row is called (for confirmations and the session title)."""
    meta = entity(entity_set)
    return str(record.get(meta.primary) or record.get("title") or meta.singular)


def open_target(entity_set: str, record: dict) -> tuple[str, str] | None:
    """``(logical name, id)`` a row opens: activities open their own type, queue items their case."""
    if entity_set == "activitypointers":
        code = record.get("activitytypecode")
        return (code, record["activityid"]) if code in dict(ACTIVITY_TYPE) else None
    if entity_set == "queueitems":
        return ("incident", record["objectid"]) if record.get("objectid") else None
    meta = entity(entity_set)
    record_id = meta.id_of(record)
    return (meta.logical, record_id) if record_id else None
