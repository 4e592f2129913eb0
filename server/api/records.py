"""``/api/<entity set>``: list with OData query options, get by id, create, update, delete, case actions, timeline.

Conventions (documented in the README):
- A record is addressed as ``/api/<set>(<id>)`` (the Dataverse form).
- Records answer with their key, fields and ``@odata.etag`` (``W/"<versionnumber>"``); the ``ETag`` header too.
- Writes (PATCH, DELETE, actions) need ``If-Match`` with the record's ETag: 428 when it is missing, 412 with the
  current record in ``details.current`` when it is stale. ``versionnumber`` goes up by one on every write.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import re
import secrets
import string
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import bindparam, delete, func, insert, literal, or_, select, union_all, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response
from starlette.routing import Route

from server import auth, mentions
from server.api.common import Call, FastJSONResponse, budgeted, endpoint, utcnow
from server.api.entities import ENTITY_SETS, REFERENCES, EntitySet, Field, LookupName
from server.api.odata import GUID, QueryError, parse_filter, parse_int, parse_orderby, parse_select
from server.conversations.events import emit
from server.db import schema
from server.db.search import START, STOP
from server.errors import ApiError

DEFAULT_PAGE = 50
MAX_PAGE = 500
MAX_SKIP = 10_000_000


# -- helpers -----------------------------------------------------------------------------------------------------

def etag_of(version: int) -> str:
    """The ETag of a record version."""
    return f'W/"{version}"'


def _version_from(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    match = re.fullmatch(r'\s*(?:W/)?"(\d{1,18})"\s*', if_match)
    return int(match.group(1)) if match else -1


def _utc_text(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _convert_datetime(value: Any) -> Any:
    return _utc_text(value) if isinstance(value, dt.datetime) else value


def _convert_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _convert_bool(value: Any) -> Any:
    return bool(value) if value is not None else None


_CONVERTERS = {"datetime": _convert_datetime, "json": _convert_json, "jsonarray": _convert_json,
               "bool": _convert_bool}
_PLANS: dict[tuple[str, tuple[str, ...] | None], list[tuple[str, Any]]] = {}


def _plan(entity_set: EntitySet, names: list[str] | None) -> list[tuple[str, Any]]:
    """(field, converter or None) in output order, worked out once per entity set and ``$select``."""
    key = (entity_set.name, tuple(names) if names is not None else None)
    plan = _PLANS.get(key)
    if plan is None:
        plan = [(f.name, _CONVERTERS.get(f.kind)) for f in entity_set.fields
                if names is None or f.name in names or f.name == entity_set.key]
        if len(_PLANS) < 4096:  # $select lists come from clients: keep the memo bounded
            _PLANS[key] = plan
    return plan


def to_json(entity_set: EntitySet, row: Any, names: list[str] | None = None) -> dict:
    """A row as the API's JSON record (``@odata.etag``, the key, then the fields)."""
    mapping = row._mapping if hasattr(row, "_mapping") else row
    record: dict[str, Any] = {"@odata.etag": etag_of(mapping["versionnumber"])}
    for name, convert in _plan(entity_set, names):
        value = mapping[name]
        record[name] = convert(value) if convert is not None else value
    return record


def _entity_set(call: Call) -> EntitySet:
    name = call.path["entityset"]
    entity_set = ENTITY_SETS.get(name)
    if entity_set is None:
        raise ApiError(404, "not_found", f"No entity set {name!r}.", {"entitySet": name, "known": sorted(ENTITY_SETS)})
    return entity_set


def _record_id(call: Call) -> str:
    record_id = call.path["id"].strip("'").lower()
    if not GUID.fullmatch(record_id):
        raise ApiError(400, "invalid_id", "A record id is a GUID.", {"field": "id", "value": call.path["id"][:60]})
    return record_id


def _base_where(entity_set: EntitySet):
    return [entity_set.column(name).in_(value) if isinstance(value, tuple) else entity_set.column(name) == value
            for name, value in entity_set.fixed.items()]


_FETCH: dict[str, Any] = {}


def _fetch(conn: Connection, entity_set: EntitySet, record_id: str):
    # The SELECT by key is built once per entity set with a bound parameter: building it per request cost more CPU
    # than running it (measured ~0.3 ms of a ~0.5 ms get).
    statement = _FETCH.get(entity_set.name)
    if statement is None:
        statement = _FETCH[entity_set.name] = select(entity_set.table).where(
            entity_set.column(entity_set.key) == bindparam("record_id"), *_base_where(entity_set))
    return conn.execute(statement, {"record_id": record_id}).first()


def _get_or_404(conn: Connection, entity_set: EntitySet, record_id: str):
    row = _fetch(conn, entity_set, record_id)
    if row is None:
        raise ApiError(404, "not_found", f"No {_noun(entity_set)} with id {record_id}.",
                       {"entitySet": entity_set.name, "id": record_id})
    return row


def _record_response(entity_set: EntitySet, row: Any, status: int = 200,
                     headers: dict | None = None) -> FastJSONResponse:
    version = row._mapping["versionnumber"]
    return FastJSONResponse(to_json(entity_set, row), status_code=status,
                        headers={"ETag": etag_of(version), "Cache-Control": "no-store", **(headers or {})})


