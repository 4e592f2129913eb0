"""The records API answered in the page, for the static demo: seed data from JSON files, writes in an overlay.

Pure Python (no ``js``): :class:`StaticTransport` implements ``casework.records.Transport``, so the same
:class:`~casework.records.RecordClient` runs over it and over HTTP, and one contract suite
(tests/unit/casework/test_record_contract.py) holds both to the server's behaviour.

* Reads: the build (``scripts/build-static``, ``server/static_demo.py``) wrote each table of the server's seed as
  ``data/<table>.json`` and the entity sets' rules as ``data/meta.json``; a table is fetched the first time a
  request needs it (the page boots on ``meta.json`` and the demo users' ``/me`` alone).
* Writes go to an overlay kept in a :class:`KeyValue` store (IndexedDB in the page, :class:`MemoryKeyValue` in
  tests): one key per changed row (``row:<table>:<id>``, ``null`` for a deleted one) and one per user's settings.
  The overlay is read again at every request, so two tabs of one browser see each other's writes, and a write with
  a stale ``If-Match`` answers 412 with the current record, exactly like the server.
* What only the server can do (conversations, push, e-mail, Smart Assist, wheels) answers 501 ``demo_unavailable``
  in the API's error shape, so the page says so instead of failing.

Known differences from the server (docs/static-demo.md): references (``customerid`` ...) are not checked, unique
values are not enforced, and the check-then-write of two tabs is not one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from casework import odata_eval as od
from casework.static_search import search as search_records

DEFAULT_PAGE = 50
MAX_PAGE = 500
MAX_SKIP = 10_000_000
TIMELINE_MAX_SKIP = 10_000
ROW_PREFIX = "row:"
SETTINGS_PREFIX = "settings:"
UNAVAILABLE = "demo_unavailable"
_SEARCH_MARKERS = str.maketrans("", "", "\x02\x03")


class KeyValue(Protocol):
    """Async text storage for the overlay (IndexedDB's shape: every call may wait)."""

    async def items(self) -> dict[str, str]: ...

    async def put(self, key: str, text: str) -> None: ...

    async def clear(self) -> None: ...


class DataSource(Protocol):
    """Loads one JSON document of the build by name (``meta``, ``me``, a table name)."""

    async def load(self, name: str) -> Any: ...


class MemoryKeyValue:
    """A :class:`KeyValue` in a dict (tests; a browser that refuses IndexedDB: the overlay lasts until reload)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def items(self) -> dict[str, str]:
        return dict(self.data)

    async def put(self, key: str, text: str) -> None:
        self.data[key] = text

    async def clear(self) -> None:
        self.data.clear()


class DictSource:
    """A :class:`DataSource` over documents already in memory (tests, and the build's own check)."""

    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents
        self.loaded: list[str] = []

    async def load(self, name: str) -> Any:
        self.loaded.append(name)
        return json.loads(json.dumps(self.documents[name]))  # a copy, as a fetch would give


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def etag_of(version: int) -> str:
    return f'W/"{version}"'


def _version_from(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    match = re.fullmatch(r'\s*(?:W/)?"(\d{1,18})"\s*', if_match)
    return int(match.group(1)) if match else -1


def utc_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _invalid(field: str | None, reason: str, message: str) -> ApiError:
    return ApiError(422, "validation_failed", message, {"field": field, "reason": reason})


class EntitySetMeta:
    """An entity set's rules as the build wrote them (``server/static_demo.py``: ``meta["sets"][name]``)."""

    def __init__(self, name: str, raw: dict) -> None:
        self.name = name
        self.entity: str = raw["entity"]
        self.table: str = raw["table"]
        self.key: str = raw["key"]
        self.fields: list[dict] = raw["fields"]
        self.by_name = {f["name"]: f for f in self.fields}
        self.kinds = {f["name"]: f["kind"] for f in self.fields}
        self.filterable = {n: k for n, k in self.kinds.items() if k not in ("json", "jsonarray")}
        self.fixed: dict[str, Any] = raw.get("fixed", {})
        self.order = [(name_, bool(desc)) for name_, desc in raw.get("order", [["createdon", True]])]
        self.read_only: bool = raw.get("read_only", False)
        self.write_roles: list[str] = raw.get("write_roles", [])
        self.delete_roles: list[str] = raw.get("delete_roles", [])
        self.owner_check: bool = raw.get("owner_check", False)
        self.owner_or_unowned: bool = raw.get("owner_or_unowned", False)
        # Names of lookups' records, for $filter and $orderby: {name: (lookup, [(table, key, name column)])}.
        self.lookup_names: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
            spec["name"]: (spec["lookup"], [tuple(target) for target in spec["targets"]])
            for spec in raw.get("lookup_names", [])}
        for name in self.lookup_names:
            self.filterable[name] = self.kinds[name] = "string"

    def matches_fixed(self, row: dict) -> bool:
        for name, value in self.fixed.items():
            if isinstance(value, list):
                if row.get(name) not in value:
                    return False
            elif row.get(name) != value:
                return False
        return True

    def to_json(self, row: dict, names: list[str] | None = None) -> dict:
        record: dict[str, Any] = {"@odata.etag": etag_of(row["versionnumber"])}
        for f in self.fields:
            name = f["name"]
            if names is None or name in names or name == self.key:
                record[name] = row.get(name)
        return record


def coerce(f: dict, value: Any) -> Any:
    """A field value as sent, checked as the server checks it (``server/api/records.py`` ``_coerce``)."""
    name, kind = f["name"], f["kind"]
    if value is None:
        if not f.get("nullable", True):
            raise _invalid(name, "null", f"{name} cannot be null.")
        return None
    if kind in ("string", "guid"):
        if not isinstance(value, str):
            raise _invalid(name, "type", f"{name} must be text.")
        if kind == "guid":
            if not od.GUID.fullmatch(value):
                raise _invalid(name, "format", f"{name} must be a GUID.")
            value = value.lower()
        value = value.translate(_SEARCH_MARKERS)
        if f.get("max_length") and len(value) > f["max_length"]:
            raise _invalid(name, "too_long", f"{name} is longer than {f['max_length']} characters.")
        if f.get("required") and not value.strip():
            raise _invalid(name, "blank", f"{name} cannot be blank.")
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not -(2**31) <= value < 2**31:
            raise _invalid(name, "type", f"{name} must be a whole number.")
    elif kind == "bool":
        if not isinstance(value, bool):
            raise _invalid(name, "type", f"{name} must be true or false.")
    elif kind == "datetime":
        if not isinstance(value, str):
            raise _invalid(name, "type", f"{name} must be an ISO 8601 date-time text.")
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _invalid(name, "format", f"{name} must be an ISO 8601 date-time.") from None
        value = utc_text(parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC))
    elif kind == "json":
        if not isinstance(value, dict):
            raise _invalid(name, "type", f"{name} must be a JSON object.")
        if len(json.dumps(value, sort_keys=True)) > 32000:
            raise _invalid(name, "too_long", f"{name} is too large.")
    choices = f.get("choices")
    if choices is not None and value not in choices:
        raise ApiError(422, "validation_failed", f"{name} must be one of {list(choices)}.",
                       {"field": name, "reason": "choice", "allowed": list(choices)})
    return value


def validate_body(meta: EntitySetMeta, body: Any, creating: bool) -> dict:
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "The body must be a JSON object.", {"field": None})
    values: dict[str, Any] = {}
    for name, value in body.items():
        if name.startswith("@odata."):
            continue
        f = meta.by_name.get(name)
        if f is None:
            raise _invalid(name, "unknown", f"{meta.name} has no field {name!r}.")
        if f.get("write") is None or (f.get("write") == "create" and not creating):
            raise _invalid(name, "read_only", f"{name} is read-only.")
        values[name] = coerce(f, value)
    if creating:
        for f in meta.fields:
            if f.get("write") and f["name"] not in values:
                if f.get("required"):
                    raise _invalid(f["name"], "required", f"{f['name']} is required.")
                if f.get("default") is not None:
                    values[f["name"]] = f["default"]
    return values


