"""Record form state: what the agent loaded, what they changed, what to send, what is wrong, and how a conflict
merges. Pure (no ``js``), so every rule here is unit-tested under CPython.

Values are held *typed*, as the API wants them: text as ``str`` (``""`` when empty), choices as the option's own
value (``int`` or ``str``) or ``None``, ``bool``, date-times as ISO text or ``None``, and lookups as
``{"id", "type", "name"}`` dictionaries (``name`` is only for display; two lookups are equal when id and type are)
or ``None``.

A :class:`FormState` is ``base`` (the record as last read or saved; ``{}`` for a new record) plus ``edits`` (the
fields the agent changed, by name). An edit that puts a field back to its base value disappears, so
``state.dirty`` is exactly "something would be saved". On a 412 conflict, :func:`compare` lays base, mine and
theirs side by side; :meth:`FormState.reload` takes theirs, :meth:`FormState.rebase` keeps my edits on top of theirs
(with their new ETag), so nothing typed is ever lost. :meth:`FormState.draft` / :func:`parse_draft` carry unsaved
edits through a page reload.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from casework.entities import Entity, FormField

ETAG = "@odata.etag"
EDITABLE_KINDS = ("text", "multiline", "choice", "lookup", "datetime", "number", "bool")


# -- fields and values ----------------------------------------------------------------------------------------------

def form_fields(meta: Entity) -> list[FormField]:
    """Every field of the entity's form, in layout order."""
    return [f for section in meta.sections for f in section.fields]


def editable_fields(meta: Entity) -> list[FormField]:
    """The fields the agent may change on the form (read-only ones are shown, never sent)."""
    return [f for f in form_fields(meta) if f.kind in EDITABLE_KINDS and not f.readonly]


def lookup_type(f: FormField, record: dict) -> str | None:
    """The logical name of the record a lookup points to: the type field's value for a polymorphic lookup, else the
    single target's entity (``queues`` → ``queue``)."""
    if f.type_field:
        value = record.get(f.type_field)
        return value if isinstance(value, str) and value else None
    if len(f.target) == 1:
        return _singular_of_set(f.target[0])
    return None


def _singular_of_set(entity_set: str) -> str:
    from casework.entities import BY_SET

    meta = BY_SET.get(entity_set)
    return meta.logical if meta else entity_set.removesuffix("s")


def read_value(f: FormField, record: dict) -> Any:
    """The typed value of ``f`` in ``record`` (as the API returns it)."""
    if f.kind == "lookup":
        record_id = record.get(f.name)
        if not isinstance(record_id, str) or not record_id:
            return None
        return {"id": record_id, "type": lookup_type(f, record), "name": None}
    return normalize(f, record.get(f.name))


def normalize(f: FormField, value: Any) -> Any:
    """``value`` in the field's typed form (tolerant: a restored draft or an input's text may be loose)."""
    kind = f.kind
    if kind in ("text", "multiline", "readonly"):
        return "" if value is None else str(value)
    if kind == "bool":
        return bool(value) if value is not None else None
    if kind == "number":
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int | float):
            return value if not (isinstance(value, float) and not math.isfinite(value)) else None
        try:
            number = float(str(value))
        except ValueError:
            return str(value)  # kept as typed; validation names it
        return int(number) if number.is_integer() else number
    if kind == "choice":
        if value in (None, ""):
            return None
        for option, _label in f.choices:
            if option == value or str(option) == str(value):
                return option
        return value  # kept as is; validation refuses it
    if kind == "datetime":
        return value if isinstance(value, str) and value else None
    if kind == "lookup":
        if not isinstance(value, dict):
            return None
        record_id = value.get("id")
        if not isinstance(record_id, str) or not record_id:
            return None
        kind_name = value.get("type")
        name = value.get("name")
        return {"id": record_id, "type": kind_name if isinstance(kind_name, str) and kind_name else None,
                "name": name if isinstance(name, str) else None}
    return value


