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
    paths["/api/incidents({id})/suggestions"] = {"get": {
        "summary": "Smart Assist: similar cases (resolved first) and relevant articles from the case's own words",
        "operationId": "incident_suggestions",
        "parameters": [ID, {"name": "top", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10}},
                       {"name": "articles", "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 10}}],
        "responses": {"200": _json({"type": "object", "required": ["cases", "articles"], "properties": {
            "cases": {"type": "array", "items": card}, "articles": {"type": "array", "items": card}}}),
            "400": _error("Malformed"), "404": _error("No such case"),
            "503": _error("Query stopped: over the time budget"), **COMMON_ERRORS},
    }}
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
    uuid = {"type": "string", "format": "uuid"}
    conversation_bodies = {
        "case": ("Make a case from the conversation (title, transcript, contact, origin) and link it, or link the "
                 "existing case incidentid", {"type": "object", "additionalProperties": False, "properties": {
                     "title": {"type": "string", "minLength": 1, "maxLength": 300}, "incidentid": uuid}}),
        "transfer": ("Transfer the conversation to a queue and/or an agent", {
            "type": "object", "additionalProperties": False, "minProperties": 1,
            "properties": {"queueid": uuid, "agentid": uuid}}),
        "release": ("Release the conversation back to its queue", {"type": "object", "maxProperties": 0}),
        "reopen": ("Reopen a closed conversation", {"type": "object", "maxProperties": 0}),
    }
    for action, (summary, schema) in conversation_bodies.items():
        responses = {"200": _json({"type": "object"}), "404": _error("No such conversation"),
                     "409": _error("Not in a state that allows this"), "503": _error("Unavailable"),
                     **body_errors, **COMMON_ERRORS}
        if action == "case":
            responses["201"] = _json({"type": "object", "required": ["conversation", "incident"]}, "Case created")
        paths[f"/api/conversations({{id}})/{action}"] = {"post": {
            "summary": summary, "operationId": f"conversation_{action}", "parameters": [ID],
            "requestBody": {"content": {"application/json": {"schema": schema}}}, "responses": responses}}
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
                 "description": f"Session cookie {SESSION_COOKIE}; writes need the {CSRF_HEADER} header."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE}}},
        "security": [{"session": []}],
    }


def openapi(call: Call) -> Response:
    """``GET /api/openapi.json``."""
    return JSONResponse(build_document(), headers={"Cache-Control": "no-cache"})


routes = [Route("/api/openapi.json", endpoint(openapi), methods=["GET"])]
