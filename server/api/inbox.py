"""The inbox: the signed-in agent's cases, conversations and activities as six views, with counts, unread counts,
All/Unread/Read filters and sort; read state per agent (table ``inboxreads``, migration 6).

- ``GET /api/inbox``: every view's ``{id, name, count, unread}``, plus the agent's queue ids (the page needs them
  to place pushed conversations by the same rules).
- ``GET /api/inbox/<view>?filter=all|unread|read&sort=date|customer&order=desc|asc``: the view's items
  (``casework.inbox`` item dicts) with its counts.
- ``POST /api/inbox/read`` ``{"items": [{"kind", "id"}], "read": true|false}``: mark items read (up to now and,
  for conversations, their last message) or unread; logs ``inbox.read`` on the agent's ``user:<id>`` topic, so
  their other tabs and browsers apply the marks live.

Each view is one SQL query bounded by :data:`MAX_ITEMS`; the rows become items and ``casework.inbox.arrange``
filters and sorts them, the same function the page runs on pushed changes (loaded by path: the server does not put
the page's packages on its import path).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection
from starlette.responses import Response
from starlette.routing import Route

from server import page_modules
from server.api.auth import effective_profile
from server.api.common import Call, FastJSONResponse, endpoint, utcnow
from server.conversations.events import emit
from server.db import schema
from server.errors import ApiError

inbox = page_modules.load("casework/inbox.py")  # the page arranges its views with it too
MAX_ITEMS = 1000  # per view; the reference's views are work lists, not archives
RESOLVED_DAYS = 30  # Resolved conversations: closed in the last 30 days
ACTIVITY_KINDS = ("task", "phonecall", "appointment")
KINDS = ("case", "conversation", "activity", "email")
MAX_MARKS = 200

C, M, INC, A = schema.conversations, schema.conversationmessages, schema.incidents, schema.activities
R = schema.inboxreads


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _read_join(kind: str, user_id: str, id_column):
    return R.c.systemuserid == user_id, R.c.itemkind == kind, R.c.itemid == id_column


def queue_ids(conn: Connection, user_id: str) -> list[str]:
    q = schema.queuemembers
    return list(conn.execute(select(q.c.queueid).where(q.c.systemuserid == user_id)).scalars())


def _conversation_rows(conn: Connection, user_id: str, view: str, queues: list[str], now: dt.datetime) -> list[dict]:
    last_text = (select(M.c.text).where(M.c.conversationid == C.c.conversationid)
                 .order_by(M.c.sequence.desc()).limit(1).scalar_subquery())
    unread = (select(func.count()).select_from(M).where(
        M.c.conversationid == C.c.conversationid, M.c.sendertype == "customer",
        M.c.sequence > func.coalesce(R.c.readsequence, 0)).scalar_subquery())
    if view == "assigned":
        where = [C.c.ownerid == user_id, C.c.statuscode.in_(sorted(inbox.ASSIGNED_STATUSES))]
    elif view == "unassigned":
        if not queues:
            return []
        where = [C.c.ownerid.is_(None), C.c.statuscode == inbox.OPEN, C.c.queueid.in_(queues)]
    else:  # resolved
        where = [C.c.ownerid == user_id, C.c.statuscode == inbox.CLOSED,
                 C.c.closedon >= now - dt.timedelta(days=RESOLVED_DAYS)]
    query = (select(C, last_text.label("preview"), unread.label("unreadcount"))
             .select_from(C.outerjoin(R, and_(*_read_join("conversation", user_id, C.c.conversationid))))
             .where(*where).order_by(func.coalesce(C.c.lastmessageon, C.c.createdon).desc()).limit(MAX_ITEMS))
    items = []
    for row in conn.execute(query).mappings():
        item = inbox.conversation_item({**row, "createdon": _iso(row["createdon"]),
                                        "lastmessageon": _iso(row["lastmessageon"]),
                                        "modifiedon": _iso(row["modifiedon"])},
                                       preview=row["preview"] or "", unread=int(row["unreadcount"] or 0))
        item["view"] = view
        item["lastsequence"] = row["lastsequence"]
        items.append(item)
    return items


def _customer_name():
    accounts, contacts = schema.accounts, schema.contacts
    return func.coalesce(
        select(accounts.c.name).where(accounts.c.accountid == INC.c.customerid).scalar_subquery(),
        select(contacts.c.fullname).where(contacts.c.contactid == INC.c.customerid).scalar_subquery(), "")


def _case_rows(conn: Connection, user_id: str) -> list[dict]:
    unread = case((R.c.readon.is_(None), 1), (R.c.readon < INC.c.modifiedon, 1), else_=0)
    query = (select(INC.c.incidentid, INC.c.ticketnumber, INC.c.title, INC.c.caseorigincode, INC.c.statecode,
                    INC.c.ownerid, INC.c.queueid, INC.c.prioritycode, INC.c.createdon, INC.c.modifiedon,
                    INC.c.description,
                    _customer_name().label("customer"), unread.label("unread"))
             .select_from(INC.outerjoin(R, and_(*_read_join("case", user_id, INC.c.incidentid))))
             .where(INC.c.ownerid == user_id, INC.c.statecode == 0)
             .order_by(INC.c.modifiedon.desc()).limit(MAX_ITEMS))
    return [{"key": f"case:{r['incidentid']}", "kind": "case", "id": r["incidentid"], "view": "cases",
             "customer": r["customer"] or "", "channel": r["caseorigincode"] or "", "subject": r["title"],
             "preview": f"{r['ticketnumber']} · {(r['description'] or '')[:140]}", "time": _iso(r["modifiedon"]),
             "since": _iso(r["createdon"]), "unread": int(r["unread"]), "live": False, "statecode": r["statecode"],
             "ownerid": r["ownerid"], "queueid": r["queueid"], "priority": r["prioritycode"],
             "ticketnumber": r["ticketnumber"]} for r in conn.execute(query).mappings()]


def _activity_rows(conn: Connection, user_id: str, view: str) -> list[dict]:
    kind = "email" if view == "email" else "activity"
    types = ("email",) if view == "email" else ACTIVITY_KINDS
    unread = case((R.c.readon.is_(None), 1), (R.c.readon < A.c.modifiedon, 1), else_=0)
    query = (select(A.c.activityid, A.c.activitytypecode, A.c.subject, A.c.description, A.c.sender,
                    A.c.phonenumber, A.c.statecode, A.c.ownerid, A.c.scheduledend, A.c.createdon, A.c.modifiedon,
                    A.c.regardingobjectid, unread.label("unread"))
             .select_from(A.outerjoin(R, and_(*_read_join(kind, user_id, A.c.activityid))))
             .where(A.c.ownerid == user_id, A.c.statecode == 0, A.c.activitytypecode.in_(types))
             .order_by(A.c.modifiedon.desc()).limit(MAX_ITEMS))
    return [{"key": f"{kind}:{r['activityid']}", "kind": kind, "id": r["activityid"], "view": view,
             "customer": (r["sender"] or "").split(" <")[0] or r["phonenumber"] or "",
             "channel": r["activitytypecode"], "subject": r["subject"], "preview": (r["description"] or "")[:160],
             "time": _iso(r["modifiedon"]), "since": _iso(r["createdon"]), "due": _iso(r["scheduledend"]),
             "unread": int(r["unread"]), "live": False, "statecode": r["statecode"], "ownerid": r["ownerid"],
             "activitytype": r["activitytypecode"], "regardingid": r["regardingobjectid"]}
            for r in conn.execute(query).mappings()]


def view_items(conn: Connection, user_id: str, view: str, queues: list[str] | None = None,
               now: dt.datetime | None = None) -> list[dict]:
    """The view's items for ``user_id``, unfiltered and unsorted beyond the query's bound (newest first)."""
    if view == "cases":
        return _case_rows(conn, user_id)
    if view in ("activities", "email"):
        return _activity_rows(conn, user_id, view)
    return _conversation_rows(conn, user_id, view, queues if queues is not None else queue_ids(conn, user_id),
                              now or utcnow())


def _view(call: Call) -> str:
    view = call.path["view"]
    if view not in inbox.VIEW_IDS:
        raise ApiError(404, "not_found", f"No inbox view {view!r}.", {"views": list(inbox.VIEW_IDS)})
    return view


def _query(call: Call):
    unknown = sorted(set(call.query) - {"filter", "sort", "order"})
    if unknown:
        raise ApiError(400, "invalid_query", f"Unknown query parameter {unknown[0]!r}.",
                       {"parameter": unknown[0], "allowed": ["filter", "sort", "order"]})
    try:
        return inbox.Query.parse(call.query)
    except inbox.InboxQueryError as exc:
        raise ApiError(400, "invalid_query", str(exc), {"parameter": exc.field, "allowed": list(exc.choices)}) \
            from None


def get_inbox(call: Call) -> Response:
    """``GET /api/inbox``: the views of the user's profile (``inboxViews``, in its order; all when it names none)
    with their counts and unread counts. Other views stay readable by id: the profile chooses what the inbox shows,
    not what the user may see."""
    user = call.require("agent", "supervisor", "admin")
    now = utcnow()
    with call.database.engine.connect() as conn:
        queues = queue_ids(conn, user.id)
        profile = effective_profile(conn, user)
        views = []
        for view in inbox.profile_views(profile["settings"] if profile else None):
            views.append({"id": view, "name": inbox.VIEW_NAMES[view],
                          **inbox.counts(view_items(conn, user.id, view, queues, now))})
    return FastJSONResponse({"views": views, "queues": queues}, headers={"Cache-Control": "no-store"})


def get_view(call: Call) -> Response:
    """``GET /api/inbox/<view>``: the view's items filtered and sorted, with the view's counts (unfiltered)."""
    user = call.require("agent", "supervisor", "admin")
    view, query = _view(call), _query(call)
    with call.database.engine.connect() as conn:
        items = view_items(conn, user.id, view)
    return FastJSONResponse({"view": view, "name": inbox.VIEW_NAMES[view], **query.as_params(),
                             **inbox.counts(items), "items": inbox.arrange(items, query)},
                            headers={"Cache-Control": "no-store"})


def _marks(body: Any) -> tuple[list[tuple[str, str]], bool]:
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "The body must be a JSON object.", {"field": None})
    read, items = body.get("read", True), body.get("items")
    if not isinstance(read, bool):
        raise ApiError(422, "validation_failed", "read is true or false.", {"field": "read", "reason": "type"})
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_MARKS:
        raise ApiError(422, "validation_failed", f"items is a list of 1 to {MAX_MARKS} {{kind, id}}.",
                       {"field": "items", "reason": "size"})
    marks = []
    for index, entry in enumerate(items):
        if not isinstance(entry, dict) or entry.get("kind") not in KINDS or not isinstance(entry.get("id"), str) \
                or not 1 <= len(entry["id"]) <= 36:
            raise ApiError(422, "validation_failed", f"items[{index}] is {{\"kind\": one of {', '.join(KINDS)}, "
                           "\"id\": a record id}.", {"field": f"items[{index}]", "reason": "format"})
        marks.append((entry["kind"], entry["id"].lower()))
    return marks, read


def post_read(call: Call) -> Response:
    """``POST /api/inbox/read``: mark items read (now, and a conversation up to its last message) or unread."""
    user = call.require("agent", "supervisor", "admin")
    marks, read = _marks(call.body)
    now = utcnow()
    with call.database.engine.begin() as conn:
        for kind, item_id in marks:
            conn.execute(R.delete().where(R.c.systemuserid == user.id, R.c.itemkind == kind, R.c.itemid == item_id))
            if read:
                sequence = 0
                if kind == "conversation":
                    sequence = conn.execute(select(C.c.lastsequence).where(C.c.conversationid == item_id)) \
                        .scalar_one_or_none() or 0
                conn.execute(R.insert().values(systemuserid=user.id, itemkind=kind, itemid=item_id, readon=now,
                                               readsequence=sequence))
        # The agent's other tabs and browsers follow the marks live (last in the transaction: see emit).
        emit(conn, [f"user:{user.id}"], "inbox.read", {"read": read, "items": [{"kind": k, "id": i}
                                                                               for k, i in marks]})
    hub = getattr(call.request.app.state, "hub", None)
    if hub is not None:
        hub.notify({f"user:{user.id}"})
    return FastJSONResponse({"read": read, "items": [{"kind": k, "id": i} for k, i in marks]})


routes = [
    Route("/api/inbox", endpoint(get_inbox), methods=["GET"]),
    Route("/api/inbox/read", endpoint(post_read, body=True), methods=["POST"]),
    Route("/api/inbox/{view}", endpoint(get_view), methods=["GET"]),
]
