"""An async client for the Casework records API, over a tiny transport protocol.

Pure Python: no ``js`` or ``pyodide`` import, so it runs (and is tested) under CPython. The page gives it
``browser.transport.FetchTransport`` (one ``fetch``, read in JavaScript); tests give it a fake or a transport over
the real server.

Conventions it encodes (see the server's README section "API conventions"):
- Records are addressed ``/api/<set>(<id>)``; each carries ``@odata.etag``.
- Writes send ``If-Match: <etag>``; a stale one answers 412 and raises :class:`ConflictError` with the current record.
- Every state-changing request sends ``X-CSRF-Token`` (the token from sign-in or ``/api/me``).
- Errors have one shape ``{"error": {"code", "message", "details"}}`` and become :class:`RecordError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from casework.recordbus import CREATED, DELETED, UPDATED, RecordChange

CSRF_HEADER = "X-CSRF-Token"


class Transport(Protocol):
    """Sends one HTTP request; returns ``(status, headers with lower-case names, body bytes)``."""

    async def request(self, method: str, url: str, headers: dict[str, str], body: bytes | None
                      ) -> tuple[int, dict[str, str], bytes]: ...


class RecordError(Exception):
    """An API error.

    Attributes:
        status: HTTP status (0 when the server's answer was not the error shape, e.g. a proxy page).
        code: The stable error code (``not_found``, ``validation_failed``, ``invalid_query`` ...).
        message: A sentence for the user.
        details: Extra data, such as ``{"field": "title"}``.
    """

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    @property
    def field(self) -> str | None:
        """The field the error names, if any."""
        return self.details.get("field") if isinstance(self.details, dict) else None


class ConflictError(RecordError):
    """412: the record changed since it was read. ``current`` is the record as it is now."""

    @property
    def current(self) -> dict | None:
        return self.details.get("current") if isinstance(self.details, dict) else None

    @property
    def etag(self) -> str | None:
        return self.details.get("etag") if isinstance(self.details, dict) else None


class NotSignedInError(RecordError):
    """401: there is no (live) session; the page should send the user to sign in."""


@dataclass
class Page:
    """One page of a list: records, the URL of the next page (``None`` at the end) and the total if asked."""

    records: list[dict]
    next_link: str | None = None
    count: int | None = None
    raw: dict = field(default_factory=dict, repr=False)


def odata_literal(value: Any) -> str:
    """A value as an OData ``$filter`` literal (text is quoted with ``''`` escapes; ``None`` is ``null``).

    Build filters with this rather than by pasting user text: ``f"title eq {odata_literal(text)}"``.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    return "'" + text.replace("'", "''") + "'"


class RecordClient:
    """The records API as async methods.

    Args:
        transport: How requests are sent.
        base: The API root (``/api``), relative to the page.
        csrf_token: A known CSRF token (otherwise taken from :meth:`login` or :meth:`me`).
        on_change: Called with a :class:`~casework.recordbus.RecordChange` after every successful write
            (``RecordBus.publish`` in the page), so every view showing the record refreshes.
    """

    def __init__(self, transport: Transport, base: str = "/api", csrf_token: str | None = None,
                 on_change: Callable[[RecordChange], Any] | None = None) -> None:
        self.transport = transport
        self.base = base.rstrip("/")
        self.csrf_token = csrf_token
        self.on_change = on_change

    def _announce(self, entity_set: str, record_id: str, kind: str, record: dict | None,
                  related: tuple[str, ...] = ()) -> None:
        if self.on_change is not None:
            self.on_change(RecordChange(entity_set, record_id, kind, record, related=related))

    # -- plumbing
    async def _call(self, method: str, path: str, *, body: Any = None, etag: str | None = None,
                    params: dict | None = None) -> tuple[int, dict[str, str], Any]:
        url = path if path.startswith(self.base + "/") else f"{self.base}{path}"
        if params:
            url += "?" + urlencode({k: v for k, v in params.items() if v is not None}, quote_via=quote)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        if etag is not None:
            headers["If-Match"] = etag
        if method not in ("GET", "HEAD") and self.csrf_token:
            headers[CSRF_HEADER] = self.csrf_token
        status, response_headers, raw = await self.transport.request(method, url, headers, data)
        response_headers = {k.lower(): v for k, v in response_headers.items()}
        payload = None
        if raw:
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = None
        if status >= 400:
            raise _error_from(status, payload)
        return status, response_headers, payload

    @staticmethod
    def _record_path(entity_set: str, record_id: str) -> str:
        return f"/{entity_set}({quote(record_id, safe='')})"

    # -- sign-in
    async def login(self, username: str, password: str) -> dict:
        """Sign in; returns the ``/api/me`` body and keeps its CSRF token."""
        _, _, me = await self._call("POST", "/auth/login", body={"username": username, "password": password})
        self.csrf_token = me.get("csrfToken")
        return me

    async def logout(self) -> None:
        """End the session."""
        await self._call("POST", "/auth/logout")
        self.csrf_token = None

    async def me(self) -> dict:
        """``{"user", "roles", "profile", "settings", "csrfToken"}``; keeps the CSRF token."""
        _, _, me = await self._call("GET", "/me")
        self.csrf_token = me.get("csrfToken")
        return me

    async def set_setting(self, key: str, value: Any) -> None:
        """Save one of the signed-in user's settings (any JSON value), e.g. ``closeSessionWarning``."""
        await self._call("PUT", f"/me/settings/{quote(key, safe='')}", body=value if value is not None else None)

    async def delete_setting(self, key: str) -> None:
        """Remove one of the signed-in user's settings (back to the default)."""
        await self._call("DELETE", f"/me/settings/{quote(key, safe='')}")

    async def call_json(self, method: str, path: str, body: Any = None) -> Any:
        """Any JSON endpoint under the API base (conversation actions, presence): the answer's body."""
        _, _, payload = await self._call(method, path, body=body)
        return payload

    # -- records
    async def list(self, entity_set: str, *, filter: str | None = None, select: list[str] | None = None,
                   orderby: str | None = None, top: int | None = None, skip: int | None = None,
                   count: bool = False) -> Page:
        """One page of ``entity_set`` with OData query options."""
        params = {"$filter": filter, "$select": ",".join(select) if select else None, "$orderby": orderby,
                  "$top": top, "$skip": skip, "$count": "true" if count else None}
        _, _, body = await self._call("GET", f"/{entity_set}", params=params)
        return _page(body)

    async def next_page(self, page: Page) -> Page | None:
        """The page after ``page`` (``None`` at the end)."""
        if not page.next_link:
            return None
        _, _, body = await self._call("GET", page.next_link)
        return _page(body)

    async def get(self, entity_set: str, record_id: str) -> dict:
        _, _, record = await self._call("GET", self._record_path(entity_set, record_id))
        return record

    async def create(self, entity_set: str, fields: dict) -> dict:
        """Create a record; returns it (with its id and ``@odata.etag``)."""
        _, _, record = await self._call("POST", f"/{entity_set}", body=fields)
        self._announce(entity_set, str(record.get(_key_of(entity_set, record), "")), CREATED, record)
        return record

    async def update(self, entity_set: str, record: dict, changes: dict, *, key: str | None = None) -> dict:
        """Change fields of ``record`` (as last read: its ETag guards the write); returns the updated record.

        Raises:
            ConflictError: someone changed it meanwhile; ``error.current`` is their version.
        """
        record_id = record[key or _key_of(entity_set, record)]
        _, _, updated = await self._call("PATCH", self._record_path(entity_set, record_id), body=changes,
                                         etag=record["@odata.etag"])
        self._announce(entity_set, record_id, UPDATED, updated)
        return updated

    async def delete(self, entity_set: str, record: dict, *, key: str | None = None) -> None:
        record_id = record[key or _key_of(entity_set, record)]
        await self._call("DELETE", self._record_path(entity_set, record_id), etag=record["@odata.etag"])
        self._announce(entity_set, record_id, DELETED, None)

    # -- cases
    async def _case_action(self, case: dict, action: str, body: dict) -> dict:
        path = self._record_path("incidents", case["incidentid"]) + f"/{action}"
        _, _, updated = await self._call("POST", path, body=body, etag=case["@odata.etag"])
        # resolve/cancel add a resolution activity and remove queue items; assign/route change queue items
        self._announce("incidents", case["incidentid"], UPDATED, updated, related=_ACTION_RELATED[action])
        return updated

    async def resolve_case(self, case: dict, subject: str, description: str | None = None,
                           statuscode: int | None = None) -> dict:
        body = {"subject": subject, "description": description, "statuscode": statuscode}
        return await self._case_action(case, "resolve", {k: v for k, v in body.items() if v is not None})

    async def cancel_case(self, case: dict, statuscode: int | None = None) -> dict:
        return await self._case_action(case, "cancel", {} if statuscode is None else {"statuscode": statuscode})

    async def assign_case(self, case: dict, owner_id: str) -> dict:
        return await self._case_action(case, "assign", {"ownerid": owner_id})

    async def route_case(self, case: dict, queue_id: str) -> dict:
        return await self._case_action(case, "route", {"queueid": queue_id})

    # -- queue items
    async def pick_queue_item(self, item: dict) -> tuple[dict, dict]:
        """Work on a queue item: it becomes the agent's, and so does its case (one server transaction).
        Returns ``(queue item, case)`` as they are now.

        Raises:
            RecordError: 409 ``already_picked`` when someone else picked it first.
        """
        path = self._record_path("queueitems", item["queueitemid"]) + "/pick"
        _, _, body = await self._call("POST", path, etag=item["@odata.etag"])
        queue_item, case = body["queueitem"], body["incident"]
        self._announce("queueitems", queue_item["queueitemid"], UPDATED, queue_item)
        self._announce("incidents", case["incidentid"], UPDATED, case, related=("queueitems",))
        return queue_item, case

    async def timeline(self, entity_set: str, record_id: str, *, top: int | None = None,
                       skip: int | None = None) -> Page:
        """Activities and notes regarding a record, newest first."""
        _, _, body = await self._call("GET", self._record_path(entity_set, record_id) + "/timeline",
                                      params={"$top": top, "$skip": skip})
        return _page(body)

    async def search(self, q: str, entities: list[str] | None = None, top: int = 10) -> list[dict]:
        """Ranked hits ``{"entity", "id", "title", "score", "snippet": [{"text", "match"}]}``."""
        _, _, body = await self._call("GET", "/search", params={
            "q": q, "entities": ",".join(entities) if entities else None, "top": top})
        return body["value"]


_ACTION_RELATED = {"resolve": ("queueitems", "activitypointers"), "cancel": ("queueitems", "activitypointers"),
                   "assign": ("queueitems",), "route": ("queueitems",)}

_KEYS = {"incidents": "incidentid", "accounts": "accountid", "contacts": "contactid", "annotations": "annotationid",
         "queues": "queueid", "queueitems": "queueitemid", "knowledgearticles": "knowledgearticleid",
         "templates": "templateid", "systemusers": "systemuserid", "profiles": "profileid"}


def _key_of(entity_set: str, record: dict) -> str:
    return _KEYS.get(entity_set, "activityid")


def _page(body: dict) -> Page:
    return Page(body.get("value", []), body.get("@odata.nextLink"), body.get("@odata.count"), body)


def _error_from(status: int, payload: Any) -> RecordError:
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return RecordError(status, "http_error", f"The server answered {status}.", None)
    kind = ConflictError if status == 412 else NotSignedInError if status == 401 else RecordError
    return kind(status, str(error.get("code", "http_error")), str(error.get("message", "")), error.get("details"))