def _require_version(call: Call) -> int:
    version = _version_from(call.header("if-match"))
    if version is None:
        raise ApiError(428, "precondition_required", "Send If-Match with the record's ETag to change it.",
                       {"header": "If-Match"})
    return version


def _stale(entity_set: EntitySet, row: Any) -> ApiError:
    current = to_json(entity_set, row)
    return ApiError(412, "precondition_failed", "The record changed since you read it; reload and try again.",
                    {"etag": current["@odata.etag"], "current": current})


def _noun(entity_set: EntitySet) -> str:
    """What messages call a record of ``entity_set`` (agents say "case", not "incident")."""
    return {"incident": "case", "annotation": "note", "phonecall": "phone call", "email": "e-mail",
            "knowledgearticle": "knowledge article", "systemuser": "user"}.get(entity_set.entity, entity_set.entity)


def _check_owner(call: Call, entity_set: EntitySet, row: Any) -> None:
    user = call.user
    assert user is not None
    if not entity_set.agent_owner_check or user.has("supervisor", "admin"):
        return
    owner = row._mapping.get("ownerid")
    if owner == user.id or (entity_set.owner_or_unowned and owner is None):
        return
    noun = _noun(entity_set)
    raise ApiError(403, "not_owner", f"Only the owner, a supervisor or an admin can change this {noun}.",
                   {"ownerid": owner})


@contextlib.contextmanager
def _writing(call: Call):
    """A write transaction that, before it commits, logs ``record.changed`` (topic ``all``) for the records it
    changed, so other agents' workspaces refresh what someone else changed; this process's sockets wake after."""
    changes: list[dict] = []
    events: list[tuple[list[str], str, dict]] = []  # more events of the write (``note.mentioned``), see _also_emit
    with call.database.engine.begin() as conn:
        conn.info["record_changes"] = changes
        conn.info["record_events"] = events
        try:
            yield conn
        finally:
            conn.info.pop("record_changes", None)
            conn.info.pop("record_events", None)
        if changes:
            emit(conn, ["all"], "record.changed", {"by": call.user.id if call.user else None, "records": changes})
        for topics, type_, payload in events:  # last in the transaction: emit holds the event-order lock
            emit(conn, topics, type_, payload)
    hub = getattr(call.request.app.state, "hub", None)
    if (changes or events) and hub is not None:
        hub.notify({"all", *(topic for topics, _, _ in events for topic in topics)})


def _also_emit(conn: Connection, topics: list[str], type_: str, payload: dict) -> None:
    """Log another event with this write (inside :func:`_writing`), after its ``record.changed``."""
    conn.info["record_events"].append((topics, type_, payload))


def _changed(conn: Connection, entity_set: EntitySet, record_id: str, version: int | None) -> None:
    changes = conn.info.get("record_changes")
    if changes is not None:
        changes.append({"entitySet": entity_set.name, "id": record_id, "version": version})


# -- validation --------------------------------------------------------------------------------------------------

def _invalid(field: str | None, reason: str, message: str) -> ApiError:
    return ApiError(422, "validation_failed", message, {"field": field, "reason": reason})


_SEARCH_MARKERS = str.maketrans("", "", START + STOP)


def _coerce(f: Field, value: Any) -> Any:
    if value is None:
        if not f.nullable:
            raise _invalid(f.name, "null", f"{f.name} cannot be null.")
        return None
    if f.kind in ("string", "guid"):
        if not isinstance(value, str):
            raise _invalid(f.name, "type", f"{f.name} must be text.")
        if f.kind == "guid":
            if not GUID.fullmatch(value):
                raise _invalid(f.name, "format", f"{f.name} must be a GUID.")
            value = value.lower()
        value = value.translate(_SEARCH_MARKERS)  # the search's match markers never come from stored text
        if f.max_length and len(value) > f.max_length:
            raise _invalid(f.name, "too_long", f"{f.name} is longer than {f.max_length} characters.")
        if f.required and not value.strip():
            raise _invalid(f.name, "blank", f"{f.name} cannot be blank.")
    elif f.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not -(2**31) <= value < 2**31:
            raise _invalid(f.name, "type", f"{f.name} must be a whole number.")
    elif f.kind == "bool":
        if not isinstance(value, bool):
            raise _invalid(f.name, "type", f"{f.name} must be true or false.")
    elif f.kind == "datetime":
        if not isinstance(value, str):
            raise _invalid(f.name, "type", f"{f.name} must be an ISO 8601 date-time text.")
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _invalid(f.name, "format", f"{f.name} must be an ISO 8601 date-time.") from None
        # Stored in UTC: SQLite keeps no offset, so 10:00+02:00 would come back as 10:00Z.
        value = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    elif f.kind == "json":
        if not isinstance(value, dict):
            raise _invalid(f.name, "type", f"{f.name} must be a JSON object.")
        value = json.dumps(value, sort_keys=True)
        if len(value) > 32000:
            raise _invalid(f.name, "too_long", f"{f.name} is too large.")
    if f.choices is not None and value not in f.choices:
        raise ApiError(422, "validation_failed", f"{f.name} must be one of {list(f.choices)}.",
                       {"field": f.name, "reason": "choice", "allowed": list(f.choices)})
    return value