def same_value(f: FormField, a: Any, b: Any) -> bool:
    """Whether two typed values of ``f`` mean the same (lookups compare id and type, not the shown name)."""
    a, b = normalize(f, a), normalize(f, b)
    if f.kind == "lookup":
        if a is None or b is None:
            return a is None and b is None
        return a["id"] == b["id"] and (a["type"] == b["type"] or a["type"] is None or b["type"] is None)
    return a == b


def wire_fields(f: FormField, value: Any) -> dict:
    """The body fields that send ``value`` of ``f``: text as is, choices typed, ``None`` for a cleared optional
    value, a lookup as its id plus, for a polymorphic one, its type field."""
    value = normalize(f, value)
    if f.kind == "lookup":
        body = {f.name: value["id"] if value else None}
        if f.type_field:
            body[f.type_field] = value["type"] if value else None
        return body
    if f.kind == "datetime":
        return {f.name: value}
    return {f.name: value}


# What a new record's form starts with (the server's own defaults, shown rather than left blank): part of the base,
# so an untouched new form is not "dirty", and sent on create like any other value.
NEW_RECORD_DEFAULTS: dict[str, dict[str, Any]] = {
    "incident": {"prioritycode": 2, "caseorigincode": "phone", "statuscode": 1},
    **{name: {"prioritycode": 1, "statecode": 0} for name in ("task", "email", "phonecall", "appointment")},
    "knowledgearticle": {"statecode": 0},
}


def new_record_base(meta: Entity) -> dict:
    """The base of a new record's form: the entity's defaults."""
    return dict(NEW_RECORD_DEFAULTS.get(meta.logical, {}))


# -- validation ------------------------------------------------------------------------------------------------------

def validate_value(f: FormField, value: Any) -> str | None:
    """The message for a bad value of ``f`` (``None`` when fine)."""
    value = normalize(f, value)
    empty = value is None or (isinstance(value, str) and not value.strip())
    if f.required and empty:
        return f"{f.label} is required."
    if empty:
        return None
    if f.kind in ("text", "multiline") and f.max_length is not None and len(value) > f.max_length:
        return f"{f.label} is too long: {len(value)} characters, at most {f.max_length}."
    if f.kind == "choice" and f.choices and value not in [option for option, _ in f.choices]:
        return f"{f.label} must be one of: {', '.join(label for _, label in f.choices)}."
    if f.kind == "number" and not isinstance(value, int | float):
        return f"{f.label} must be a number."
    if f.kind == "lookup" and f.type_field and value.get("type") is None:
        return f"{f.label}: choose a record from the list."
    if f.kind == "datetime":
        import datetime as dt

        try:
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return f"{f.label} must be a date and time."
    return None


def server_field_errors(meta: Entity, field_name: str | None, message: str) -> dict[str, str]:
    """A server error naming ``field_name`` as ``{form field: message}`` (a lookup's type field maps to the lookup;
    a field the form does not show maps to ``""``, the form-wide error)."""
    if not field_name:
        return {"": message}
    for f in form_fields(meta):
        if field_name in (f.name, f.type_field):
            return {f.name: message}
    return {"": message}


# -- state -----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldChange:
    """One row of a conflict: a field, what I loaded, what they saved, what I typed (``mine`` only when I edited
    it), and whether our edits collide (both changed it, to different values)."""

    name: str
    label: str
    base: Any
    theirs: Any
    mine: Any
    edited: bool
    collides: bool
    theirs_changed: bool = True


@dataclass(frozen=True)
class Conflict:
    """Three-way comparison after a 412: ``changes`` lists every form field they changed or I edited."""

    changes: tuple[FieldChange, ...]

    @property
    def theirs_changed(self) -> list[str]:
        return [c.name for c in self.changes if c.theirs_changed]

    @property
    def collisions(self) -> list[str]:
        return [c.name for c in self.changes if c.collides]


