"""Conversation endpoints: messages of a conversation (records API conventions), the agent's actions, presence,
and the customer's live-chat calls (no sign-in: the chat's own bearer token).

Agent actions (POST, CSRF header, JSON body):
``/api/conversations(<id>)/accept|reject|end|close`` (no body), ``/send`` ``{"text", "clientId"?}``,
``/typing``, ``/notes`` ``{"text"}``, ``/link`` ``{"entity": "contact|account|incident", "recordid": id|null}``,
``/case`` ``{"title"?}`` (201: a new case prefilled from the conversation, linked) or ``{"incidentid"}`` (link an
existing one), ``/transfer`` ``{"queueid"?, "agentid"?, "note"?}``, ``/release``, ``/reopen`` and ``/leave`` (X
without End; no body); ``GET .../transfertargets`` (the other queues and agents with their presence).
Presence: ``GET /api/presence``, ``PUT /api/presence`` ``{"presence": "Available"|...}``.
Live chat: ``POST /api/chat/start`` ``{"name", "email"?, "question"}`` answers the conversation and a token; then
``Authorization: Bearer <token>`` on ``GET /api/chat/conversation`` (with the transcript), ``POST /api/chat/messages``
``{"text", "clientId"}``, ``POST /api/chat/typing``, ``POST /api/chat/marks`` ``{"sequence", "state"}``,
``POST /api/chat/end``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.api.common import Call, FastJSONResponse, endpoint, read_json
from server.api.entities import ENTITY_SETS
from server.api.records import _record_id, list_records, to_json
from server.conversations.events import trimmed_through
from server.conversations.service import ConversationError, ConversationService, message_json
from server.db import schema
from server.errors import ApiError

CONVERSATIONS = ENTITY_SETS["conversations"]
MESSAGES = ENTITY_SETS["conversationmessages"]
MAX_TEXT = 4000
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def service_of(request: Request) -> ConversationService:
    return request.app.state.conversations


def _api(exc: ConversationError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, exc.details)


def _visible(call: Call, conversation_id: str) -> None:
    scope = CONVERSATIONS.scope(call.user) if CONVERSATIONS.scope else []
    c = schema.conversations
    with call.database.engine.connect() as conn:
        if conn.execute(select(c.c.conversationid).where(c.c.conversationid == conversation_id, *scope)).first() \
                is None:
            raise ApiError(404, "not_found", f"No conversation with id {conversation_id}.",
                           {"entitySet": "conversations", "id": conversation_id})


def conversation_messages(call: Call) -> Response:
    """``GET /api/conversations(<id>)/messages``: the transcript with the records API's OData options (default
    order: sequence ascending)."""
    conversation_id = _record_id(call)
    _visible(call, conversation_id)
    return list_records(call, MESSAGES, (schema.conversationmessages.c.conversationid == conversation_id,))


def _text(body: Any, name: str = "text") -> str:
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "The body must be a JSON object.", {"field": None})
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, "validation_failed", f"{name} is required text.", {"field": name, "reason": "required"})
    if len(value) > MAX_TEXT:
        raise ApiError(422, "validation_failed", f"{name} is longer than {MAX_TEXT} characters.",
                       {"field": name, "reason": "too_long"})
    return value


def _client_id(body: dict, required: bool) -> str | None:
    value = body.get("clientId")
    if value is None and not required:
        return None
    if not isinstance(value, str) or not CLIENT_ID.fullmatch(value):
        raise ApiError(422, "validation_failed", "clientId is 1-64 letters, digits, '-' or '_'.",
                       {"field": "clientId", "reason": "format"})
    return value


def conversation_action(call: Call) -> Response:
    """``POST /api/conversations(<id>)/<action>``."""
    user = call.require("agent", "supervisor", "admin")
    conversation_id, action = _record_id(call), call.path["action"]
    service = service_of(call.request)
    body = call.body if call.body is not None else {}
    try:
        if action in ("accept", "reject", "end", "close", "typing", "release", "reopen", "leave"):
            if body not in ({}, None):
                raise ApiError(400, "invalid_body", f"{action} takes no body.", {"field": None})
            if action == "typing":
                service.typing(conversation_id, from_customer=False, user_id=user.id)
                return Response(status_code=204)
            result = getattr(service, action)(user.id, conversation_id)
        elif action == "send":
            result = service.agent_send(user.id, conversation_id, _text(body), _client_id(body, False))
            return FastJSONResponse(result, status_code=201, headers={"Cache-Control": "no-store"})
        elif action == "notes":
            result = service.add_note(user.id, conversation_id, _text(body))
            return FastJSONResponse(result, status_code=201)
        elif action == "case":
            if not isinstance(body, dict):
                raise ApiError(400, "invalid_body", "The body must be a JSON object.", {"field": None})
            existing = body.get("incidentid")
            if existing is not None:  # link an existing case instead
                result = service.link(user.id, conversation_id, "incident", _guid(existing, "incidentid"))
                return FastJSONResponse({"conversation": result, "incident": _incident(call, existing.lower())})
            title = body.get("title")
            if title is not None and (not isinstance(title, str) or not title.strip() or len(title) > 300):
                raise ApiError(422, "validation_failed", "title is 1-300 characters.",
                               {"field": "title", "reason": "format"})
            conversation, incident_id = service.create_case(user.id, conversation_id, title)
            return FastJSONResponse({"conversation": conversation, "incident": _incident(call, incident_id)},
                                    status_code=201, headers={"Location": f"/api/incidents({incident_id})"})
        elif action == "transfer":
            if not isinstance(body, dict) or not (body.get("queueid") or body.get("agentid")):
                raise ApiError(422, "validation_failed", "Send {\"queueid\"} and/or {\"agentid\"}.",
                               {"field": "queueid", "reason": "required"})
            queue_id = _guid(body["queueid"], "queueid") if body.get("queueid") is not None else None
            agent_id = _guid(body["agentid"], "agentid") if body.get("agentid") is not None else None
            note = body.get("note")
            if note is not None and (not isinstance(note, str) or len(note) > 1000):
                raise ApiError(422, "validation_failed", "note is text of at most 1000 characters.",
                               {"field": "note", "reason": "format"})
            result = service.transfer(user.id, conversation_id, queue_id, agent_id, (note or "").strip() or None)
        elif action == "link":
            entity = body.get("entity") if isinstance(body, dict) else None
            if entity not in ("contact", "account", "incident"):
                raise ApiError(422, "validation_failed", "entity is contact, account or incident.",
                               {"field": "entity", "reason": "choice"})
            record_id = body.get("recordid")
            if record_id is not None and not (isinstance(record_id, str) and re.fullmatch(
                    r"[0-9a-fA-F-]{36}", record_id)):
                raise ApiError(422, "validation_failed", "recordid is a GUID or null.",
                               {"field": "recordid", "reason": "format"})
            result = service.link(user.id, conversation_id, entity, record_id.lower() if record_id else None)
        else:
            raise ApiError(404, "not_found", f"No action {action!r} on conversations.",
                           {"actions": sorted(ACTIONS)})
    except ConversationError as exc:
        raise _api(exc) from None
    return FastJSONResponse(result, headers={"Cache-Control": "no-store"})


ACTIONS = ("accept", "reject", "end", "close", "send", "typing", "notes", "link", "case", "transfer", "release",
           "reopen", "leave")


def transfer_targets(call: Call) -> Response:
    """``GET /api/conversations(<id>)/transfertargets``: the other queues and agents (presence, ``available``)."""
    user = call.require("agent", "supervisor", "admin")
    try:
        result = service_of(call.request).transfer_targets(user.id, _record_id(call))
    except ConversationError as exc:
        raise _api(exc) from None
    return FastJSONResponse(result, headers={"Cache-Control": "no-store"})


def _guid(value: Any, field: str) -> str:
    if not (isinstance(value, str) and re.fullmatch(r"[0-9a-fA-F-]{36}", value)):
        raise ApiError(422, "validation_failed", f"{field} is a GUID.", {"field": field, "reason": "format"})
    return value.lower()


def _incident(call: Call, incident_id: str) -> dict:
    incidents = ENTITY_SETS["incidents"]
    with call.database.engine.connect() as conn:
        row = conn.execute(select(schema.incidents).where(schema.incidents.c.incidentid == incident_id)).first()
    return to_json(incidents, row) if row is not None else {"incidentid": incident_id}


def get_presence(call: Call) -> Response:
    return FastJSONResponse(service_of(call.request).get_presence(call.user.id), headers={"Cache-Control": "no-store"})


def put_presence(call: Call) -> Response:
    """``PUT /api/presence`` ``{"presence": "Available" | "Busy" | "Busy - DND" | "Away" | "Offline"}``."""
    body = call.body if isinstance(call.body, dict) else None
    if body is None:
        raise ApiError(400, "invalid_body", "The body must be a JSON object.", {"field": None})
    service = service_of(call.request)
    try:
        result = service.set_presence(call.user.id, body.get("presence"))
    except ValueError as exc:
        raise ApiError(422, "validation_failed", str(exc), {"field": "presence", "reason": "choice"}) from None
    service.route()
    return FastJSONResponse(result)


# -- the customer's live chat ----------------------------------------------------------------------------------

def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer ") or len(header) > 200:
        raise ApiError(401, "unauthenticated", "Send the chat token as Authorization: Bearer <token>.", None)
    return header[7:].strip()


def _chat(function):
    async def handle(request: Request) -> Response:
        body = await read_json(request, 16 * 1024) if request.method == "POST" else None

        def run() -> Response:
            try:
                return function(request, body)
            except ConversationError as exc:
                raise _api(exc) from None
        return await run_in_threadpool(run)
    handle.__name__ = function.__name__
    return handle


@_chat
def chat_start(request: Request, body: Any) -> Response:
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "The body must be a JSON object.", {"field": None})
    name = _text(body, "name")[:200]
    question = _text(body, "question")
    email = body.get("email")
    if email is not None and not (isinstance(email, str) and re.fullmatch(r"[^@\s]{1,100}@[^@\s]{1,100}", email)):
        raise ApiError(422, "validation_failed", "email is not an e-mail address.", {"field": "email",
                                                                                      "reason": "format"})
    service = service_of(request)
    conversation, token = service.start_chat(name.strip(), email, question)
    service.route()
    return FastJSONResponse({"conversation": conversation, "token": token}, status_code=201,
                            headers={"Cache-Control": "no-store"})


@_chat
def chat_get(request: Request, body: Any) -> Response:
    service = service_of(request)
    row = service.chat_conversation(_bearer(request))
    m = schema.conversationmessages
    with service.database.engine.connect() as conn:
        messages = conn.execute(select(m).where(m.c.conversationid == row.conversationid)
                                .order_by(m.c.sequence)).all()
        last = conn.execute(select(schema.events.c.eventid).where(
            schema.events.c.topic == f"conversation:{row.conversationid}")
            .order_by(schema.events.c.eventid.desc()).limit(1)).scalar_one_or_none() or 0
        last = max(last, trimmed_through(conn))  # the transcript above is whole: nothing before it is missing
    return FastJSONResponse({"conversation": {"conversationid": row.conversationid, "statuscode": row.statuscode,
                                              "customername": row.customername, "agent": row.ownerid is not None},
                             "messages": [_customer_view(message_json(r)) for r in messages],
                             "lastEventId": last}, headers={"Cache-Control": "no-store"})


def _customer_view(message: dict) -> dict:
    """What the customer's page may see of a message (no agent ids)."""
    return {k: message[k] for k in ("messageid", "sequence", "direction", "sendertype", "sendername", "text",
                                    "deliverystate", "createdon")}