def validate_body(entity_set: EntitySet, body: Any, creating: bool) -> dict:
    """Check a create/update body against the entity set; returns column values.

    Raises:
        ApiError: 400 ``invalid_body`` for a non-object, 422 ``validation_failed`` naming the field for an unknown,
            read-only, missing or mistyped field.
    """
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "The body must be a JSON object.", {"field": None})
    fields = entity_set.by_name
    values: dict[str, Any] = {}
    for name, value in body.items():
        if name.startswith("@odata."):
            continue  # a record read from us may be sent back as is
        f = fields.get(name)
        if f is None:
            raise _invalid(name, "unknown", f"{entity_set.name} has no field {name!r}.")
        if f.write is None or (f.write == "create" and not creating):
            raise _invalid(name, "read_only", f"{name} is read-only.")
        if f.check is not None and value is not None:
            try:
                f.check(value)
            except ValueError as exc:
                path = getattr(exc, "path", None)
                raise ApiError(422, "validation_failed", f"{name} is not valid: {exc}.",
                               {"field": name, "reason": "invalid", "path": path}) from None
        values[name] = _coerce(f, value)
    if creating:
        for f in entity_set.fields:
            if f.write and f.name not in values:
                if f.required:
                    raise _invalid(f.name, "required", f"{f.name} is required.")
                if f.default is not None:
                    values[f.name] = f.default
    return values


def _check_references(conn: Connection, entity_set: EntitySet, values: dict, existing: Any = None) -> None:
    for name, (type_field, targets) in REFERENCES.get(entity_set.name, {}).items():
        if name not in values and (type_field is None or type_field not in values):
            continue
        current = dict(existing._mapping) if existing is not None else {}
        target_id = values.get(name, current.get(name))
        if target_id is None:
            continue
        kind = values.get(type_field, current.get(type_field)) if type_field else next(iter(targets))
        if kind is None:
            raise _invalid(type_field, "required", f"{type_field} is required with {name}.")
        table, key = targets[kind]
        if conn.execute(select(table.c[key]).where(table.c[key] == target_id)).first() is None:
            raise ApiError(422, "validation_failed", f"{name} names no existing {kind}.",
                           {"field": name, "reason": "not_found", "id": target_id})


# -- list and get ------------------------------------------------------------------------------------------------

class _LookupNameTerm:
    """A :class:`LookupName` as ``$filter`` sees it: a comparison or text function on the name becomes "the lookup
    is one of the records whose name matches" (``customerid IN (SELECT accountid FROM accounts WHERE name LIKE
    …)``), which uses the lookup's index where a per-row subquery would not."""

    def __init__(self, entity_set: EntitySet, spec: LookupName) -> None:
        self.lookup = entity_set.column(spec.lookup)
        self.targets = spec.targets

    def _matching(self, condition: Callable[[Any], Any]) -> Any:
        return or_(*(self.lookup.in_(select(table.c[key]).where(condition(table.c[name])))
                     for table, key, name in self.targets))

    def ilike(self, pattern: str, escape: str | None = None) -> Any:
        return self._matching(lambda name: name.ilike(pattern, escape=escape))

    def is_(self, _none: None) -> Any:
        return self.lookup.is_(None)

    def is_not(self, _none: None) -> Any:
        return self.lookup.is_not(None)

    def __eq__(self, value: Any) -> Any:  # type: ignore[override]
        return self._matching(lambda name: name == value)

    def __ne__(self, value: Any) -> Any:  # type: ignore[override]
        return self._matching(lambda name: name != value)

    def __lt__(self, value: Any) -> Any:
        return self._matching(lambda name: name < value)

    def __le__(self, value: Any) -> Any:
        return self._matching(lambda name: name <= value)

    def __gt__(self, value: Any) -> Any:
        return self._matching(lambda name: name > value)

    def __ge__(self, value: Any) -> Any:
        return self._matching(lambda name: name >= value)

    __hash__ = None  # type: ignore[assignment]


def _lookup_name_order(entity_set: EntitySet, spec: LookupName) -> Any:
    """The name as a sort key: the first target that has the record (ids are unique across tables)."""
    lookup = entity_set.column(spec.lookup)
    names = [select(table.c[name]).where(table.c[key] == lookup).scalar_subquery()
             for table, key, name in spec.targets]
    return names[0] if len(names) == 1 else func.coalesce(*names)


def _filter_fields(entity_set: EntitySet) -> dict[str, tuple[Any, str]]:
    fields: dict[str, tuple[Any, str]] = {f.name: (entity_set.column(f.name), f.kind) for f in entity_set.fields
                                          if f.kind not in ("json", "jsonarray")}
    for spec in entity_set.lookup_names:
        fields[spec.name] = (_LookupNameTerm(entity_set, spec), "string")
    return fields


def _order_column(entity_set: EntitySet, name: str) -> Any:
    spec = next((spec for spec in entity_set.lookup_names if spec.name == name), None)
    return _lookup_name_order(entity_set, spec) if spec is not None else entity_set.column(name)


# Columns whose empty values sort after the others in either direction: an activity without a due date comes after
# the dated ones in "My open activities" (issue 15, item 7). Only these: NULLS LAST on an ascending sort cannot use
# a plain index, and these lists are narrowed by owner and state before they are sorted.
NULLS_LAST = frozenset({"scheduledend"})


