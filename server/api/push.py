"""Push over WebSocket from the event log: ``/api/push`` for a signed-in agent (session cookie, same Origin) and
``/api/chat/push`` for a customer's chat (its token).

Protocol: connect with ``?after=<last event id seen>`` (absent: only new events). The server sends
``{"type": "hello", "after": n}``, then every event of the socket's topics with an id above ``after`` in id order
as ``{"id", "type", "conversationId", "data"}``; it re-reads the log whenever this process's hub is woken (a local
commit, or PostgreSQL NOTIFY from another process) and every few seconds regardless. Reconnecting with the last id
seen resumes exactly: nothing lost, nothing twice, and a conversation's messages in order (ids commit in order).

The log is trimmed (``ConversationService.trim_events``: a retention window). A resume after an id the trim has
passed gets ``{"type": "resync", "after": n, "trimmedThrough": t}`` instead of ``hello``: events may be missing,
so the client reloads its state over REST and goes on from ``n`` (the newest id now).
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from server.api.common import authenticate
from server.conversations.events import PAGE, last_event_id, read_after, trimmed_through
from server.conversations.service import ConversationError
from server.db import schema

REREAD_SECONDS = 5.0
CUSTOMER_MESSAGE_KEYS = ("messageid", "sequence", "direction", "sendertype", "sendername", "text", "deliverystate",
                         "createdon")


def _origin_ok(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    host = ws.headers.get("host")
    if not origin or not host:
        return False
    scheme = "https" if ws.url.scheme == "wss" else "http"
    return origin.rstrip("/") == f"{scheme}://{host}"


def _after(ws: WebSocket, database) -> int | None:
    raw = ws.query_params.get("after")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        return -1
    return int(raw)


async def _pump(ws: WebSocket, database, topics: list[str], after: int, shape=None) -> None:
    hub = ws.app.state.hub
    wake = hub.subscribe(topics)

    async def read_client() -> None:  # pings and the close frame; anything else is ignored
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return

    reader = asyncio.create_task(read_client())
    try:
        trimmed = await run_in_threadpool(_trimmed, database)
        if after < trimmed:
            after = await run_in_threadpool(_last, database)
            await ws.send_json({"type": "resync", "after": after, "trimmedThrough": trimmed})
        else:
            await ws.send_json({"type": "hello", "after": after})
        while not reader.done():
            wake.clear()
            events = await run_in_threadpool(_read, database, topics, after)
            for event in events:
                data = shape(event) if shape else event
                if data is not None:
                    await ws.send_json(data)
                after = event["id"]
            if len(events) == PAGE:
                continue
            waiter = asyncio.create_task(wake.wait())
            await asyncio.wait({waiter, reader}, timeout=REREAD_SECONDS, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        hub.unsubscribe(wake)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader


def _read(database, topics: list[str], after: int) -> list[dict]:
    with database.engine.connect() as conn:
        return read_after(conn, topics, after)


def _trimmed(database) -> int:
    with database.engine.connect() as conn:
        return trimmed_through(conn)


def _queues(database, user_id: str) -> list[str]:
    q = schema.queuemembers
    with database.engine.connect() as conn:
        return list(conn.execute(select(q.c.queueid).where(q.c.systemuserid == user_id)).scalars())


def _last(database) -> int:
    with database.engine.connect() as conn:
        return last_event_id(conn)


async def agent_push(ws: WebSocket) -> None:
    """The agent's socket: offers, messages, typing, assignment, presence and record changes."""
    if not _origin_ok(ws):
        await ws.close(code=4403, reason="origin")
        return
    user = await run_in_threadpool(authenticate, ws)
    if user is None:
        await ws.close(code=4401, reason="sign in first")
        return
    database = ws.app.state.database
    after = _after(ws, database)
    if after == -1:
        await ws.close(code=4400, reason="after must be an event id")
        return
    if after is None:
        after = await run_in_threadpool(_last, database)
    await ws.accept()
    service = ws.app.state.conversations
    await run_in_threadpool(service.socket_opened, user.id)
    try:
        queues = await run_in_threadpool(_queues, database, user.id)
        # queue:<id>: conversations waiting in the agent's queues (the inbox's Unassigned view). Membership is read
        # when the socket opens; a change applies from the next connection.
        await _pump(ws, database, [f"user:{user.id}", "all", *(f"queue:{q}" for q in queues)], after)
    finally:
        await run_in_threadpool(service.socket_closed, user.id)


def _customer_shape(event: dict) -> dict | None:
    data, kind = event["data"], event["type"]
    if kind == "message.created":
        data = {k: data[k] for k in CUSTOMER_MESSAGE_KEYS}
    elif kind == "conversation.updated":
        data = {"statuscode": data["statuscode"], "agent": data["ownerid"] is not None}
    elif kind not in ("message.updated", "typing"):
        return None
    return {"id": event["id"], "type": kind, "data": data}


async def customer_push(ws: WebSocket) -> None:
    """The customer's chat socket: the agent's messages, typing, delivery marks and the chat's status."""
    token = ws.query_params.get("token", "")
    service = ws.app.state.conversations
    try:
        row = await run_in_threadpool(service.chat_conversation, token)
    except ConversationError:
        await ws.close(code=4401, reason="unknown chat")
        return
    database = ws.app.state.database
    after = _after(ws, database)
    if after is None or after == -1:
        await ws.close(code=4400, reason="after is required (the lastEventId from /api/chat/conversation)")
        return
    await ws.accept()
    service = ws.app.state.conversations
    if await run_in_threadpool(service.customer_socket_opened, row.conversationid):
        await run_in_threadpool(service.route)
    try:
        await _pump(ws, database, [f"conversation:{row.conversationid}"], after, _customer_shape)
    finally:
        await run_in_threadpool(service.customer_socket_closed, row.conversationid)


routes = [WebSocketRoute("/api/push", agent_push), WebSocketRoute("/api/chat/push", customer_push)]