@_chat
def chat_send(request: Request, body: Any) -> Response:
    token = _bearer(request)
    text = _text(body)
    message = service_of(request).customer_send(token, text, _client_id(body, True))
    return FastJSONResponse(_customer_view(message), status_code=201, headers={"Cache-Control": "no-store"})


@_chat
def chat_typing(request: Request, body: Any) -> Response:
    service = service_of(request)
    row = service.chat_conversation(_bearer(request))
    service.typing(row.conversationid, from_customer=True)
    return Response(status_code=204)


@_chat
def chat_marks(request: Request, body: Any) -> Response:
    token = _bearer(request)
    if not isinstance(body, dict) or body.get("state") not in ("delivered", "read") or \
            isinstance(body.get("sequence"), bool) or not isinstance(body.get("sequence"), int):
        raise ApiError(422, "validation_failed", "Send {\"sequence\": n, \"state\": \"delivered\"|\"read\"}.",
                       {"field": "state", "reason": "choice"})
    changed = service_of(request).customer_mark(token, body["sequence"], body["state"])
    return FastJSONResponse({"changed": changed})


@_chat
def chat_end(request: Request, body: Any) -> Response:
    result = service_of(request).customer_end(_bearer(request))
    return FastJSONResponse({"statuscode": result["statuscode"]})


routes = [
    Route("/api/conversations({id})/messages", endpoint(conversation_messages), methods=["GET"]),
    Route("/api/conversations({id})/transfertargets", endpoint(transfer_targets), methods=["GET"]),
    Route("/api/conversations({id})/{action}", endpoint(conversation_action, body=True), methods=["POST"]),
    Route("/api/presence", endpoint(get_presence), methods=["GET"]),
    Route("/api/presence", endpoint(put_presence, body=True), methods=["PUT"]),
    Route("/api/chat/start", chat_start, methods=["POST"]),
    Route("/api/chat/conversation", chat_get, methods=["GET"]),
    Route("/api/chat/messages", chat_send, methods=["POST"]),
    Route("/api/chat/typing", chat_typing, methods=["POST"]),
    Route("/api/chat/marks", chat_marks, methods=["POST"]),
    Route("/api/chat/end", chat_end, methods=["POST"]),
]