class StaticTransport:
    """Implements ``casework.records.Transport`` in Python over the build's JSON and an overlay.

    Args:
        source: Where the build's documents come from (``browser.static_data.FetchSource`` in the page).
        store: The overlay's storage.
        username: The demo user (``domainname``) the requests are made as.
        clock: The time now (aware UTC); tests pass a fixed one.
        new_id: A new record id (a GUID).
    """

    def __init__(self, source: DataSource, store: KeyValue, username: str, *,
                 clock: Callable[[], dt.datetime] | None = None, new_id: Callable[[], str] | None = None) -> None:
        self.source = source
        self.store = store
        self.username = username
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.new_id = new_id or (lambda: str(uuid.uuid4()))
        self._meta: dict | None = None
        self._sets: dict[str, EntitySetMeta] = {}
        self._base: dict[str, dict[str, dict]] = {}
        self._overlay: dict[str, dict[str, dict | None]] = {}
        self._settings: dict[str, dict] = {}
        self._me: dict | None = None
        self._pending: dict[str, dict | None] = {}

    # -- data
    async def _load_meta(self) -> None:
        if self._meta is None:
            self._meta = await self.source.load("meta")
            self._sets = {name: EntitySetMeta(name, raw) for name, raw in self._meta["sets"].items()}

    async def _table(self, table: str) -> None:
        if table not in self._base:
            rows = await self.source.load(table)
            key = self._meta["tables"][table]["key"]
            self._base[table] = {row[key]: row for row in rows}

    async def _sync(self) -> None:
        """Read the overlay again (another tab may have written since)."""
        overlay: dict[str, dict[str, dict | None]] = {}
        settings: dict[str, dict] = {}
        for key, text in (await self.store.items()).items():
            if key.startswith(ROW_PREFIX):
                _, table, record_id = key.split(":", 2)
                overlay.setdefault(table, {})[record_id] = json.loads(text)
            elif key.startswith(SETTINGS_PREFIX):
                settings[key[len(SETTINGS_PREFIX):]] = json.loads(text)
        self._overlay, self._settings = overlay, settings

    def _rows(self, table: str) -> list[dict]:
        base = self._base[table]
        changed = self._overlay.get(table, {})
        rows = [changed.get(k, row) if k in changed else row for k, row in base.items()]
        rows = [row for row in rows if row is not None]
        rows += [row for k, row in changed.items() if k not in base and row is not None]
        return rows

    def _row(self, table: str, record_id: str) -> dict | None:
        changed = self._overlay.get(table, {})
        if record_id in changed:
            return changed[record_id]
        return self._base[table].get(record_id)

    def _write(self, table: str, record_id: str, row: dict | None) -> None:
        self._overlay.setdefault(table, {})[record_id] = row
        self._pending[f"{ROW_PREFIX}{table}:{record_id}"] = row

    async def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        for key, row in pending.items():
            await self.store.put(key, json.dumps(row))

    async def reset(self) -> None:
        """Forget every write of this browser ("reset demo data")."""
        await self.store.clear()
        self._overlay, self._settings, self._pending = {}, {}, {}

    # -- transport
    async def request(self, method: str, url: str, headers: dict[str, str], body: bytes | None
                      ) -> tuple[int, dict[str, str], bytes]:
        headers = {k.lower(): v for k, v in headers.items()}
        parts = urlsplit(url)
        path = parts.path
        marker = path.find("api/")
        route = unquote(path[marker + 4:] if marker >= 0 else path.lstrip("/"))
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            return _answer(400, {"error": {"code": "invalid_body", "message": "The body is not JSON.",
                                           "details": {"field": None}}})
        try:
            await self._load_meta()
            await self._demo_user()  # no demo user: 401 for every request, as without a session
            await self._sync()
            status, answer, extra = await self._route(method, route, query, headers, payload)
            await self._flush()
        except ApiError as error:
            self._pending = {}
            return _answer(error.status, {"error": {"code": error.code, "message": error.message,
                                                    "details": error.details}})
        except od.QueryError as error:
            self._pending = {}
            return _answer(400, {"error": {"code": "invalid_query", "message": error.message,
                                           "details": error.details}})
        return _answer(status, answer, extra)

    # -- routing
    async def _route(self, method: str, route: str, query: dict, headers: dict, body: Any
                     ) -> tuple[int, Any, dict]:
        if route == "me" and method == "GET":
            return 200, await self._me_body(), {}
        if route.startswith("me/settings/") and method in ("PUT", "DELETE"):
            return await self._setting(method, route[len("me/settings/"):], body)
        if route == "auth/logout" and method == "POST":
            return 204, None, {}
        if route == "search" and method == "GET":
            return 200, await self._search(query), {}
        match = re.fullmatch(r"([a-z]+)(?:\(([^)]*)\))?(?:/([a-z]+))?", route)
        set_name = match.group(1) if match else None
        if set_name not in self._sets:
            raise ApiError(501, UNAVAILABLE, "This needs the Casework server; the static demo has no "
                           f"{route.split('/')[0].split('(')[0] or 'such'} service.", {"path": route})
        meta = self._sets[set_name]
        record_id, action = match.group(2), match.group(3)
        if record_id is not None:
            record_id = record_id.strip("'").lower()
            if not od.GUID.fullmatch(record_id):
                raise ApiError(400, "invalid_id", "A record id is a GUID.", {"field": "id", "value": record_id[:60]})
        await self._table(meta.table)
        if record_id is None and action is None:
            if method == "GET":
                for table in self._name_tables(meta, query):
                    await self._table(table)
                return 200, self._list(meta, query, route), {}
            if method == "POST" and not meta.read_only:
                return await self._create(meta, body)
        elif action is None:
            if method == "GET":
                row = self._get_or_404(meta, record_id)
                return 200, meta.to_json(row), {"etag": etag_of(row["versionnumber"])}
            if method == "PATCH" and not meta.read_only:
                return await self._update(meta, record_id, headers, body)
            if method == "DELETE" and not meta.read_only:
                return await self._delete(meta, record_id, headers)
        elif action == "timeline" and method == "GET" and meta.name in ("incidents", "accounts", "contacts"):
            return 200, await self._timeline(meta, record_id, query, route), {}
        elif meta.name == "incidents" and method == "POST" and action in ("resolve", "cancel", "assign", "route"):
            return await self._case_action(action, record_id, headers, body)
        elif meta.name == "queueitems" and method == "POST" and action == "pick":
            return await self._pick(record_id, headers, body)
        if action is None:
            raise ApiError(405, "method_not_allowed", f"{method} is not allowed on {route}.", {"path": route})
        raise ApiError(501, UNAVAILABLE, f"{meta.name}/{action} needs the Casework server; the static demo cannot "
                       "do it.", {"path": route})

    # -- the user
    async def _demo_user(self) -> dict:
        if self._me is None:
            users = await self.source.load("me")
            if self.username not in users:
                raise ApiError(401, "not_signed_in", "Choose a demo user first.", {})
            self._me = users[self.username]
        return self._me

    async def _me_body(self) -> dict:
        me = dict(await self._demo_user())
        me["settings"] = {**me.get("settings", {}), **self._settings.get(self.username, {})}
        me["settings"] = {k: v for k, v in sorted(me["settings"].items()) if v is not None}
        return me

    async def _roles(self) -> set[str]:
        return set((await self._demo_user())["roles"])

    async def _user_id(self) -> str:
        return (await self._demo_user())["user"]["systemuserid"]

    async def _require(self, roles: list[str] | tuple[str, ...]) -> None:
        if not (await self._roles()) & set(roles):
            raise ApiError(403, "forbidden", f"This needs one of the roles: {', '.join(roles)}.",
                           {"roles": list(roles)})

    async def _setting(self, method: str, key: str, body: Any) -> tuple[int, Any, dict]:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]{0,99}", key):
            raise _invalid("key", "format", "A setting key is a letter, then letters, digits, '_', '.' or '-'.")
        mine = dict(self._settings.get(self.username, {}))
        base = (await self._demo_user()).get("settings", {})
        if method == "PUT":
            mine[key] = body
        elif key in base:
            mine[key] = None  # hides the seeded value
        else:
            mine.pop(key, None)
        self._settings[self.username] = mine
        self._pending[SETTINGS_PREFIX + self.username] = mine
        return 204, None, {}

    # -- lists and records
    def _get_or_404(self, meta: EntitySetMeta, record_id: str) -> dict:
        row = self._row(meta.table, record_id)
        if row is None or not meta.matches_fixed(row):
            raise ApiError(404, "not_found", f"No {meta.entity} with id {record_id}.",
                           {"entitySet": meta.name, "id": record_id})
        return row

    def _list(self, meta: EntitySetMeta, query: dict, route: str) -> dict:
        known = {"$filter", "$select", "$orderby", "$top", "$skip", "$count"}
        unknown = [key for key in query if key.startswith("$") and key not in known]
        if unknown:
            raise od.QueryError(f"Unknown query option {unknown[0]}.", option=unknown[0])
        predicate = od.parse_filter(query["$filter"], meta.filterable) if "$filter" in query else None
        names = od.parse_select(query["$select"], set(meta.by_name)) if "$select" in query else None
        order = od.parse_orderby(query["$orderby"], meta.filterable) if "$orderby" in query else meta.order
        top = od.parse_int(query["$top"], "$top", MAX_PAGE) if "$top" in query else DEFAULT_PAGE
        skip = od.parse_int(query["$skip"], "$skip", MAX_SKIP) if "$skip" in query else 0
        count = query.get("$count", "false").lower()
        if count not in ("true", "false"):
            raise od.QueryError("$count must be true or false.", option="$count")
        rows = [row for row in self._rows(meta.table) if meta.matches_fixed(row)]
        rows = self._with_lookup_names(meta, query, rows)
        if meta.name == "queueitems":
            rows = self._visible_queue_items(rows)
        if predicate is not None:
            rows = [row for row in rows if predicate(row)]
        rows = od.sort_records(rows, order, meta.kinds, meta.key)
        body: dict[str, Any] = {}
        if count == "true":
            body["@odata.count"] = len(rows)
        page = rows[skip:skip + top + 1]
        body["value"] = [meta.to_json(row, names) for row in page[:top]]
        if len(page) > top:
            from urllib.parse import urlencode
            params = [(k, v) for k, v in query.items() if k != "$skip"] + [("$skip", str(skip + top))]
            body["@odata.nextLink"] = f"/api/{route}?{urlencode(params)}"
        return body

    @staticmethod
    def _used_lookup_names(meta: EntitySetMeta, query: dict) -> list[str]:
        text = f"{query.get('$filter', '')} {query.get('$orderby', '')}"
        return [name for name in meta.lookup_names if name in text]

    def _name_tables(self, meta: EntitySetMeta, query: dict) -> set[str]:
        """The tables a list query's lookup names are read from (loaded before it runs)."""
        return {table for name in self._used_lookup_names(meta, query) for table, _, _ in meta.lookup_names[name][1]}

    def _with_lookup_names(self, meta: EntitySetMeta, query: dict, rows: list[dict]) -> list[dict]:
        """``rows`` with the lookup names the query filters or sorts on (copies; ``to_json`` never shows them)."""
        used = self._used_lookup_names(meta, query)
        if not used:
            return rows
        names_by_field = {}
        for name in used:
            lookup, targets = meta.lookup_names[name]
            names = {row[key]: row.get(column) for table, key, column in targets for row in self._rows(table)}
            names_by_field[name] = (lookup, names)
        return [{**row, **{name: names.get(row.get(lookup)) for name, (lookup, names) in names_by_field.items()}}
                for row in rows]

    def _visible_queue_items(self, rows: list[dict]) -> list[dict]:
        me = self._me or {}
        if set(me.get("roles", [])) & {"supervisor", "admin"}:
            return rows
        user_id = me.get("user", {}).get("systemuserid")
        queues = {m["queueid"] for m in self._meta.get("queuemembers", []) if m["systemuserid"] == user_id}
        return [row for row in rows if row.get("queueid") in queues]

    def _count(self, table: str) -> int:
        return len(self._rows(table))

    async def _create(self, meta: EntitySetMeta, body: Any) -> tuple[int, Any, dict]:
        await self._require(meta.write_roles)
        values = validate_body(meta, body, creating=True)
        now = utc_text(self.clock())
        record_id = self.new_id()
        user_id = await self._user_id()
        extra: dict[str, Any] = {k: v for k, v in meta.fixed.items() if not isinstance(v, list)}
        if meta.name == "incidents":
            suffix = record_id.replace("-", "")[:6].upper()
            extra.update(ticketnumber=f"CAS-{1000 + self._count('incidents'):05d}-{suffix}", statecode=0,
                         ownerid=user_id)
        elif meta.name == "contacts":
            extra["fullname"] = f"{values['firstname']} {values['lastname']}"
        elif meta.name == "knowledgearticles":
            extra.update(articlepublicnumber=f"KA-{10001 + self._count('knowledgearticles')}-"
                         f"{record_id[:4].upper()}", knowledgearticleviews=0, ownerid=user_id)
        elif meta.name == "queueitems":
            extra["enteredon"] = now
        elif "ownerid" in meta.by_name:
            extra["ownerid"] = user_id
        row = {f["name"]: None for f in meta.fields}
        row.update({**values, **extra, meta.key: record_id, "createdon": now, "modifiedon": now, "versionnumber": 1})
        self._write(meta.table, record_id, row)
        return 201, meta.to_json(row), {"etag": etag_of(1), "location": f"/api/{meta.name}({record_id})"}

    def _require_version(self, headers: dict) -> int:
        version = _version_from(headers.get("if-match"))
        if version is None:
            raise ApiError(428, "precondition_required", "Send If-Match with the record's ETag to change it.",
                           {"header": "If-Match"})
        return version

    @staticmethod
    def _stale(meta: EntitySetMeta, row: dict) -> ApiError:
        current = meta.to_json(row)
        return ApiError(412, "precondition_failed", "The record changed since you read it; reload and try again.",
                        {"etag": current["@odata.etag"], "current": current})

    async def _load_for_write(self, meta: EntitySetMeta, record_id: str, version: int) -> dict:
        row = self._get_or_404(meta, record_id)
        if row["versionnumber"] != version:
            raise self._stale(meta, row)
        if meta.owner_check and not (await self._roles()) & {"supervisor", "admin"}:
            owner = row.get("ownerid")
            if owner != await self._user_id() and not (meta.owner_or_unowned and owner is None):
                raise ApiError(403, "not_owner", f"Only the owner, a supervisor or an admin can change this "
                               f"{meta.entity}.", {"ownerid": owner})
        return row

    def _updated(self, meta: EntitySetMeta, row: dict, values: dict) -> dict:
        new = {**row, **values, "modifiedon": utc_text(self.clock()), "versionnumber": row["versionnumber"] + 1}
        self._write(meta.table, row[meta.key], new)
        return new

    async def _update(self, meta: EntitySetMeta, record_id: str, headers: dict, body: Any) -> tuple[int, Any, dict]:
        await self._require(meta.write_roles)
        version = self._require_version(headers)
        values = validate_body(meta, body, creating=False)
        row = await self._load_for_write(meta, record_id, version)
        if meta.name == "incidents" and row.get("statecode") != 0:
            raise ApiError(409, "case_not_active", "A resolved or cancelled case cannot be edited.",
                           {"statecode": row.get("statecode")})
        if meta.name == "contacts" and ({"firstname", "lastname"} & set(values)):
            values["fullname"] = f"{values.get('firstname', row.get('firstname'))} " \
                                 f"{values.get('lastname', row.get('lastname'))}"
        row = self._updated(meta, row, values)
        return 200, meta.to_json(row), {"etag": etag_of(row["versionnumber"])}

    async def _delete(self, meta: EntitySetMeta, record_id: str, headers: dict) -> tuple[int, Any, dict]:
        await self._require(meta.delete_roles)
        version = self._require_version(headers)
        await self._load_for_write(meta, record_id, version)
        if meta.name == "incidents":
            await self._drop_queue_items(record_id)
        self._write(meta.table, record_id, None)
        return 204, None, {}

    async def _drop_queue_items(self, case_id: str) -> None:
        await self._table("queueitems")
        for item in self._rows("queueitems"):
            if item.get("objectid") == case_id:
                self._write("queueitems", item["queueitemid"], None)

    # -- case actions
    async def _case_action(self, action: str, record_id: str, headers: dict, body: Any) -> tuple[int, Any, dict]:
        incidents = self._sets["incidents"]
        if action in ("resolve", "cancel"):
            await self._require(("agent", "supervisor", "admin"))
        else:
            await self._require(("supervisor", "admin"))
        version = self._require_version(headers)
        body = body if body is not None else {}
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_body", "The body must be a JSON object.", {"field": None})
        if action in ("resolve", "cancel"):
            state = 1 if action == "resolve" else 2
            reasons = [5, 1000] if state == 1 else [6, 2000]
            values = _action_values(body, [
                {"name": "subject", "kind": "string", "required": state == 1, "max_length": 300, "nullable": False,
                 "default": "Case cancelled" if state == 2 else None},
                {"name": "description", "kind": "string", "max_length": 20000},
                {"name": "statuscode", "kind": "int", "choices": reasons, "nullable": False, "default": reasons[0]},
            ])
            row = await self._load_for_write(incidents, record_id, version)
            if row.get("statecode") != 0:
                raise ApiError(409, "case_not_active", "The case is already resolved or cancelled.",
                               {"statecode": row.get("statecode")})
            now = utc_text(self.clock())
            row = self._updated(incidents, row, {"statecode": state, "statuscode": values["statuscode"],
                                                 "resolvedon": now,
                                                 "resolution": values["subject"] if state == 1 else None})
            await self._table("activities")
            activity_id = self.new_id()
            self._write("activities", activity_id, {
                "activityid": activity_id, "activitytypecode": "incidentresolution", "subject": values["subject"],
                "description": values.get("description"), "regardingobjectid": record_id,
                "regardingobjecttypecode": "incident", "statecode": 1, "statuscode": 2, "prioritycode": 1,
                "actualend": now, "ownerid": await self._user_id(), "createdon": now, "modifiedon": now,
                "versionnumber": 1})
            await self._drop_queue_items(record_id)
        elif action == "assign":
            values = _action_values(body, [{"name": "ownerid", "kind": "guid", "required": True, "nullable": False}])
            await self._table("systemusers")
            user = self._row("systemusers", values["ownerid"])
            if user is None or user.get("isdisabled"):
                raise ApiError(422, "validation_failed", "ownerid names no enabled user.",
                               {"field": "ownerid", "reason": "not_found"})
            row = await self._load_for_write(incidents, record_id, version)
            row = self._updated(incidents, row, {"ownerid": values["ownerid"]})
            await self._table("queueitems")
            items = self._sets["queueitems"]
            for item in self._rows("queueitems"):
                if item.get("objectid") == record_id:
                    self._updated(items, item, {"workerid": values["ownerid"]})
        else:
            values = _action_values(body, [{"name": "queueid", "kind": "guid", "required": True, "nullable": False}])
            await self._table("queues")
            if self._row("queues", values["queueid"]) is None:
                raise ApiError(422, "validation_failed", "queueid names no queue.",
                               {"field": "queueid", "reason": "not_found"})
            current = await self._load_for_write(incidents, record_id, version)
            if current.get("statecode") != 0:
                raise ApiError(409, "case_not_active", "Only an active case can be routed.", {})
            row = self._updated(incidents, current, {"queueid": values["queueid"]})
            await self._drop_queue_items(record_id)
            now, item_id = utc_text(self.clock()), self.new_id()
            self._write("queueitems", item_id, {
                "queueitemid": item_id, "queueid": values["queueid"], "objectid": record_id,
                "objecttypecode": "incident", "title": row.get("title"), "workerid": row.get("ownerid"),
                "enteredon": now, "createdon": now, "modifiedon": now, "versionnumber": 1})
        return 200, incidents.to_json(row), {"etag": etag_of(row["versionnumber"])}

    async def _pick(self, record_id: str, headers: dict, body: Any) -> tuple[int, Any, dict]:
        await self._require(("agent", "supervisor", "admin"))
        version = self._require_version(headers)
        if body not in (None, {}):
            raise ApiError(400, "invalid_body", "Picking takes no body (or an empty object).", {"field": None})
        items, incidents = self._sets["queueitems"], self._sets["incidents"]
        await self._table("incidents")
        item = self._get_or_404(items, record_id)
        me, roles = await self._user_id(), await self._roles()
        managers = {"supervisor", "admin"}
        if not roles & managers and not any(m["queueid"] == item.get("queueid") and m["systemuserid"] == me
                                            for m in self._meta.get("queuemembers", [])):
            raise ApiError(403, "not_queue_member", "Only members of this queue (or a supervisor) can pick from it.",
                           {"queueid": item.get("queueid")})
        worker = item.get("workerid")
        if worker is not None and worker != me:
            raise ApiError(409, "already_picked", "Someone else is already working on this item.",
                           {"workerid": worker})
        if item["versionnumber"] != version:
            raise self._stale(items, item)
        case = self._get_or_404(incidents, item["objectid"])
        if case.get("statecode") != 0:
            raise ApiError(409, "case_not_active", "The case is already resolved or cancelled.",
                           {"statecode": case.get("statecode")})
        owner = case.get("ownerid")
        owner_roles = set(self._meta.get("roles", {}).get(owner or "", []))
        if owner is not None and owner != me and not roles & managers and not owner_roles & managers:
            raise ApiError(409, "case_owned", "Another agent owns this case; ask a supervisor to assign it.",
                           {"ownerid": owner})
        item = self._updated(items, item, {"workerid": me})
        case = self._updated(incidents, case, {"ownerid": me})
        return 200, {"queueitem": items.to_json(item), "incident": incidents.to_json(case)}, {}

    # -- timeline and search
    async def _timeline(self, meta: EntitySetMeta, record_id: str, query: dict, route: str) -> dict:
        top = od.parse_int(query["$top"], "$top", MAX_PAGE) if "$top" in query else DEFAULT_PAGE
        skip = od.parse_int(query["$skip"], "$skip", TIMELINE_MAX_SKIP) if "$skip" in query else 0
        self._get_or_404(meta, record_id)
        await self._table("activities")
        await self._table("annotations")
        items = [{"type": a.get("activitytypecode"), "id": a["activityid"], "subject": a.get("subject"),
                  "text": a.get("description"), "createdon": a.get("createdon"), "ownerid": a.get("ownerid"),
                  "statecode": a.get("statecode")}
                 for a in self._rows("activities") if a.get("regardingobjectid") == record_id]
        items += [{"type": "note", "id": n["annotationid"], "subject": n.get("subject"), "text": n.get("notetext"),
                   "createdon": n.get("createdon"), "ownerid": n.get("ownerid"), "statecode": 1}
                  for n in self._rows("annotations") if n.get("objectid") == record_id]
        items = od.sort_records(items, [("createdon", True)], {"createdon": "datetime"}, "id")
        body: dict[str, Any] = {"value": items[skip:skip + top]}
        if len(items) > skip + top:
            body["@odata.nextLink"] = f"/api/{route}?$top={top}&$skip={skip + top}"
        return body

    async def _search(self, query: dict) -> dict:
        q = query.get("q", "")
        if not q.strip() or len(q) > 200:
            raise ApiError(400, "invalid_query", "q is required (1-200 characters).", {"field": "q"})
        sources = self._meta["search"]
        requested = query.get("entities", ",".join(sources))
        entities = [name.strip() for name in requested.split(",") if name.strip()]
        unknown = [name for name in entities if name not in sources]
        if unknown or not entities:
            raise ApiError(400, "invalid_query", f"Unknown entity {unknown[0] if unknown else ''!r} in entities.",
                           {"field": "entities", "known": list(sources)})
        top_text = query.get("top", "10")
        if not re.fullmatch(r"[0-9]{1,3}", top_text) or not 1 <= int(top_text) <= 50:
            raise ApiError(400, "invalid_query", "top must be 1-50.", {"field": "top"})
        tables: dict[str, list[dict]] = {}
        for name in dict.fromkeys(entities):
            table = sources[name]["table"]
            await self._table(table)
            tables[name] = self._rows(table)
        for table in ("accounts", "contacts", "systemusers"):  # the facts that tell hits apart
            await self._table(table)
        lookups = {table: {row[self._meta["tables"][table]["key"]]: row for row in self._rows(table)}
                   for table in ("accounts", "contacts", "systemusers")}
        return {"value": search_records(q, list(dict.fromkeys(entities)), int(top_text), sources, tables, lookups)}


def _action_values(body: dict, allowed: list[dict]) -> dict:
    by_name = {f["name"]: f for f in allowed}
    values = {}
    for name, value in body.items():
        if name not in by_name:
            raise _invalid(name, "unknown", f"This action takes no field {name!r}.")
        values[name] = coerce(by_name[name], value)
    for f in allowed:
        if f.get("required") and f["name"] not in values:
            raise _invalid(f["name"], "required", f"{f['name']} is required.")
        if f["name"] not in values and f.get("default") is not None:
            values[f["name"]] = f["default"]
    return values


def _answer(status: int, payload: Any, extra: dict | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = {"content-type": "application/json", "cache-control": "no-store", **(extra or {})}
    if payload is None:
        headers.pop("content-type")
        return status, headers, b""
    return status, headers, json.dumps(payload).encode()
