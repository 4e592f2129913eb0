"""``GET /api/openapi.json``: an OpenAPI 3.0 description of the API, generated from the entity-set whitelist so
the document and the server cannot drift apart. Like every API endpoint but health and login, it needs a session.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server import __version__
from server.api.common import Call, endpoint
from server.api.entities import ENTITY_SETS, EntitySet, Field
from server.api.records import ACTIONS, MAX_PAGE, TIMELINE_SETS
from server.auth import CSRF_HEADER, SESSION_COOKIE

_KINDS = {
    "string": {"type": "string"},
    "guid": {"type": "string", "format": "uuid"},
    "int": {"type": "integer"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "json": {"type": "object"},
    "jsonarray": {"type": "array", "items": {"type": "object"}},
}


def _field_schema(f: Field, writing: bool) -> dict:
    result = dict(_KINDS[f.kind])
    if f.max_length and writing:
        result["maxLength"] = f.max_length
    if f.choices is not None and writing:
        result["enum"] = list(f.choices)
    if (f.nullable and writing) or not writing:
        result["nullable"] = True
    return result


def _record_schema(s: EntitySet) -> dict:
    properties = {"@odata.etag": {"type": "string"}}
    properties.update({f.name: _field_schema(f, False) for f in s.fields})
    properties[s.key] = {"type": "string", "format": "uuid"}
    properties["versionnumber"] = {"type": "integer"}
    return {"type": "object", "properties": properties, "required": ["@odata.etag", s.key]}


def _write_schema(s: EntitySet, creating: bool) -> dict:
    writable = [f for f in s.fields if f.write == "always" or (creating and f.write == "create")]
    result: dict[str, Any] = {
        "type": "object", "additionalProperties": False,
        "properties": {f.name: _field_schema(f, True) for f in writable},
    }
    required = [f.name for f in writable if f.required] if creating else []
    if required:
        result["required"] = required
    return result


def _error(description: str) -> dict:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


COMMON_ERRORS = {"401": _error("Not signed in"), "403": _error("Not allowed (role, ownership or CSRF)")}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
            "description": 'The record\'s ETag, W/"<versionnumber>"'}
LIST_PARAMS = [
    {"name": "$filter", "in": "query", "schema": {"type": "string", "maxLength": 2000}},
    {"name": "$select", "in": "query", "schema": {"type": "string"}},
    {"name": "$orderby", "in": "query", "schema": {"type": "string"}},
    {"name": "$top", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": MAX_PAGE}},
    {"name": "$skip", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    {"name": "$count", "in": "query", "schema": {"type": "boolean"}},
]


UUID = {"type": "string", "format": "uuid"}
NO_BODY = {"type": "object", "maxProperties": 0}
TEXT = {"type": "string", "minLength": 1, "maxLength": 4000}
CLIENT_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}
CHAT_SECURITY = [{"chatToken": []}]


def _post(summary: str, operation_id: str, body: dict | None, responses: dict, *, parameters: list | None = None,
          required: bool = False, security: list | None = None) -> dict:
    operation: dict[str, Any] = {"summary": summary, "operationId": operation_id, "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": required, "content": {"application/json": {"schema": body}}}
    if security is not None:
        operation["security"] = security
    return {"post": operation}


def _suggestions(summary: str, operation_id: str, not_found: str, card: dict) -> dict:
    """A Smart Assist ``GET …/suggestions`` path (a case's or a conversation's): ``top`` cases, ``articles``."""
    limit = {"type": "integer", "minimum": 1, "maximum": 10}
    return {"get": {
        "summary": summary, "operationId": operation_id,
        "parameters": [ID, {"name": "top", "in": "query", "schema": limit},
                       {"name": "articles", "in": "query", "schema": dict(limit)}],
        "responses": {"200": _json({"type": "object", "required": ["cases", "articles"], "properties": {
            "cases": {"type": "array", "items": card}, "articles": {"type": "array", "items": card}}}),
            "400": _error("Malformed"), "404": _error(not_found),
            "503": _error("Query stopped: over the time budget"), **COMMON_ERRORS}}}


def _conversations(paths: dict, body_errors: dict) -> None:
    """The agent's conversation actions (server/api/conversations.py), presence, and the customer's live chat."""
    conversation = {"type": "object", "required": ["conversationid", "statuscode"]}
    message = {"type": "object", "required": ["messageid", "sequence", "text"]}
    refused = {"404": _error("No such conversation"), "409": _error("Not in a state that allows this"),
               "503": _error("Unavailable"), **body_errors, **COMMON_ERRORS}
    actions: dict[str, tuple[str, dict, dict]] = {
        "accept": ("Accept the offer held by the caller: Open → Active", NO_BODY, _json(conversation)),
        "reject": ("Reject the offer held by the caller (routing offers it to the next agent)", NO_BODY,
                   _json({"type": "object", "required": ["conversationid", "rejected"]})),
        "end": ("End: Active → Wrap-up", NO_BODY, _json(conversation)),
        "close": ("Close: Wrap-up (or Active) → Closed; capacity released", NO_BODY, _json(conversation)),
        "leave": ("X without End (close_without_end): a live chat back to Open and routed to another agent, an "
                  "async conversation to Waiting; capacity released", NO_BODY, _json(conversation)),
        "release": ("Release the conversation back to routing in its queue", NO_BODY, _json(conversation)),
        "reopen": ("Reopen a Waiting conversation of the caller's: Waiting → Active", NO_BODY, _json(conversation)),
        "typing": ("The agent is typing (pushed to the customer)", NO_BODY, {"description": "Sent"}),
        "send": ("The agent's reply (clientId makes a retry store once)", {
            "type": "object", "required": ["text"], "additionalProperties": False,
            "properties": {"text": TEXT, "clientId": CLIENT_ID}}, _json(message, "Stored")),
        "notes": ("A note on the conversation", {"type": "object", "required": ["text"],
                                                 "additionalProperties": False, "properties": {"text": TEXT}},
                  _json({"type": "object", "required": ["annotationid"]}, "Stored")),
        "link": ("Link (recordid null: unlink) the conversation's contact, account or case", {
            "type": "object", "required": ["entity"], "additionalProperties": False,
            "properties": {"entity": {"enum": ["contact", "account", "incident"]},
                           "recordid": {**UUID, "nullable": True}}}, _json(conversation)),
        "case": ("Make a case from the conversation (title, transcript, contact, origin) and link it, or link the "
                 "existing case incidentid", {"type": "object", "additionalProperties": False, "properties": {
                     "title": {"type": "string", "minLength": 1, "maxLength": 300}, "incidentid": UUID}},
                 _json({"type": "object", "required": ["conversation", "incident"]}, "Existing case linked")),
        "transfer": ("Transfer the conversation to a queue and/or an agent (offered at once; note is shown on "
                     "their offer)", {"type": "object", "additionalProperties": False, "minProperties": 1,
                                     "properties": {"queueid": UUID, "agentid": UUID,
                                                    "note": {"type": "string", "maxLength": 1000}}},
                     _json(conversation)),
    }
    for action, (summary, body, ok) in actions.items():
        status = {"typing": "204", "send": "201", "notes": "201"}.get(action, "200")
        responses = {status: ok, **refused}
        if action == "case":
            responses["201"] = _json({"type": "object", "required": ["conversation", "incident"]}, "Case created")
        paths[f"/api/conversations({{id}})/{action}"] = _post(summary, f"conversation_{action}", body, responses,
                                                             parameters=[ID])
    paths["/api/conversations({id})/messages"] = {"get": {
        "summary": "The transcript (records API options; default order: sequence)",
        "operationId": "conversation_messages", "parameters": [ID, *LIST_PARAMS],
        "responses": {"200": _json({"type": "object", "required": ["value"], "properties": {
            "value": {"type": "array", "items": {"type": "object"}}}}), "400": _error("Invalid query option"),
            "404": _error("No such conversation"), "503": _error("Over the time budget"), **COMMON_ERRORS}}}
    paths["/api/conversations({id})/transfertargets"] = {"get": {
        "summary": "Where the caller may transfer their conversation: the other queues, and agents with their "
                   "presence and whether they can take it now", "operationId": "conversation_transfertargets",
        "parameters": [ID],
        "responses": {"200": _json({"type": "object", "required": ["queues", "agents"], "properties": {
            "queues": {"type": "array", "items": {"type": "object", "required": ["queueid", "name"]}},
            "agents": {"type": "array", "items": {"type": "object", "required": [
                "systemuserid", "fullname", "presence", "available"]}}}}),
            "400": _error("Malformed id"), "404": _error("No such conversation"), **COMMON_ERRORS}}}
    presence = {"type": "object", "required": ["presence"], "properties": {
        "presence": {"enum": ["Available", "Busy", "Busy - DND", "Away", "Offline"]}}}
    paths["/api/presence"] = {
        "get": {"summary": "The caller's presence", "operationId": "get_presence",
                "responses": {"200": _json(presence), **COMMON_ERRORS}},
        "put": {"summary": "Set the caller's presence by hand", "operationId": "put_presence",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    **presence, "additionalProperties": False}}}},
                "responses": {"200": _json(presence), **body_errors, **COMMON_ERRORS}},
    }
    chat_errors = {"401": _error("Unknown chat token"), "409": _error("The chat has ended"),
                   "503": _error("Live chat is not set up"), **body_errors}
    paths["/api/chat/start"] = _post(
        "The customer's pre-chat form: a new live chat and its token", "chat_start",
        {"type": "object", "required": ["name", "question"], "additionalProperties": False,
         "properties": {"name": TEXT, "question": TEXT, "email": {"type": "string", "format": "email"}}},
        {"201": _json({"type": "object", "required": ["conversation", "token"]}, "Started"), **chat_errors},
        required=True, security=[])
    paths["/api/chat/conversation"] = {"get": {
        "summary": "The customer's conversation and transcript", "operationId": "chat_conversation",
        "security": CHAT_SECURITY, "responses": {"200": _json({"type": "object", "required": [
            "conversation", "messages", "lastEventId"]}), **chat_errors}}}
    paths["/api/chat/messages"] = _post(
        "The customer's message (clientId makes a retry store once)", "chat_message",
        {"type": "object", "required": ["text", "clientId"], "additionalProperties": False,
         "properties": {"text": TEXT, "clientId": CLIENT_ID}},
        {"201": _json(message, "Stored"), **chat_errors}, required=True, security=CHAT_SECURITY)
    paths["/api/chat/typing"] = _post("The customer is typing", "chat_typing", NO_BODY,
                                      {"204": {"description": "Sent"}, **chat_errors}, security=CHAT_SECURITY)
    paths["/api/chat/marks"] = _post(
        "The customer's page saw the agent's messages up to sequence", "chat_marks",
        {"type": "object", "required": ["sequence", "state"], "additionalProperties": False,
         "properties": {"sequence": {"type": "integer"}, "state": {"enum": ["delivered", "read"]}}},
        {"200": _json({"type": "object", "required": ["changed"]}), **chat_errors}, required=True,
        security=CHAT_SECURITY)
    paths["/api/chat/end"] = _post("The customer ends the chat", "chat_end", NO_BODY,
                                   {"200": _json({"type": "object", "required": ["statuscode"]}), **chat_errors},
                                   security=CHAT_SECURITY)


def _other_services(paths: dict, body_errors: dict) -> None:
    """Channel webhooks, the conversation's smart assist, the inbox, this document and the page's package index."""
    channel = {"name": "channel", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 40}}
    webhook_errors = {"400": _error("Malformed payload"), "401": _error("Bad signature"),
                      "403": _error("Verification failed"), "404": _error("Unknown channel"),
                      "413": _error("Too large")}
    paths["/api/channels/{channel}"] = {
        "get": {"summary": "The provider's webhook handshake (hub.challenge, echostr)", "operationId": "channel_verify",
                "parameters": [channel], "security": [],
                "responses": {"200": {"description": "The challenge echoed", "content": {"text/plain": {}}},
                              **webhook_errors}},
        "post": {"summary": "A provider's webhook (signature checked over the raw body)",
                 "operationId": "channel_webhook", "parameters": [channel], "security": [],
                 "requestBody": {"content": {"application/json": {"schema": {}},
                                             "application/x-www-form-urlencoded": {"schema": {}}}},
                 "responses": {"200": _json({"type": "object"}), **webhook_errors}},
    }
    card = {"type": "object", "required": ["id", "title", "confidence"]}
    paths["/api/conversations({id})/suggestions"] = _suggestions(
        "Smart Assist from the conversation's messages: similar cases and relevant articles",
        "conversation_suggestions", "No such conversation", card)
    paths["/api/conversations({id})/suggestions/feedback"] = _post(
        "Yes/No on one suggestion for this conversation", "conversation_suggestion_feedback",
        {"type": "object", "required": ["id", "kind", "useful"], "additionalProperties": False,
         "properties": {"id": UUID, "kind": {"enum": ["case", "article"]}, "useful": {"type": "boolean"}}},
        {"200": _json({"type": "object"}), "404": _error("No such conversation"), **body_errors, **COMMON_ERRORS},
        parameters=[ID], required=True)
    view = {"name": "view", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 40}}
    paths["/api/inbox"] = {"get": {"summary": "The inbox's views with counts and unread counts, and my queues",
                                   "operationId": "inbox", "responses": {"200": _json({
                                       "type": "object", "required": ["views", "queues"]}), **COMMON_ERRORS}}}
    paths["/api/inbox/{view}"] = {"get": {
        "summary": "One inbox view's items, filtered and sorted", "operationId": "inbox_view",
        "parameters": [view, {"name": "filter", "in": "query", "schema": {"enum": ["all", "unread", "read"]}},
                       {"name": "sort", "in": "query", "schema": {"enum": ["date", "customer"]}},
                       {"name": "order", "in": "query", "schema": {"enum": ["desc", "asc"]}}],
        "responses": {"200": _json({"type": "object", "required": ["view", "items"]}),
                      "404": _error("No such view"), "422": _error("Invalid option"), **COMMON_ERRORS}}}
    paths["/api/inbox/read"] = _post(
        "Mark inbox items read or unread", "inbox_read",
        {"type": "object", "required": ["items", "read"], "additionalProperties": False, "properties": {
            "items": {"type": "array", "items": {"type": "object", "required": ["kind", "id"]}},
            "read": {"type": "boolean"}}},
        {"200": _json({"type": "object"}), **body_errors, **COMMON_ERRORS}, required=True)
    paths["/api/openapi.json"] = {"get": {"summary": "This document", "operationId": "openapi",
                                          "responses": {"200": _json({"type": "object"}), **COMMON_ERRORS}}}
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 100}}
    page = {"application/vnd.pypi.simple.v1+html": {"schema": {"type": "string"}},
            "application/vnd.pypi.simple.v1+json": {"schema": {"type": "object"}}}
    paths["/api/simple/"] = {"get": {"summary": "The page's package index (PEP 503/691) of the bundled wheels",
                                     "operationId": "simple_index", "security": [],
                                     "responses": {"200": {"description": "Index", "content": page}}}}
    paths["/api/simple/{name}/"] = {"get": {
        "summary": "One project's wheels in the page's package index", "operationId": "simple_project",
        "parameters": [name], "security": [],
        "responses": {"200": {"description": "Links", "content": page}, "404": {"description": "No such project"}}}}
    file = {"name": "file", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 200}}
    paths["/api/wheels/{file}"] = {"get": {
        "summary": "A bundled wheel", "operationId": "wheel_file", "parameters": [file], "security": [],
        "responses": {"200": {"description": "The wheel", "content": {"application/octet-stream": {}}},
                      "404": {"description": "No such wheel"}}}}


def build_document() -> dict:
    """The OpenAPI document."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
                "code": {"type": "string"}, "message": {"type": "string"}, "details": {"nullable": True}}}},
        },
    }
    for name, s in ENTITY_SETS.items():
        record_ref = {"$ref": f"#/components/schemas/{s.entity}"}
        schemas[s.entity] = _record_schema(s)
        paths[f"/api/{name}"] = {
            "get": {"summary": f"List {name}", "operationId": f"list_{name}", "parameters": LIST_PARAMS,
                    "responses": {"200": _json({"type": "object", "required": ["value"], "properties": {
                        "value": {"type": "array", "items": record_ref}, "@odata.count": {"type": "integer"},
                        "@odata.nextLink": {"type": "string"}}}), "400": _error("Invalid query option"),
                        "503": _error("Query stopped: over the time budget"), **COMMON_ERRORS}},
            "post": {"summary": f"Create a {s.entity}", "operationId": f"create_{s.entity}",
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": _write_schema(s, True)}}},
                     "responses": {"201": _json(record_ref, "Created"), "400": _error("Malformed body"),
                                   "409": _error("Unique value taken"), "413": _error("Body too large"),
                                   "422": _error("Invalid field"), **COMMON_ERRORS}},
        }
        if s.read_only:
            del paths[f"/api/{name}"]["post"]
        paths[f"/api/{name}({{id}})"] = {
            "get": {"summary": f"Get a {s.entity}", "operationId": f"get_{s.entity}", "parameters": [ID],
                    "responses": {"200": _json(record_ref), "304": {"description": "Not modified"},
                                  "400": _error("Malformed id"), "404": _error("No such record"), **COMMON_ERRORS}},
            "patch": {"summary": f"Update a {s.entity}", "operationId": f"update_{s.entity}",
                      "parameters": [ID, IF_MATCH],
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": _write_schema(s, False)}}},
                      "responses": {"200": _json(record_ref), "400": _error("Malformed body or id"),
                                    "404": _error("No such record"), "409": _error("Conflict"),
                                    "412": _error("Stale ETag (details.current holds the record)"),
                                    "413": _error("Body too large"), "422": _error("Invalid field"),
                                    "428": _error("If-Match missing"), **COMMON_ERRORS}},
            "delete": {"summary": f"Delete a {s.entity}", "operationId": f"delete_{s.entity}",
                       "parameters": [ID, IF_MATCH],
                       "responses": {"204": {"description": "Deleted"}, "400": _error("Malformed id"),
                                     "404": _error("No such record"), "409": _error("Still referenced"),
                                     "412": _error("Stale ETag"), "428": _error("If-Match missing"),
                                     **COMMON_ERRORS}},
        }
        if s.read_only:
            paths[f"/api/{name}({{id}})"] = {"get": paths[f"/api/{name}({{id}})"]["get"]}
        if name in TIMELINE_SETS:
            paths[f"/api/{name}({{id}})/timeline"] = {"get": {
                "summary": "Activities and notes regarding the record, newest first",
                "operationId": f"timeline_{s.entity}",
                "parameters": [ID, LIST_PARAMS[3], LIST_PARAMS[4]],
                "responses": {"200": _json({"type": "object", "required": ["value"], "properties": {
                    "value": {"type": "array", "items": {"type": "object"}}, "@odata.nextLink": {"type": "string"}}}),
                    "400": _error("Invalid id or paging"), "404": _error("No such record"), **COMMON_ERRORS},
            }}
    for name, summary in (("systemusers", "A user's card: name, roles, e-mail, open cases, queues"),
                          ("queues", "A queue's card: members and the items waiting in it")):
        paths[f"/api/{name}({{id}})/card"] = {"get": {
            "summary": summary, "operationId": f"card_{name}", "parameters": [ID],
            "responses": {"200": _json({"type": "object"}), "400": _error("Malformed id"),
                          "404": _error("No such record"), **COMMON_ERRORS},
        }}
    for action in ACTIONS:
        paths[f"/api/incidents({{id}})/{action}"] = {"post": {
            "summary": f"Case action: {action}", "operationId": f"incident_{action}", "parameters": [ID, IF_MATCH],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {"200": _json({"$ref": "#/components/schemas/incident"}), "400": _error("Malformed"),
                          "404": _error("No such case"), "409": _error("Case not active"),
                          "412": _error("Stale ETag"), "422": _error("Invalid field"),
                          "428": _error("If-Match missing"), **COMMON_ERRORS},
        }}
    paths["/api/queueitems({id})/pick"] = {"post": {
        "summary": "Pick a queue item: its worker becomes the caller and its case is assigned to them",
        "operationId": "queueitem_pick", "parameters": [ID, IF_MATCH],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "maxProperties": 0}}}},
        "responses": {"200": _json({"type": "object", "required": ["queueitem", "incident"], "properties": {
            "queueitem": {"$ref": "#/components/schemas/queueitem"},
            "incident": {"$ref": "#/components/schemas/incident"}}}),
            "400": _error("Malformed"), "404": _error("No such queue item or case"),
            "409": _error("Already picked by someone else, or the case is closed"), "412": _error("Stale ETag"),
            "428": _error("If-Match missing"), **COMMON_ERRORS},
    }}
    paths["/api/search"] = {"get": {
        "summary": "Relevance search with snippet segments", "operationId": "search",
        "parameters": [{"name": "q", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 200}},
                       {"name": "entities", "in": "query", "schema": {"type": "string"}},
                       {"name": "top", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50}}],
        "responses": {"200": _json({"type": "object", "required": ["value"], "properties": {"value": {
            "type": "array", "items": {"type": "object", "required": ["entity", "id", "title", "score", "snippet"],
                                       "properties": {"snippet": {"type": "array", "items": {
                                           "type": "object", "required": ["text", "match"]}},
                                           "details": {"type": "object"}}}}}}),
            "400": _error("Invalid query"), "503": _error("Query stopped: over the time budget"), **COMMON_ERRORS},
    }}
    card = {"type": "object", "required": ["id", "title", "confidence", "keyphrases", "summary"], "properties": {
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "keyphrases": {"type": "array", "items": {"type": "string"}}}}
    paths["/api/incidents({id})/suggestions"] = _suggestions(
        "Smart Assist: similar cases (resolved first) and relevant articles from the case's own words",
        "incident_suggestions", "No such case", card)
    paths["/api/incidents({id})/suggestions/feedback"] = {"post": {
        "summary": "Yes/No on one suggestion for this case (No hides it here and lowers it elsewhere)",
        "operationId": "incident_suggestion_feedback", "parameters": [ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["id", "kind", "useful"], "additionalProperties": False,
            "properties": {"id": {"type": "string", "format": "uuid"}, "kind": {"enum": ["case", "article"]},
                           "useful": {"type": "boolean"}}}}}},
        "responses": {"200": _json({"type": "object"}), "400": _error("Malformed"), "404": _error("No such case"),
                      "413": _error("Too large"), "415": _error("Not JSON"), "422": _error("Invalid field"),
                      **COMMON_ERRORS},
    }}
    message = {"type": "object", "additionalProperties": False, "properties": {
        "regardingobjectid": {"type": "string", "format": "uuid"}, "to": {"type": "string"},
        "subject": {"type": "string"}, "body": {"type": "string"}, "templateid": {"type": "string"}},
        "required": ["regardingobjectid", "to", "subject", "body"]}
    paths["/api/emails/compose"] = {"post": {
        "summary": "Fill an e-mail template's slugs from a case", "operationId": "email_compose",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["templateid", "regardingobjectid"], "additionalProperties": False,
            "properties": {"templateid": {"type": "string", "format": "uuid"},
                           "regardingobjectid": {"type": "string", "format": "uuid"},
                           "values": {"type": "object", "additionalProperties": {"type": "string"}}}}}}},
        "responses": {"200": _json({"type": "object", "required": ["to", "subject", "body", "unresolved"]}),
                      "400": _error("Malformed"), "404": _error("No such template or case"),
                      "413": _error("Too large"), "415": _error("Not JSON"), "422": _error("Invalid field"),
                      **COMMON_ERRORS},
    }}
    paths["/api/emails/send"] = {"post": {
        "summary": "Send (or, without --smtp-url, record in the outbox) and store as an e-mail activity on the case",
        "operationId": "email_send",
        "requestBody": {"required": True, "content": {"application/json": {"schema": message}}},
        "responses": {"201": _json({"type": "object", "required": ["transport", "email"]}, "Sent or recorded"),
                      "400": _error("Malformed"), "404": _error("No such case"), "413": _error("Too large"),
                      "415": _error("Not JSON"), "422": _error("Invalid field"),
                      "502": _error("The mail server refused"), **COMMON_ERRORS},
    }}
    body_errors = {"400": _error("Malformed"), "413": _error("Too large"), "415": _error("Not JSON"),
                   "422": _error("Invalid field")}
    article = {"type": "object", "required": ["id", "title", "views", "rating", "ratingcount"], "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "views": {"type": "integer"},
        "rating": {"type": "number", "nullable": True}, "ratingcount": {"type": "integer"}}}
    paths["/api/knowledge/search"] = {"get": {
        "summary": "Knowledge search: published articles matching every word, narrowed by product, keywords and "
                   "language (without q: the most viewed)", "operationId": "knowledge_search",
        "parameters": [{"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}},
                       {"name": "product", "in": "query", "schema": {"type": "string", "maxLength": 100}},
                       {"name": "keywords", "in": "query", "schema": {"type": "string", "maxLength": 200}},
                       {"name": "language", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{4,5}$"}},
                       {"name": "top", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50}}],
        "responses": {"200": _json({"type": "object", "required": ["value", "facets"], "properties": {
            "value": {"type": "array", "items": article},
            "facets": {"type": "object", "required": ["products", "languages"]}}}),
            "400": _error("Invalid query"), "503": _error("Query stopped: over the time budget"), **COMMON_ERRORS},
    }}
    paths["/api/knowledgearticles({id})/view"] = {"post": {
        "summary": "The agent opened the article: its view count + 1; answers it with its counts and my rating",
        "operationId": "knowledgearticle_view", "parameters": [ID],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "maxProperties": 0}}}},
        "responses": {"200": _json({**article, "required": [*article["required"], "content", "myrating"]}),
                      "404": _error("No such article"), **body_errors, **COMMON_ERRORS},
    }}
    paths["/api/knowledgearticles({id})/rating"] = {"put": {
        "summary": "My rating of the article (1-5; a new one replaces mine); answers the new average and count",
        "operationId": "knowledgearticle_rate", "parameters": [ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["rating"], "additionalProperties": False,
            "properties": {"rating": {"type": "integer", "minimum": 1, "maximum": 5}}}}}},
        "responses": {"200": _json(article), "404": _error("No such article"), **body_errors, **COMMON_ERRORS},
    }}
    _conversations(paths, body_errors)
    _other_services(paths, body_errors)
    me_schema = {"type": "object", "required": ["user", "roles", "profile", "settings", "csrfToken"]}
    paths["/api/me"] = {"get": {"summary": "The signed-in user", "operationId": "me",
                                "responses": {"200": _json(me_schema), **COMMON_ERRORS}}}
    key = {"name": "key", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 100}}
    paths["/api/me/settings/{key}"] = {
        "put": {"summary": "Set one of the signed-in user's settings (any JSON value)", "operationId": "put_setting",
                "parameters": [key], "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}},
                "responses": {"204": {"description": "Saved"}, "400": _error("No body"), "413": _error("Too large"),
                              "422": _error("Invalid key"), **COMMON_ERRORS}},
        "delete": {"summary": "Remove one of the signed-in user's settings", "operationId": "delete_setting",
                   "parameters": [key], "responses": {"204": {"description": "Removed"}, **COMMON_ERRORS}},
    }
    paths["/api/auth/login"] = {"post": {
        "summary": "Sign in (sets the session cookie)", "operationId": "login", "security": [],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["username", "password"], "additionalProperties": False,
            "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
        "responses": {"200": _json(me_schema), "400": _error("Malformed"), "401": _error("Wrong credentials"),
                      "422": _error("Invalid field"), "429": _error("Too many failed attempts")},
    }}
    paths["/api/auth/logout"] = {"post": {"summary": "Sign out", "operationId": "logout",
                                          "responses": {"204": {"description": "Signed out"}, **COMMON_ERRORS}}}
    paths["/api/health"] = {"get": {"summary": "Health", "operationId": "health", "security": [],
                                    "responses": {"200": _json({"type": "object"})}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Casework API", "version": __version__,
                 "description": f"Session cookie {SESSION_COOKIE}; writes need the {CSRF_HEADER} header. Push "
                                f"(WebSockets, not described here): /api/push?after=<event id> (agents, session "
                                f"cookie) and /api/chat/push?token=<chat token>&after=<event id> (the customer)."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
            "chatToken": {"type": "http", "scheme": "bearer", "description": "The live chat's token from "
                          "/api/chat/start"}}},
        "security": [{"session": []}],
    }


def openapi(call: Call) -> Response:
    """``GET /api/openapi.json``."""
    return JSONResponse(build_document(), headers={"Cache-Control": "no-cache"})


routes = [Route("/api/openapi.json", endpoint(openapi), methods=["GET"])]
