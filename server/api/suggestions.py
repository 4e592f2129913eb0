"""Smart Assist over HTTP: ``GET /api/incidents(<id>)/suggestions`` and ``POST .../suggestions/feedback``.

The answer is ``{"cases": [...], "articles": [...]}`` (ranking in ``server.suggest``). A *source* is what a
suggestion is for: a case, or a conversation (``GET /api/conversations(<id>)/suggestions``: its newest messages,
the reference's window of 18), through :data:`SOURCES`, with no change to the ranking or the feedback.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from starlette.responses import Response
from starlette.routing import Route

from server.api.common import Call, FastJSONResponse, budgeted, endpoint, utcnow
from server.api.entities import ENTITY_SETS
from server.api.knowledge import article_counts
from server.api.odata import GUID
from server.db import schema
from server.db.search import engine_for
from server.errors import ApiError
from server.suggest import BODY_WEIGHT, TITLE_WEIGHT, Ranker, Votes

NOTES_READ = 20  # the newest notes of a case that take part (older ones rarely change what it is about)
KINDS = ("case", "article")


def case_source(conn: Connection, case_id: str) -> list[tuple[str | None, float]] | None:
    """A case's own words: title, description and its newest notes (``None``: no such case)."""
    row = conn.execute(select(schema.incidents.c.title, schema.incidents.c.description)
                       .where(schema.incidents.c.incidentid == case_id)).first()
    if row is None:
        return None
    notes = conn.execute(select(schema.annotations.c.notetext).where(schema.annotations.c.objectid == case_id)
                         .order_by(schema.annotations.c.createdon.desc()).limit(NOTES_READ)).scalars().all()
    return [(row.title, TITLE_WEIGHT), (row.description, BODY_WEIGHT), *((n, BODY_WEIGHT) for n in notes)]


MESSAGES_READ = 18  # the reference's Smart Assist reads a conversation's newest messages in this window


def conversation_source(conn: Connection, conversation_id: str) -> list[tuple[str | None, float]] | None:
    """A conversation's words: its title (the customer's first line) and its newest messages, the customer's and
    the agent's alike (both say what it is about); ``None``: no such conversation."""
    c, m = schema.conversations, schema.conversationmessages
    title = conn.execute(select(c.c.title).where(c.c.conversationid == conversation_id)).first()
    if title is None:
        return None
    texts = conn.execute(select(m.c.text).where(m.c.conversationid == conversation_id, m.c.sendertype != "system")
                         .order_by(m.c.sequence.desc()).limit(MESSAGES_READ)).scalars().all()
    return [(title.title, TITLE_WEIGHT), *((t, BODY_WEIGHT) for t in texts)]


# Entity set -> (entity name, reader of its words).
SOURCES: dict[str, tuple[str, Callable[[Connection, str], list[tuple[str | None, float]] | None]]] = {
    "incidents": ("incident", case_source),
    "conversations": ("conversation", conversation_source),
}


def _hidden(call: Call, conn: Connection, entity_set: str, source_id: str) -> bool:
    """Whether the row scope of the entity set (conversations: the agent's own, offered and queues') hides it."""
    scope = ENTITY_SETS[entity_set].scope
    if scope is None:
        return False
    table = ENTITY_SETS[entity_set].table
    key = table.c[ENTITY_SETS[entity_set].key]
    return conn.execute(select(key).where(key == source_id, *scope(call.user))).first() is None


def _ranker(call: Call) -> Ranker:
    state = call.request.app.state
    ranker = getattr(state, "ranker", None)
    if ranker is None:
        ranker = state.ranker = Ranker(engine_for(call.database.dialect))
    return ranker


def _source_id(call: Call) -> str:
    record_id = call.path["id"].strip("'").lower()
    if not GUID.fullmatch(record_id):
        raise ApiError(400, "invalid_id", "A record id is a GUID.", {"field": "id", "value": call.path["id"][:60]})
    return record_id