def _ordered(column: Any, desc: bool, name: str) -> Any:
    ordered = column.desc() if desc else column.asc()
    return ordered.nulls_last() if name in NULLS_LAST else ordered  # SQLite and PostgreSQL differ on NULLs


_LIST_OPTIONS = ("$filter", "$select", "$orderby", "$top", "$skip", "$count")


@functools.lru_cache(maxsize=512)
def _list_statements(set_name: str, filter_text: str | None, select_text: str | None, orderby_text: str | None,
                     top_text: str | None, skip_text: str | None, count_text: str | None):
    """The page and count statements of a list request, from its query options (``None``: absent); memoized on
    the option texts, because a grid asks for the same page query again and again and parsing and building it
    cost more CPU than running it at a million cases (measured ~1 ms of ~1.5 ms). A statement holds its values
    as bound parameters and is immutable, so sharing one between requests is safe. Raises ``QueryError``
    (never memoized)."""
    entity_set = ENTITY_SETS[set_name]
    fields = _filter_fields(entity_set)
    where = _base_where(entity_set)
    if filter_text is not None:
        where.append(parse_filter(filter_text, fields))
    names = parse_select(select_text, set(entity_set.by_name)) if select_text is not None else None
    order = parse_orderby(orderby_text, fields) if orderby_text is not None else list(entity_set.default_order)
    top = parse_int(top_text, "$top", MAX_PAGE) if top_text is not None else DEFAULT_PAGE
    skip = parse_int(skip_text, "$skip", MAX_SKIP) if skip_text is not None else 0
    count = (count_text or "false").lower()
    if count not in ("true", "false"):
        raise QueryError("$count must be true or false.", option="$count")
    columns = [entity_set.column(f.name) for f in entity_set.fields if names is None or f.name in names
               or f.name in (entity_set.key, "versionnumber")]
    order_by = [_ordered(_order_column(entity_set, name), desc, name) for name, desc in order]
    order_by.append(entity_set.column(entity_set.key).asc())  # a total order, so pages never overlap
    query = select(*columns).where(*where).order_by(*order_by).limit(top + 1).offset(skip)
    count_query = select(func.count()).select_from(entity_set.table).where(*where) if count == "true" else None
    return query, count_query, names, top, skip


def list_records(call: Call, entity_set: EntitySet | None = None, extra_where: tuple = ()) -> Response:
    """``GET /api/<set>``: ``$filter``, ``$select``, ``$orderby``, ``$top`` (max 500), ``$skip``, ``$count``.
    ``entity_set`` and ``extra_where``: for nested collections (``conversations(<id>)/messages``)."""
    entity_set = entity_set or _entity_set(call)
    known = {"$filter", "$select", "$orderby", "$top", "$skip", "$count"}
    unknown = [key for key in call.query if key.startswith("$") and key not in known]
    try:
        if unknown:
            raise QueryError(f"Unknown query option {unknown[0]}.", option=unknown[0])
        query, count_query, names, top, skip = _list_statements(
            entity_set.name, *(call.query.get(option) for option in _LIST_OPTIONS))
    except QueryError as exc:
        raise ApiError(400, "invalid_query", exc.message, exc.details) from None
    scope = [*(entity_set.scope(call.user) if entity_set.scope else []), *extra_where]
    visible = _visible_to(call, entity_set)
    if visible is not None:  # queue membership (agents see their own queues' items)
        scope.append(visible)
    if scope:  # row-level scope (conversations): added per request, after the memoized statement
        query = query.where(*scope)
        count_query = count_query.where(*scope) if count_query is not None else None
    with call.database.engine.connect() as conn, budgeted(call.database, conn):
        rows = conn.execute(query).all()
        body: dict[str, Any] = {}
        if count_query is not None:
            body["@odata.count"] = conn.execute(count_query).scalar_one()
    body["value"] = [to_json(entity_set, row, names) for row in rows[:top]]
    if len(rows) > top:
        params = [(k, v) for k, v in call.query.multi_items() if k != "$skip"] + [("$skip", str(skip + top))]
        body["@odata.nextLink"] = f"{call.request.url.path}?{urlencode(params)}"
    return FastJSONResponse(body, headers={"Cache-Control": "no-store"})


def get_record(call: Call) -> Response:
    """``GET /api/<set>(<id>)``; answers 304 to a matching ``If-None-Match``."""
    entity_set, record_id = _entity_set(call), _record_id(call)
    with call.database.engine.connect() as conn:
        row = _get_or_404(conn, entity_set, record_id)
        if entity_set.scope is not None and (scope := entity_set.scope(call.user)):
            key = entity_set.column(entity_set.key)
            if conn.execute(select(key).where(key == record_id, *scope)).first() is None:
                raise ApiError(404, "not_found", f"No {_noun(entity_set)} with id {record_id}.",
                               {"entitySet": entity_set.name, "id": record_id})
    etag = etag_of(row._mapping["versionnumber"])
    if call.header("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return _record_response(entity_set, row)


# -- writes ------------------------------------------------------------------------------------------------------

def _ticket_number(conn: Connection) -> str:
    count = conn.execute(select(func.count()).select_from(schema.incidents)).scalar_one()
    suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(6))
    return f"CAS-{1000 + count:05d}-{suffix}"


