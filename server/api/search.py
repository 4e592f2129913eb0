"""``GET /api/search?q=...&entities=incident,account,contact,knowledgearticle&top=10``: relevance-ranked hits with
snippets as text segments (``[{"text", "match"}]``), never HTML, and ``details``: the facts that tell hits apart
(``server.db.search_details``)."""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import Route

from server.api.common import Call, FastJSONResponse, budgeted, endpoint
from server.db.search import SOURCES, engine_for
from server.db.search_details import hit_details
from server.errors import ApiError

MAX_TOP = 50
MAX_QUERY = 200


def search(call: Call) -> Response:
    """Search records; ``q`` is words (prefix-matched, all required), ``entities`` a comma list, ``top`` 1-50."""
    q = call.query.get("q", "")
    if not q.strip() or len(q) > MAX_QUERY:
        raise ApiError(400, "invalid_query", f"q is required (1-{MAX_QUERY} characters).", {"field": "q"})
    requested = call.query.get("entities", ",".join(SOURCES))
    entities = [name.strip() for name in requested.split(",") if name.strip()]
    unknown = [name for name in entities if name not in SOURCES]
    if unknown or not entities:
        raise ApiError(400, "invalid_query", f"Unknown entity {unknown[0] if unknown else ''!r} in entities.",
                       {"field": "entities", "known": list(SOURCES)})
    top_text = call.query.get("top", "10")
    if not re.fullmatch(r"[0-9]{1,3}", top_text) or not 1 <= int(top_text) <= MAX_TOP:  # isdigit() takes "²"
        raise ApiError(400, "invalid_query", f"top must be 1-{MAX_TOP}.", {"field": "top"})
    database = call.database
    with database.engine.connect() as conn, budgeted(database, conn):
        hits = engine_for(database.dialect).search(conn, q, list(dict.fromkeys(entities)), int(top_text))
        details = hit_details(conn, hits)
    return FastJSONResponse({"value": [
        {"entity": h.entity, "id": h.id, "title": h.title, "score": round(h.score, 6), "snippet": h.snippet,
         "details": details.get((h.entity, h.id), {})}
        for h in hits
    ]}, headers={"Cache-Control": "no-store"})


routes = [Route("/api/search", endpoint(search), methods=["GET"])]
