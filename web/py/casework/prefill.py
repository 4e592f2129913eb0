"""A new record's form filled from the reference's form parameters. Pure.

Three callers hand a new form its first values, all in the shape the Dynamics client API documents:
``Microsoft.Apm.createTab`` with ``msdyn_entityrecord`` and ``data`` (a JSON string or object),
``Xrm.Navigation.openForm(options, formParameters)`` and ``Xrm.Navigation.navigateTo({pageType: "entityrecord",
data})``. A lookup is either the reference's triplet ``X``, ``Xname``, ``Xtype`` (``regardingobjectid``,
``regardingobjectidname``, ``regardingobjectidtype``) or one ``{id, name, entityType}`` object (or a list holding
one, as the tab-template ``data`` example writes it).

:func:`form_values` answers the typed form values (see ``casework.forms``) and the names this form does not have
(the caller says so to the agent; the reference's own sample names ``actualdurationminutes``, which Casework's task
form lacks). A value of the wrong shape is an error.
"""

from __future__ import annotations

import json
from typing import Any

from casework.entities import Entity, entity
from casework.forms import editable_fields, normalize, read_value


class PrefillError(ValueError):
    """Form parameters of the wrong shape. ``code`` is ``invalid_input`` (the Apm API's)."""

    code = "invalid_input"


def _data(data: object) -> dict:
    if data is None or data == "":
        return {}
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as error:
            raise PrefillError(f"data is not valid JSON: {error}.") from None
    if not isinstance(data, dict):
        raise PrefillError("data (form parameters) must be an object of attribute names and values.")
    return data


def _lookup(name: str, value: object, data: dict) -> dict:
    if isinstance(value, list):
        if len(value) != 1:
            raise PrefillError(f"{name} must name one record.")
        value = value[0]
    if isinstance(value, dict):
        record_id, record_name = value.get("id"), value.get("name")
        kind = value.get("entityType", value.get("type", value.get("entitytype")))
    else:
        record_id, record_name, kind = value, data.get(name + "name"), data.get(name + "type")
    if not isinstance(record_id, str) or not record_id.strip("{} "):
        raise PrefillError(f"{name} needs a record id (the lookup triplet {name}, {name}name, {name}type).")
    return {"id": record_id.strip("{} "), "type": kind if isinstance(kind, str) and kind else None,
            "name": record_name if isinstance(record_name, str) else None}


def form_values(entity_name: str | Entity, data: object) -> tuple[dict[str, Any], list[str]]:
    """The typed values a new form of ``entity_name`` starts with, and the given names it has no field for.

    Raises:
        PrefillError: ``data`` is not an object (or its JSON), or a value does not fit its field.
    """
    meta = entity_name if isinstance(entity_name, Entity) else entity(entity_name)
    given = _data(data)
    fields = {f.name: f for f in editable_fields(meta)}
    values: dict[str, Any] = {}
    used: set[str] = set()
    for name, value in given.items():
        f = fields.get(name)
        if f is None:
            continue
        used.add(name)
        if f.kind == "lookup":
            if value is not None:
                values[name] = _lookup(name, value, given)
                used.update((name + "name", name + "type"))
            else:
                values[name] = None
            continue
        if f.kind in ("text", "multiline") and not isinstance(value, str | type(None)):
            raise PrefillError(f"{name} takes text, not {value!r}.")
        if f.kind == "bool" and not isinstance(value, bool | type(None)):
            raise PrefillError(f"{name} takes true or false, not {value!r}.")
        if f.kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float | str | None)):
            raise PrefillError(f"{name} takes a number, not {value!r}.")
        values[name] = normalize(f, value)
    unknown = [name for name in given if name not in used]
    return values, unknown


# What quick create fills in from the record the agent is on (issue 15, item 13): the field of each new record that
# points at it, by the current record's logical name.
_CONTEXT_FIELDS: dict[str, dict[str, str]] = {
    "task": {"incident": "regardingobjectid", "account": "regardingobjectid", "contact": "regardingobjectid"},
    "phonecall": {"incident": "regardingobjectid", "account": "regardingobjectid", "contact": "regardingobjectid"},
    "incident": {"account": "customerid", "contact": "customerid"},
    "contact": {"account": "parentcustomerid"},
}


def context_values(logical: str, current: tuple[str, str] | None, title: str | None) -> dict[str, Any]:
    """The typed values a quick-create form of ``logical`` starts with when the agent is on ``current`` (``(entity
    name, id)`` of the focused tab's record, ``None`` elsewhere): a task regarding the case, a case for the contact."""
    if current is None:
        return {}
    field_name = _CONTEXT_FIELDS.get(logical, {}).get(current[0])
    if field_name is None:
        return {}
    return {field_name: {"id": current[1], "type": current[0], "name": title or None}}


def clone_data(entity_name: str | Entity, record: dict, title: str = "") -> dict[str, Any]:
    """Form parameters (the ``data`` of a new ``msdyn_entityrecord`` tab) that copy ``record`` into a new form of
    the same entity: the macro actions "Clone current record" / "Clone input record" ("copies fields and does not
    save"). Every editable field with a value is copied (lookups as ``{id, name, entityType}``; read-only fields,
    ids, status and dates the server sets are not); ``title``, when given, replaces the primary field's value."""
    meta = entity_name if isinstance(entity_name, Entity) else entity(entity_name)
    data: dict[str, Any] = {}
    for f in editable_fields(meta):
        value = read_value(f, record)
        if value is None or value == "":
            continue
        if f.kind == "lookup":
            name = record.get(f"_{f.name}_value@OData.Community.Display.V1.FormattedValue", record.get(f.name + "name"))
            value = {"id": value["id"], "entityType": value["type"], "name": name if isinstance(name, str) else None}
        data[f.name] = value
    if title:
        data[meta.primary] = title
    return data