def _generated(conn: Connection, entity_set: EntitySet, values: dict, call: Call, now: dt.datetime) -> dict:
    extra: dict[str, Any] = dict(entity_set.fixed)
    if entity_set.name == "incidents":
        extra.update(ticketnumber=_ticket_number(conn), statecode=0, ownerid=call.user.id)
    elif entity_set.name == "contacts":
        extra["fullname"] = f"{values['firstname']} {values['lastname']}"
    elif entity_set.name == "knowledgearticles":
        count = conn.execute(select(func.count()).select_from(schema.knowledgearticles)).scalar_one()
        extra.update(articlepublicnumber=f"KA-{10001 + count}-{secrets.token_hex(2).upper()}",
                     knowledgearticleviews=0, ownerid=call.user.id)
    elif entity_set.name == "queueitems":
        extra["enteredon"] = now
    elif "ownerid" in entity_set.by_name:
        extra["ownerid"] = call.user.id
    if entity_set.name == "systemusers":
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,99}", values["domainname"]):
            raise _invalid("domainname", "format", "domainname is lower-case letters, digits, '.', '_' or '-'.")
    return extra


def create_record(call: Call) -> Response:
    """``POST /api/<set>``: 201 with the record, ``Location`` and ``ETag``."""
    entity_set = _entity_set(call)
    call.require(*entity_set.write_roles)
    values = validate_body(entity_set, call.body, creating=True)
    now = utcnow()
    record_id = str(uuid.uuid4())
    try:
        with _writing(call) as conn:
            _check_references(conn, entity_set, values)
            row_values = {**values, **_generated(conn, entity_set, values, call, now), entity_set.key: record_id,
                          "createdon": now, "modifiedon": now, "versionnumber": 1}
            conn.execute(insert(entity_set.table).values(**row_values))
            row = _fetch(conn, entity_set, record_id)
            _changed(conn, entity_set, record_id, 1)
            if entity_set.name == "annotations":
                for topics, type_, payload in mentions.note_events(conn, call.user, row._mapping):
                    _also_emit(conn, topics, type_, payload)
    except IntegrityError:
        raise ApiError(409, "conflict", f"This {_noun(entity_set)} clashes with an existing record "
                       "(a unique value is taken).", {"entitySet": entity_set.name}) from None
    return _record_response(entity_set, row, 201, {"Location": f"/api/{entity_set.name}({record_id})"})


def _guarded_update(conn: Connection, entity_set: EntitySet, record_id: str, version: int, values: dict,
                    now: dt.datetime, extra_where: tuple = ()) -> Any:
    """UPDATE ... WHERE key AND versionnumber: the check and the write are one statement, so no lost update."""
    key = entity_set.column(entity_set.key)
    result = conn.execute(
        update(entity_set.table)
        .where(key == record_id, entity_set.column("versionnumber") == version, *extra_where)
        .values(**values, modifiedon=now, versionnumber=entity_set.column("versionnumber") + 1)
    )
    row = _fetch(conn, entity_set, record_id)
    if result.rowcount != 1:
        if row is None:
            raise ApiError(404, "not_found", f"No {_noun(entity_set)} with id {record_id}.", {"id": record_id})
        raise _stale(entity_set, row)
    _changed(conn, entity_set, record_id, row._mapping["versionnumber"])
    return row


def _load_for_write(conn: Connection, call: Call, entity_set: EntitySet, record_id: str, version: int) -> Any:
    row = _get_or_404(conn, entity_set, record_id)
    if row._mapping["versionnumber"] != version:
        raise _stale(entity_set, row)
    _check_owner(call, entity_set, row)
    return row


def update_record(call: Call) -> Response:
    """``PATCH /api/<set>(<id>)`` with ``If-Match``."""
    entity_set, record_id = _entity_set(call), _record_id(call)
    call.require(*entity_set.write_roles)
    version = _require_version(call)
    values = validate_body(entity_set, call.body, creating=False)
    now = utcnow()
    try:
        with _writing(call) as conn:
            row = _load_for_write(conn, call, entity_set, record_id, version)
            if entity_set.name == "incidents" and row._mapping["statecode"] != 0:
                raise ApiError(409, "case_not_active", "A resolved or cancelled case cannot be edited.",
                               {"statecode": row._mapping["statecode"]})
            if entity_set.name == "emails" and row._mapping["statecode"] != 0:
                raise ApiError(409, "email_closed", "A sent or cancelled e-mail cannot be edited.",
                               {"statecode": row._mapping["statecode"]})
            if entity_set.name == "contacts" and ({"firstname", "lastname"} & set(values)):
                first = values.get("firstname", row._mapping["firstname"])
                values["fullname"] = f"{first} {values.get('lastname', row._mapping['lastname'])}"
            _check_references(conn, entity_set, values, row)
            row = _guarded_update(conn, entity_set, record_id, version, values, now)
            if entity_set.name == "systemusers" and values.get("isdisabled"):
                auth.end_user_sessions(conn, record_id)  # re-enabling them later must not revive these
    except IntegrityError:
        raise ApiError(409, "conflict", "A unique value is taken.", {"entitySet": entity_set.name}) from None
    return _record_response(entity_set, row)


