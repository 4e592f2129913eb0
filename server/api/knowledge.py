"""Knowledge search for agents (the ``msdyn_omnichannel_kbsearch`` tab and the pane's knowledge tool), the
article view's counter and ratings.

* ``GET /api/knowledge/search?q=&product=&keywords=&language=&top=``: published articles matching every word of
  ``q`` (the full-text engine's relevance order; without ``q``: the most viewed), narrowed to a product (exact,
  any case), to articles whose keywords hold every given keyword (comma-separated), and to a language code
  (1033...). Answers ``{"value": [...], "facets": {"products", "languages"}}``; each item has ``id``, ``title``,
  ``articlepublicnumber``, ``productname``, ``keywords``, ``languagecode``, ``views``, ``rating``,
  ``ratingcount``, ``summary``.
* ``POST /api/knowledgearticles(<id>)/view``: the agent opened it: views + 1; answers the article with its counts
  and the agent's own rating.
* ``PUT /api/knowledgearticles(<id>)/rating`` ``{"rating": 1-5}``: one rating per agent and article (a new one
  replaces the old); answers the new average and count.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from starlette.responses import Response
from starlette.routing import Route

from server.api.common import Call, FastJSONResponse, budgeted, endpoint, utcnow
from server.api.odata import GUID
from server.db import schema
from server.db.search import engine_for
from server.errors import ApiError
from server.suggest import summary_of

A, R = schema.knowledgearticles, schema.knowledgearticleratings
PUBLISHED = 3
MAX_TOP = 50
RETRIEVE = 200  # full-text hits read before the filters narrow them (the filters are exact, the order is the engine's)


def _bad(field: str, message: str) -> ApiError:
    return ApiError(400, "invalid_query", message, {"field": field})


def _ratings(conn, ids: list[str]) -> dict[str, tuple[float, int]]:
    if not ids:
        return {}
    rows = conn.execute(select(R.c.knowledgearticleid, func.avg(R.c.rating), func.count())
                        .where(R.c.knowledgearticleid.in_(ids)).group_by(R.c.knowledgearticleid)).all()
    return {row[0]: (round(float(row[1]), 2), int(row[2])) for row in rows}


def article_counts(conn, ids: list[str]) -> dict[str, dict]:
    """Each article's ``views``, ``rating`` (the average, ``None`` when unrated) and ``ratingcount`` (for Smart
    Assist's article cards)."""
    if not ids:
        return {}
    ratings = _ratings(conn, ids)
    rows = conn.execute(select(A.c.knowledgearticleid, A.c.knowledgearticleviews)
                        .where(A.c.knowledgearticleid.in_(ids))).all()
    out = {}
    for article_id, views in rows:
        rating, count = ratings.get(article_id, (None, 0))
        out[article_id] = {"views": views or 0, "rating": rating, "ratingcount": count}
    return out


def _item(row, ratings: dict[str, tuple[float, int]]) -> dict:
    rating, count = ratings.get(row.knowledgearticleid, (None, 0))
    return {"id": row.knowledgearticleid, "title": row.title, "articlepublicnumber": row.articlepublicnumber,
            "productname": row.productname, "keywords": row.keywords, "languagecode": row.languagecode,
            "views": row.knowledgearticleviews, "rating": rating, "ratingcount": count,
            "summary": summary_of(row.content)}


