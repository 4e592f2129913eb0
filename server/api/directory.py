"""Cards for people and queues, which have no record form: ``GET /api/systemusers(<id>)/card`` (name, roles,
e-mail, open cases) and ``GET /api/queues(<id>)/card`` (members and the items waiting in it). Any signed-in user
reads them (agents see every case and queue anyway); a small, fixed amount of work each.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from starlette.responses import Response
from starlette.routing import Route

from server.api.common import Call, FastJSONResponse, endpoint
from server.api.odata import GUID
from server.api.records import _utc_text
from server.db import schema
from server.errors import ApiError

QUEUE_ITEMS_SHOWN = 50


def _id(call: Call) -> str:
    record_id = call.path["id"].strip("'").lower()
    if not GUID.fullmatch(record_id):
        raise ApiError(400, "invalid_id", "A record id is a GUID.", {"field": "id", "value": call.path["id"][:60]})
    return record_id


def _text(value: object) -> object:
    return _utc_text(value) if isinstance(value, dt.datetime) else value


def user_card(call: Call) -> Response:
    """``{"systemuserid", "fullname", "domainname", "internalemailaddress", "isdisabled", "roles", "openCases",
    "queues": [{"queueid", "name"}]}``."""
    call.require("agent", "supervisor", "admin")
    user_id = _id(call)
    users, incidents = schema.systemusers, schema.incidents
    with call.database.engine.connect() as conn:
        user = conn.execute(select(users.c.systemuserid, users.c.fullname, users.c.domainname,
                                   users.c.internalemailaddress, users.c.isdisabled)
                            .where(users.c.systemuserid == user_id)).mappings().first()
        if user is None:
            raise ApiError(404, "not_found", f"No user with id {user_id}.", {"id": user_id})
        roles = conn.execute(select(schema.userroles.c.role).where(schema.userroles.c.systemuserid == user_id)
                             .order_by(schema.userroles.c.role)).scalars().all()
        open_cases = conn.execute(select(func.count()).select_from(incidents).where(
            incidents.c.ownerid == user_id, incidents.c.statecode == 0)).scalar_one()
        queues = conn.execute(select(schema.queues.c.queueid, schema.queues.c.name)
                              .join(schema.queuemembers, schema.queuemembers.c.queueid == schema.queues.c.queueid)
                              .where(schema.queuemembers.c.systemuserid == user_id)
                              .order_by(schema.queues.c.name)).mappings().all()
    return FastJSONResponse({**user, "isdisabled": bool(user["isdisabled"]), "roles": list(roles),
                             "openCases": open_cases, "queues": [dict(q) for q in queues]},
                            headers={"Cache-Control": "no-store"})


def queue_card(call: Call) -> Response:
    """``{"queueid", "name", "description", "members": [{"systemuserid", "fullname"}], "itemCount",
    "items": [{"queueitemid", "objectid", "title", "workerid", "enteredon"}]}`` (the oldest items first)."""
    call.require("agent", "supervisor", "admin")
    queue_id = _id(call)
    queues, members, users, items = schema.queues, schema.queuemembers, schema.systemusers, schema.queueitems
    with call.database.engine.connect() as conn:
        queue = conn.execute(select(queues.c.queueid, queues.c.name, queues.c.description)
                             .where(queues.c.queueid == queue_id)).mappings().first()
        if queue is None:
            raise ApiError(404, "not_found", f"No queue with id {queue_id}.", {"id": queue_id})
        people = conn.execute(select(users.c.systemuserid, users.c.fullname)
                              .join(members, members.c.systemuserid == users.c.systemuserid)
                              .where(members.c.queueid == queue_id).order_by(users.c.fullname)).mappings().all()
        count = conn.execute(select(func.count()).select_from(items).where(items.c.queueid == queue_id)).scalar_one()
        waiting = conn.execute(select(items.c.queueitemid, items.c.objectid, items.c.title, items.c.workerid,
                                      items.c.enteredon).where(items.c.queueid == queue_id)
                               .order_by(items.c.enteredon.asc(), items.c.queueitemid.asc())
                               .limit(QUEUE_ITEMS_SHOWN)).mappings().all()
    return FastJSONResponse({**queue, "members": [dict(p) for p in people], "itemCount": count,
                             "items": [{k: _text(v) for k, v in row.items()} for row in waiting]},
                            headers={"Cache-Control": "no-store"})


routes = [
    Route("/api/systemusers({id})/card", endpoint(user_card), methods=["GET"]),
    Route("/api/queues({id})/card", endpoint(queue_card), methods=["GET"]),
]