@dataclass
class FormState:
    """A record form's data: ``base`` (as read or saved; ``{}`` for new) and the agent's ``edits`` by field name.

    Args:
        meta: The entity.
        base: The record as last read.
        edits: Typed values the agent changed.
    """

    meta: Entity
    base: dict = field(default_factory=dict)
    edits: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base = dict(self.base or {})
        pending, self.edits = dict(self.edits or {}), {}
        for name, value in pending.items():
            self.set(name, value)

    # -- reading
    @property
    def is_new(self) -> bool:
        return not self.meta.id_of(self.base)

    @property
    def record_id(self) -> str | None:
        return self.meta.id_of(self.base)

    @property
    def etag(self) -> str | None:
        value = self.base.get(ETAG)
        return value if isinstance(value, str) else None

    @property
    def dirty(self) -> bool:
        return bool(self.edits)

    def form_field(self, name: str) -> FormField:
        for f in form_fields(self.meta):
            if f.name == name:
                return f
        raise KeyError(f"{self.meta.logical} has no form field {name!r}")

    def base_value(self, name: str) -> Any:
        return read_value(self.form_field(name), self.base)

    def value(self, name: str) -> Any:
        """The value the form shows: the edit, else the base value."""
        if name in self.edits:
            return self.edits[name]
        return self.base_value(name)

    def values(self) -> dict[str, Any]:
        return {f.name: self.value(f.name) for f in form_fields(self.meta)}

    def dirty_fields(self) -> list[str]:
        """Changed fields in form order."""
        return [f.name for f in form_fields(self.meta) if f.name in self.edits]

    # -- editing
    def set(self, name: str, value: Any) -> bool:
        """Record the agent's value for ``name``; returns whether the form is dirty afterwards. Unknown or read-only
        fields are ignored (a stale draft may name them)."""
        try:
            f = self.form_field(name)
        except KeyError:
            return self.dirty
        if f.kind not in EDITABLE_KINDS or f.readonly:
            return self.dirty
        value = normalize(f, value)
        if same_value(f, value, self.base_value(name)):
            self.edits.pop(name, None)
        else:
            self.edits[name] = value
        return self.dirty

    def discard(self) -> None:
        self.edits.clear()

    # -- saving
    def validate(self) -> dict[str, str]:
        """Client-side errors by field: every required field (new records: all; saved: as shown) and every edit."""
        errors = {}
        for f in editable_fields(self.meta):
            message = validate_value(f, self.value(f.name))
            if message and (f.name in self.edits or f.required):
                errors[f.name] = message
        return errors

    def patch_body(self) -> dict:
        """The PATCH body: only the changed fields, typed."""
        body: dict = {}
        for name in self.dirty_fields():
            body.update(wire_fields(self.form_field(name), self.edits[name]))
        return body

    def create_body(self) -> dict:
        """The POST body of a new record: every field with a value (empty optional ones left out, so the server's
        defaults apply)."""
        body: dict = {}
        for f in editable_fields(self.meta):
            value = normalize(f, self.value(f.name))
            if value is None or value == "":
                continue
            body.update(wire_fields(f, value))
        return body

    def saved(self, record: dict) -> None:
        """The server accepted the save: ``record`` is the new base; no edits remain."""
        self.base = dict(record)
        self.edits.clear()

    # -- conflicts
    def compare(self, theirs: dict) -> Conflict:
        """Three-way comparison of ``base`` (what I loaded), my edits and ``theirs`` (the record now)."""
        rows = []
        for f in form_fields(self.meta):
            base = read_value(f, self.base)
            their_value = read_value(f, theirs)
            they_changed = not same_value(f, base, their_value)
            edited = f.name in self.edits
            if not they_changed and not edited:
                continue
            mine = self.edits.get(f.name)
            collides = edited and they_changed and not same_value(f, mine, their_value)
            rows.append(FieldChange(f.name, f.label, base, their_value, mine, edited, collides, they_changed))
        return Conflict(tuple(rows))

    def reload(self, theirs: dict) -> None:
        """Discard my edits and take their record."""
        self.base = dict(theirs)
        self.edits.clear()

    def rebase(self, theirs: dict) -> None:
        """Keep my edits on top of their record (and its new ETag): the next save sends my edits only, so their
        changes to other fields stay."""
        mine = dict(self.edits)
        self.base = dict(theirs)
        self.edits = {}
        for name, value in mine.items():
            self.set(name, value)

    # -- drafts
    def draft(self, touched_ms: int) -> dict | None:
        """The unsaved edits as a JSON object for session restore (``None`` when there are none)."""
        if not self.edits:
            return None
        return {"draft": {"fields": _jsonable(self.edits), "base_etag": self.etag, "entity": self.meta.logical,
                          "id": self.record_id}, "touched": int(touched_ms)}