def search(call: Call) -> Response:
    q = call.query.get("q", "").strip()
    if len(q) > 200:
        raise _bad("q", "q is at most 200 characters.")
    product = call.query.get("product", "").strip()
    keywords = [k.strip().lower() for k in call.query.get("keywords", "").split(",") if k.strip()]
    language = call.query.get("language", "").strip()
    if language and not re.fullmatch(r"[0-9]{4,5}", language):
        raise _bad("language", "language is a language code such as 1033.")
    top_text = call.query.get("top", "10")
    if not re.fullmatch(r"[0-9]{1,2}", top_text) or not 1 <= int(top_text) <= MAX_TOP:
        raise _bad("top", f"top must be 1-{MAX_TOP}.")
    top = int(top_text)
    where = [A.c.statecode == PUBLISHED]
    if product:
        where.append(func.lower(A.c.productname) == product.lower())
    for keyword in keywords[:10]:
        escaped = keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(func.lower(A.c.keywords).like(f"%{escaped}%", escape="\\"))
    if language:
        where.append(A.c.languagecode == int(language))
    database = call.database
    with database.engine.connect() as conn, budgeted(database, conn):
        if q:
            hits = engine_for(database.dialect).search(conn, q, ["knowledgearticle"], RETRIEVE)
            order = {hit.id: index for index, hit in enumerate(hits)}
            rows = conn.execute(select(A).where(A.c.knowledgearticleid.in_(list(order)), *where)).all() \
                if order else []
            rows = sorted(rows, key=lambda r: order[r.knowledgearticleid])[:top]
        else:
            rows = conn.execute(select(A).where(*where).order_by(A.c.knowledgearticleviews.desc(),
                                                                 A.c.knowledgearticleid).limit(top)).all()
        ratings = _ratings(conn, [r.knowledgearticleid for r in rows])
        products = conn.execute(select(A.c.productname).where(A.c.statecode == PUBLISHED,
                                                              A.c.productname.is_not(None))
                                .distinct().order_by(A.c.productname)).scalars().all()
        languages = conn.execute(select(A.c.languagecode).where(A.c.statecode == PUBLISHED).distinct()
                                 .order_by(A.c.languagecode)).scalars().all()
    return FastJSONResponse({"value": [_item(r, ratings) for r in rows],
                             "facets": {"products": products, "languages": languages}},
                            headers={"Cache-Control": "no-store"})


def _article_id(call: Call) -> str:
    value = call.path["id"].strip("'").lower()
    if not GUID.fullmatch(value):
        raise ApiError(400, "invalid_id", "A record id is a GUID.", {"field": "id", "value": call.path["id"][:60]})
    return value


def _answer(conn, call: Call, article_id: str) -> dict:
    row = conn.execute(select(A).where(A.c.knowledgearticleid == article_id)).first()
    if row is None:
        raise ApiError(404, "not_found", f"No knowledge article with id {article_id}.", {"id": article_id})
    mine = conn.execute(select(R.c.rating).where(R.c.knowledgearticleid == article_id,
                                                 R.c.systemuserid == call.user.id)).scalar_one_or_none()
    return {**_item(row, _ratings(conn, [article_id])), "content": row.content, "myrating": mine}


def view(call: Call) -> Response:
    article_id = _article_id(call)
    with call.database.engine.begin() as conn:
        conn.execute(update(A).where(A.c.knowledgearticleid == article_id).values(
            knowledgearticleviews=A.c.knowledgearticleviews + 1))
        return FastJSONResponse(_answer(conn, call, article_id), headers={"Cache-Control": "no-store"})


def rate(call: Call) -> Response:
    article_id = _article_id(call)
    body = call.body
    rating = body.get("rating") if isinstance(body, dict) else None
    if not isinstance(body, dict) or set(body) - {"rating"}:
        raise ApiError(400, "invalid_body", "Send {\"rating\": 1-5}.", {"field": None})
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ApiError(422, "validation_failed", "rating is a whole number from 1 to 5.",
                       {"field": "rating", "reason": "range"})
    with call.database.engine.begin() as conn:
        if conn.execute(select(A.c.knowledgearticleid).where(A.c.knowledgearticleid == article_id)).first() is None:
            raise ApiError(404, "not_found", f"No knowledge article with id {article_id}.", {"id": article_id})
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(dialect.insert(R).values(knowledgearticleid=article_id, systemuserid=call.user.id,
                                              rating=rating, modifiedon=utcnow())
                     .on_conflict_do_update(index_elements=[R.c.knowledgearticleid, R.c.systemuserid],
                                            set_={"rating": rating, "modifiedon": utcnow()}))
        return FastJSONResponse(_answer(conn, call, article_id))


routes = [
    Route("/api/knowledge/search", endpoint(search), methods=["GET"]),
    Route("/api/knowledgearticles({id})/view", endpoint(view, body=True), methods=["POST"]),
    Route("/api/knowledgearticles({id})/rating", endpoint(rate, body=True), methods=["PUT"]),
]