def delete_record(call: Call) -> Response:
    """``DELETE /api/<set>(<id>)`` with ``If-Match``: 204."""
    entity_set, record_id = _entity_set(call), _record_id(call)
    call.require(*entity_set.delete_roles)
    version = _require_version(call)
    try:
        with _writing(call) as conn:
            _load_for_write(conn, call, entity_set, record_id, version)
            if entity_set.name == "incidents":
                conn.execute(delete(schema.queueitems).where(schema.queueitems.c.objectid == record_id))
            key = entity_set.column(entity_set.key)
            result = conn.execute(delete(entity_set.table).where(
                key == record_id, entity_set.column("versionnumber") == version))
            if result.rowcount != 1:
                raise _stale(entity_set, _get_or_404(conn, entity_set, record_id))
            _changed(conn, entity_set, record_id, None)
    except IntegrityError:
        raise ApiError(409, "conflict", f"Other records still refer to this {_noun(entity_set)}.",
                       {"entitySet": entity_set.name, "id": record_id}) from None
    return Response(status_code=204)


# -- case actions ------------------------------------------------------------------------------------------------

INCIDENTS = ENTITY_SETS["incidents"]


def _action_body(call: Call, allowed: dict[str, Field]) -> dict:
    body = call.body if call.body is not None else {}
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "The body must be a JSON object.", {"field": None})
    values = {}
    for name, value in body.items():
        if name not in allowed:
            raise _invalid(name, "unknown", f"This action takes no field {name!r}.")
        values[name] = _coerce(allowed[name], value)
    for f in allowed.values():
        if f.required and f.name not in values:
            raise _invalid(f.name, "required", f"{f.name} is required.")
        if f.name not in values and f.default is not None:
            values[f.name] = f.default
    return values


def _close_case(call: Call, state: int) -> Response:
    record_id = _record_id(call)
    version = _require_version(call)
    reasons = (5, 1000) if state == 1 else (6, 2000)
    values = _action_body(call, {
        "subject": Field("subject", required=state == 1, max_length=300, nullable=False,
                         default="Case cancelled" if state == 2 else None),
        "description": Field("description", max_length=20000),
        "statuscode": Field("statuscode", "int", choices=reasons, nullable=False, default=reasons[0]),
    })
    now = utcnow()
    with _writing(call) as conn:
        row = _load_for_write(conn, call, INCIDENTS, record_id, version)
        if row._mapping["statecode"] != 0:
            raise ApiError(409, "case_not_active", "The case is already resolved or cancelled.",
                           {"statecode": row._mapping["statecode"]})
        row = _guarded_update(conn, INCIDENTS, record_id, version, {
            "statecode": state, "statuscode": values["statuscode"], "resolvedon": now,
            "resolution": values["subject"] if state == 1 else None,
        }, now, (schema.incidents.c.statecode == 0,))
        conn.execute(insert(schema.activities).values(
            activityid=str(uuid.uuid4()), activitytypecode="incidentresolution", subject=values["subject"],
            description=values.get("description"), regardingobjectid=record_id, regardingobjecttypecode="incident",
            statecode=1, statuscode=2, prioritycode=1, actualend=now, ownerid=call.user.id, createdon=now,
            modifiedon=now, versionnumber=1,
        ))
        conn.execute(delete(schema.queueitems).where(schema.queueitems.c.objectid == record_id))
    return _record_response(INCIDENTS, row)


def resolve_case(call: Call) -> Response:
    """``POST /api/incidents(<id>)/resolve`` ``{"subject", "description"?, "statuscode"?: 5|1000}``: in one
    transaction, a resolution activity, the case resolved, its queue items removed."""
    call.require("agent", "supervisor", "admin")
    return _close_case(call, 1)


def cancel_case(call: Call) -> Response:
    """``POST /api/incidents(<id>)/cancel`` ``{"subject"?, "description"?, "statuscode"?: 6|2000}``."""
    call.require("agent", "supervisor", "admin")
    return _close_case(call, 2)


def assign_case(call: Call) -> Response:
    """``POST /api/incidents(<id>)/assign`` ``{"ownerid"}`` (supervisor, admin)."""
    call.require("supervisor", "admin")
    record_id, version = _record_id(call), _require_version(call)
    values = _action_body(call, {"ownerid": Field("ownerid", "guid", required=True, nullable=False)})
    now = utcnow()
    with _writing(call) as conn:
        user = conn.execute(select(schema.systemusers.c.isdisabled).where(
            schema.systemusers.c.systemuserid == values["ownerid"])).first()
        if user is None or user.isdisabled:
            raise ApiError(422, "validation_failed", "ownerid names no enabled user.",
                           {"field": "ownerid", "reason": "not_found"})
        _load_for_write(conn, call, INCIDENTS, record_id, version)
        row = _guarded_update(conn, INCIDENTS, record_id, version, {"ownerid": values["ownerid"]}, now)
        conn.execute(update(schema.queueitems).where(schema.queueitems.c.objectid == record_id).values(
            workerid=values["ownerid"], modifiedon=now, versionnumber=schema.queueitems.c.versionnumber + 1))
    return _record_response(INCIDENTS, row)