def _jsonable(edits: dict) -> dict:
    return {name: dict(value) if isinstance(value, dict) else value for name, value in edits.items()}


@dataclass(frozen=True)
class Draft:
    """Restored unsaved edits: ``fields`` (typed), the ETag they were based on, and when they were typed."""

    fields: dict
    base_etag: str | None
    record_id: str | None
    touched: int | None


def parse_draft(state: Any, meta: Entity, record_id: str | None) -> Draft | None:
    """The draft in a restored view state, if it is one for this form (entity and record id match); tolerant of
    anything malformed (returns ``None`` or drops the bad fields, never raises)."""
    if not isinstance(state, dict):
        return None
    draft = state.get("draft")
    if not isinstance(draft, dict) or draft.get("entity") != meta.logical:
        return None
    draft_id = draft.get("id")
    if (draft_id or None) != (record_id or None):
        return None
    fields_in = draft.get("fields")
    if not isinstance(fields_in, dict):
        return None
    known = {f.name: f for f in editable_fields(meta)}
    fields_out = {}
    for name, value in fields_in.items():
        f = known.get(name) if isinstance(name, str) else None
        if f is None:
            continue
        if f.kind == "lookup" and value is not None and normalize(f, value) is None:
            continue  # a lookup that is not one
        if f.kind in ("text", "multiline") and not isinstance(value, str | type(None)):
            continue
        if f.kind == "bool" and not isinstance(value, bool | type(None)):
            continue
        fields_out[name] = normalize(f, value)
    if not fields_out:
        return None
    etag = draft.get("base_etag")
    touched = state.get("touched")
    return Draft(fields_out, etag if isinstance(etag, str) else None, record_id,
                 touched if isinstance(touched, int) and not isinstance(touched, bool) else None)


# -- inputs ----------------------------------------------------------------------------------------------------------

def input_text(f: FormField, value: Any) -> str:
    """A typed value as an ``<input>``'s text (``datetime-local`` wants ``YYYY-MM-DDTHH:MM``, in UTC here)."""
    value = normalize(f, value)
    if value is None:
        return ""
    if f.kind == "datetime":
        return value.replace("Z", "")[:16]
    if f.kind == "bool":
        return "true" if value else "false"
    if f.kind == "lookup":
        return value.get("name") or ""
    return str(value)


def from_input(f: FormField, text: str) -> Any:
    """An input's text as the typed value of ``f`` (the inverse of :func:`input_text`)."""
    if f.kind == "datetime":
        if not text:
            return None
        return text + (":00Z" if len(text) == 16 else "Z" if not text.endswith("Z") else "")
    if f.kind == "bool":
        return text == "true"
    return normalize(f, text)


def display_text(f: FormField, value: Any) -> str:
    """A value as the agent reads it (a choice's label, a lookup's name, a date without seconds)."""
    from casework.entities import choice_label

    value = normalize(f, value)
    if value is None or value == "":
        return "—"
    if f.kind == "choice":
        return choice_label(f.choices + f.shown_choices, value)
    if f.kind == "lookup":
        return value.get("name") or value["id"]
    if f.kind == "bool":
        return "Yes" if value else "No"
    if f.kind == "datetime":
        return value.replace("T", " ").replace("Z", "")[:16] + " UTC"
    return str(value)