def _votes_loader(source_id: str):
    def votes_of(conn: Connection, kind: str, ids: list[str]) -> dict[str, Votes]:
        if not ids:
            return {}
        fb = schema.suggestionfeedback
        rows = conn.execute(
            select(fb.c.suggestionid, func.sum(case((fb.c.useful, 1), else_=0)),
                   func.sum(case((fb.c.useful, 0), else_=1)),
                   func.max(case((fb.c.regardingid == source_id, case((fb.c.useful, 2), else_=1)), else_=0)))
            .where(fb.c.kind == kind, fb.c.suggestionid.in_(ids)).group_by(fb.c.suggestionid)).all()
        return {sid: Votes({0: None, 1: False, 2: True}[here], int(yes), int(no)) for sid, yes, no, here in rows}
    return votes_of


def suggestions(call: Call) -> Response:
    """Similar cases and relevant articles for the record; ``top`` (1-10) cases, ``articles`` (1-10) articles."""
    entity, read = SOURCES[call.path["entityset"]]
    source_id = _source_id(call)
    tops = []
    for name, default in (("top", 5), ("articles", 3)):
        value = call.query.get(name, str(default))
        if not value.isdigit() or not 1 <= int(value) <= 10:
            raise ApiError(400, "invalid_query", f"{name} must be 1-10.", {"field": name})
        tops.append(int(value))
    database = call.database
    with database.engine.connect() as conn, budgeted(database, conn):
        source = None if _hidden(call, conn, call.path["entityset"], source_id) else read(conn, source_id)
        if source is None:
            raise ApiError(404, "not_found", f"No {entity} with id {source_id}.", {"id": source_id})
        found = _ranker(call).suggest(conn, source, exclude=source_id, votes=_votes_loader(source_id),
                                      top_cases=tops[0], top_articles=tops[1])
        answer = {kind: [s.to_json() for s in items] for kind, items in found.items()}
        counts = article_counts(conn, [a["id"] for a in answer.get("articles", [])])
    for article in answer.get("articles", []):
        article.update(counts.get(article["id"], {"views": 0, "rating": None, "ratingcount": 0}))
    return FastJSONResponse(answer, headers={"Cache-Control": "no-store"})


def feedback(call: Call) -> Response:
    """Store the agent's Yes/No on one suggestion for this record (a later verdict replaces the earlier one)."""
    entity, read = SOURCES[call.path["entityset"]]
    source_id = _source_id(call)
    body = call.body
    if not isinstance(body, dict) or set(body) - {"id", "kind", "useful"}:
        raise ApiError(400, "invalid_body", "Send {id, kind, useful}.", {"field": None})
    suggestion_id, kind, useful = body.get("id"), body.get("kind"), body.get("useful")
    if not isinstance(suggestion_id, str) or not GUID.fullmatch(suggestion_id.lower()):
        raise ApiError(422, "validation_failed", "id must be the suggestion's GUID.", {"field": "id",
                                                                                     "reason": "format"})
    if kind not in KINDS:
        raise ApiError(422, "validation_failed", f"kind must be one of {list(KINDS)}.",
                       {"field": "kind", "reason": "choice", "allowed": list(KINDS)})
    if not isinstance(useful, bool):
        raise ApiError(422, "validation_failed", "useful must be true or false.", {"field": "useful",
                                                                                   "reason": "type"})
    row = {"regardingid": source_id, "kind": kind, "suggestionid": suggestion_id.lower(), "useful": useful,
           "systemuserid": call.user.id, "createdon": utcnow()}
    fb = schema.suggestionfeedback
    with call.database.engine.begin() as conn:
        if _hidden(call, conn, call.path["entityset"], source_id) or read(conn, source_id) is None:
            raise ApiError(404, "not_found", f"No {entity} with id {source_id}.", {"id": source_id})
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(fb).values(**row)
        conn.execute(statement.on_conflict_do_update(
            index_elements=[fb.c.regardingid, fb.c.kind, fb.c.suggestionid],
            set_={"useful": useful, "systemuserid": call.user.id, "createdon": row["createdon"]}))
    return FastJSONResponse({"id": row["suggestionid"], "kind": kind, "useful": useful}, status_code=200)


routes = [
    route
    for name in SOURCES
    for route in (
        Route(f"/api/{name}({{id}})/suggestions", endpoint(suggestions, path={"entityset": name}), methods=["GET"]),
        Route(f"/api/{name}({{id}})/suggestions/feedback", endpoint(feedback, body=True, path={"entityset": name}),
              methods=["POST"]),
    )
]