def route_case(call: Call) -> Response:
    """``POST /api/incidents(<id>)/route`` ``{"queueid"}`` (supervisor, admin): the case moves to the queue, with
    one queue item there (replacing any in other queues)."""
    call.require("supervisor", "admin")
    record_id, version = _record_id(call), _require_version(call)
    values = _action_body(call, {"queueid": Field("queueid", "guid", required=True, nullable=False)})
    now = utcnow()
    with _writing(call) as conn:
        queues = schema.queues
        if conn.execute(select(queues.c.queueid).where(queues.c.queueid == values["queueid"])).first() is None:
            raise ApiError(422, "validation_failed", "queueid names no queue.",
                           {"field": "queueid", "reason": "not_found"})
        current = _load_for_write(conn, call, INCIDENTS, record_id, version)
        if current._mapping["statecode"] != 0:
            raise ApiError(409, "case_not_active", "Only an active case can be routed.", {})
        row = _guarded_update(conn, INCIDENTS, record_id, version, {"queueid": values["queueid"]}, now)
        conn.execute(delete(schema.queueitems).where(schema.queueitems.c.objectid == record_id))
        conn.execute(insert(schema.queueitems).values(
            queueitemid=str(uuid.uuid4()), queueid=values["queueid"], objectid=record_id, objecttypecode="incident",
            title=row._mapping["title"], workerid=row._mapping["ownerid"], enteredon=now, createdon=now,
            modifiedon=now, versionnumber=1,
        ))
    return _record_response(INCIDENTS, row)


# -- timeline ----------------------------------------------------------------------------------------------------

TIMELINE_SETS = {"incidents", "accounts", "contacts"}


TIMELINE_MAX_SKIP = 10_000


@functools.cache
def _timeline_query():
    """Activities and notes regarding ``:record_id``, newest first, ``:top`` from ``:skip``: built once (building it
    per request cost about as much CPU as running it). Each branch is cut to its newest ``:bound`` rows (top + skip)
    before the union, so a record with many thousands of notes sorts a page's worth of each, not all of them."""
    a, n = schema.activities, schema.annotations
    activities = select(
        a.c.activitytypecode.label("type"), a.c.activityid.label("id"), a.c.subject.label("subject"),
        a.c.description.label("text"), a.c.createdon.label("createdon"), a.c.ownerid.label("ownerid"),
        a.c.statecode.label("statecode"),
    ).where(a.c.regardingobjectid == bindparam("record_id")).order_by(
        a.c.createdon.desc(), a.c.activityid.asc()).limit(bindparam("bound"))
    notes = select(
        literal("note").label("type"), n.c.annotationid.label("id"), n.c.subject.label("subject"),
        n.c.notetext.label("text"), n.c.createdon.label("createdon"), n.c.ownerid.label("ownerid"),
        literal(1).label("statecode"),
    ).where(n.c.objectid == bindparam("record_id")).order_by(
        n.c.createdon.desc(), n.c.annotationid.asc()).limit(bindparam("bound"))
    combined = union_all(activities.subquery().select(), notes.subquery().select()).subquery()
    return (select(combined).order_by(combined.c.createdon.desc(), combined.c.id.asc())
            .limit(bindparam("top")).offset(bindparam("skip")))


def timeline(call: Call) -> Response:
    """``GET /api/<incidents|accounts|contacts>(<id>)/timeline?$top=&$skip=``: activities and notes regarding the
    record, newest first (``{"value": [{"type", "id", "subject", "text", "createdon", "ownerid", "statecode"}]}``).
    In a worker thread, under the query budget: agents can add notes to a record without limit."""
    entity_set, record_id = _entity_set(call), _record_id(call)
    if entity_set.name not in TIMELINE_SETS:
        raise ApiError(404, "not_found", f"{entity_set.name} records have no timeline.", {})
    try:
        top = parse_int(call.query["$top"], "$top", MAX_PAGE) if "$top" in call.query else DEFAULT_PAGE
        skip = parse_int(call.query["$skip"], "$skip", TIMELINE_MAX_SKIP) if "$skip" in call.query else 0
    except QueryError as exc:
        raise ApiError(400, "invalid_query", exc.message, exc.details) from None
    with call.database.engine.connect() as conn, budgeted(call.database, conn):
        _get_or_404(conn, entity_set, record_id)
        rows = conn.execute(_timeline_query(), {"record_id": record_id, "top": top + 1, "skip": skip,
                                                "bound": top + skip + 1}).mappings().all()
    value = [{**row, "createdon": _utc_text(row["createdon"]) if isinstance(row["createdon"], dt.datetime)
              else row["createdon"]} for row in rows[:top]]
    body: dict[str, Any] = {"value": value}
    if len(rows) > top:
        body["@odata.nextLink"] = f"{call.request.url.path}?{urlencode({'$top': top, '$skip': skip + top})}"
    return FastJSONResponse(body, headers={"Cache-Control": "no-store"})


# -- queue items -------------------------------------------------------------------------------------------------

QUEUEITEMS = ENTITY_SETS["queueitems"]


def pick_queue_item(call: Call) -> Response:
    """``POST /api/queueitems(<id>)/pick`` with ``If-Match`` (any agent): in one transaction the item's worker
    becomes the caller and its case is assigned to them. Answers ``{"queueitem", "incident"}``; 409
    ``already_picked`` when someone else works on it, 409 ``case_not_active`` for a closed case."""
    me = call.require("agent", "supervisor", "admin")
    record_id, version = _record_id(call), _require_version(call)
    if call.body not in (None, {}):
        raise ApiError(400, "invalid_body", "Picking takes no body (or an empty object).", {"field": None})
    now = utcnow()
    items = schema.queueitems
    with _writing(call) as conn:
        item = _get_or_404(conn, QUEUEITEMS, record_id)
        if not me.has("supervisor", "admin") and not _is_member(conn, me.id, item._mapping["queueid"]):
            raise ApiError(403, "not_queue_member", "Only members of this queue (or a supervisor) can pick from it.",
                           {"queueid": item._mapping["queueid"]})
        worker = item._mapping["workerid"]
        if worker is not None and worker != me.id:
            raise ApiError(409, "already_picked", "Someone else is already working on this item.",
                           {"workerid": worker})
        if item._mapping["versionnumber"] != version:
            raise _stale(QUEUEITEMS, item)
        case = _get_or_404(conn, INCIDENTS, item._mapping["objectid"])
        if case._mapping["statecode"] != 0:
            raise ApiError(409, "case_not_active", "The case is already resolved or cancelled.",
                           {"statecode": case._mapping["statecode"]})
        owner = case._mapping["ownerid"]
        if owner is not None and owner != me.id and not me.has("supervisor", "admin") \
                and not auth.user_roles(conn, owner) & {"supervisor", "admin"}:  # another agent's case
            raise ApiError(409, "case_owned", "Another agent owns this case; ask a supervisor to assign it.",
                           {"ownerid": owner})
        # Guarded on the version and on nobody having picked it meanwhile: two agents cannot both win.
        item = _guarded_update(conn, QUEUEITEMS, record_id, version, {"workerid": me.id}, now,
                               ((items.c.workerid.is_(None)) | (items.c.workerid == me.id),))
        case = _guarded_update(conn, INCIDENTS, case._mapping["incidentid"], case._mapping["versionnumber"],
                               {"ownerid": me.id}, now)
    return FastJSONResponse({"queueitem": to_json(QUEUEITEMS, item), "incident": to_json(INCIDENTS, case)},
                            headers={"Cache-Control": "no-store"})


def _is_member(conn: Connection, user_id: str, queue_id: str) -> bool:
    m = schema.queuemembers
    return conn.execute(select(m.c.queueid).where(m.c.queueid == queue_id, m.c.systemuserid == user_id)).first() \
        is not None


def _visible_to(call: Call, entity_set: EntitySet):
    """Extra conditions on what a user lists: an agent sees the queue items of the queues they are a member of."""
    if entity_set.name != "queueitems" or call.user is None or call.user.has("supervisor", "admin"):
        return None
    m = schema.queuemembers
    return entity_set.column("queueid").in_(select(m.c.queueid).where(m.c.systemuserid == call.user.id))


ACTIONS = {"resolve": resolve_case, "cancel": cancel_case, "assign": assign_case, "route": route_case}


def record_action(call: Call) -> Response:
    """``POST /api/incidents(<id>)/<action>``."""
    entity_set = _entity_set(call)
    action = ACTIONS.get(call.path["action"])
    if entity_set.name != "incidents" or action is None:
        raise ApiError(404, "not_found", f"No action {call.path['action']!r} on {entity_set.name}.",
                       {"actions": sorted(ACTIONS) if entity_set.name == "incidents" else []})
    return action(call)


def _routes_for(name: str) -> list[Route]:
    # One literal path per entity set: unknown sets fall through to the API's 404, and a wrong method on a known
    # path answers 405 with the allowed methods.
    def bind(function, **options):
        return endpoint(function, path={"entityset": name}, **options)

    if ENTITY_SETS[name].read_only:
        return [Route(f"/api/{name}({{id}})", bind(get_record, bounded=True), methods=["GET"]),
                Route(f"/api/{name}", bind(list_records), methods=["GET"])]
    routes = [
        Route(f"/api/{name}({{id}})", bind(get_record, bounded=True), methods=["GET"]),
        Route(f"/api/{name}({{id}})", bind(update_record, body=True), methods=["PATCH"]),
        Route(f"/api/{name}({{id}})", bind(delete_record), methods=["DELETE"]),
        Route(f"/api/{name}", bind(list_records), methods=["GET"]),
        Route(f"/api/{name}", bind(create_record, body=True), methods=["POST"]),
    ]
    if name in TIMELINE_SETS:
        # Not "bounded": a record's notes and activities are not (agents add them without limit).
        routes.insert(0, Route(f"/api/{name}({{id}})/timeline", bind(timeline), methods=["GET"]))
    if name == "incidents":
        routes.insert(0, Route(f"/api/{name}({{id}})/{{action}}", bind(record_action, body=True), methods=["POST"]))
    if name == "queueitems":
        routes.insert(0, Route(f"/api/{name}({{id}})/pick", bind(pick_queue_item, body=True), methods=["POST"]))
    return routes


routes = [route for name in ENTITY_SETS for route in _routes_for(name)]
