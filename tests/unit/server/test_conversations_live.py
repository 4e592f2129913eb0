"""Conversations against a real uvicorn on loopback: concurrent duplicate webhook deliveries store one message;
the push socket resumes after a drop with nothing lost and nothing twice; production refuses demo channel secrets.
On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request

import pytest
import websockets
from sqlalchemy import func, select, update

from server.app import create_app, prepare_database
from server.db import schema
from server.seed import DemoCredentialsError
from tests.support.aio import run as run_coroutine
from tests.support.fake_channel import FakeAdapter, sign
from tests.support.live_server import serve
from tests.unit.server.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES


@pytest.fixture
def app(settings):
    application = create_app(settings)
    application.state.channel_adapters = {"sms": FakeAdapter()}
    application.state.tick_seconds = None
    return application


def _post(base: str, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(base + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_concurrent_deliveries_of_one_message_store_it_once(app):
    raw = json.dumps({"messages": [{"id": "SM-race", "from": "+15550123", "text": "Hello"}]}).encode()
    headers = {"Content-Type": "application/json", "X-Fake-Signature": sign("casework-demo-sms", raw)}
    workers = 8
    barrier = threading.Barrier(workers)
    results: list[int] = []

    def deliver() -> None:
        barrier.wait(timeout=30)
        results.append(_post(base, "/api/channels/sms", raw, headers)[0])

    with serve(app) as base:
        threads = [threading.Thread(target=deliver) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert results == [200] * workers
    with app.state.database.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.conversationmessages)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(schema.conversations)).scalar_one() == 1


def _login(base: str, username: str) -> tuple[str, str]:
    body = json.dumps({"username": username, "password": "casework"}).encode()
    request = urllib.request.Request(base + "/api/auth/login", data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        cookies = [h.split(";")[0] for h in response.headers.get_all("Set-Cookie")]
        return "; ".join(cookies), json.loads(response.read())["csrfToken"]


async def _collect(url: str, origin: str, cookie: str, count: int | None = None, until=None) -> list[dict]:
    """Events after the hello: ``count`` of them, or until ``until(events)`` holds."""
    events = []
    async with websockets.connect(url, origin=origin, additional_headers={"Cookie": cookie}) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), 30))
        assert hello["type"] == "hello"
        while (len(events) < count) if until is None else not until(events):
            events.append(json.loads(await asyncio.wait_for(ws.recv(), 30)))
    return events


def _texts(events: list[dict]) -> list[str]:
    return [e["data"]["text"] for e in events if e["type"] == "message.created"]


def test_push_resumes_after_a_dropped_socket_with_nothing_lost_or_doubled(app):
    with serve(app) as base:
        ws_url = base.replace("http://", "ws://") + "/api/push"
        cookie, csrf = _login(base, "agent2")
        agent_headers = {"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": csrf}
        request = urllib.request.Request(base + "/api/presence", data=b'{"presence": "Available"}',
                                         headers=agent_headers, method="PUT")
        urllib.request.urlopen(request, timeout=30).close()
        status, raw = _post(base, "/api/chat/start", json.dumps({"name": "Ann", "question": "Hi"}).encode(),
                            {"Content-Type": "application/json"})
        chat = json.loads(raw)
        conversation_id, token = chat["conversation"]["conversationid"], chat["token"]
        # The offer came before the socket: connecting from id 0 replays it (and, as agent2 is a member of the
        # chat's queue, the queue's news of the unassigned conversation: its first message, for the inbox).
        first = run_coroutine(_collect(ws_url + "?after=0", base, cookie,
                                       until=lambda got: any(e["type"] == "offer.created" for e in got)))
        assert [e["type"] for e in first if e["type"] != "message.created"] == ["presence.changed", "offer.created"]
        assert _texts(first) in ([], ["Hi"])
        assert _post(base, f"/api/conversations({conversation_id})/accept", b"", agent_headers)[0] == 200
        for n in range(5):  # while no socket is open
            _post(base, "/api/chat/messages", json.dumps({"text": f"m{n}", "clientId": f"c{n}"}).encode(),
                  {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        # Drop after two events, resume from the last id seen: the rest arrive once each, in order.
        part = run_coroutine(_collect(ws_url + f"?after={first[-1]['id']}", base, cookie, 2))
        # accept: conversation.updated, presence.changed (Busy), conversation.assigned; then 5 messages
        rest = run_coroutine(_collect(ws_url + f"?after={part[-1]['id']}", base, cookie,
                                      until=lambda got: len(_texts(part + got)) >= 5))
        events = part + rest
        ids = [e["id"] for e in events]
        assert ids == sorted(set(ids))
        texts = [e["data"]["text"] for e in events if e["type"] == "message.created"]
        assert texts == [f"m{n}" for n in range(5)]
        sequences = [e["data"]["sequence"] for e in events if e["type"] == "message.created"]
        assert sequences == [2, 3, 4, 5, 6]
        assert {"conversation.updated", "conversation.assigned"} <= {e["type"] for e in events}


def test_push_refuses_another_origin_and_no_session(app):
    async def attempt(url, origin, headers):
        try:
            async with websockets.connect(url, origin=origin, additional_headers=headers) as ws:
                await asyncio.wait_for(ws.recv(), 10)
        except websockets.exceptions.InvalidStatus as exc:
            return exc.response.status_code
        except websockets.exceptions.ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None
        return "open"

    with serve(app) as base:
        url = base.replace("http://", "ws://") + "/api/push"
        cookie, _ = _login(base, "agent2")
        assert run_coroutine(attempt(url, "http://evil.example", {"Cookie": cookie})) == 403
        assert run_coroutine(attempt(url, base, {})) == 403


def test_production_refuses_demo_channel_secrets(app, settings):
    from dataclasses import replace

    from argon2 import PasswordHasher

    database = prepare_database(settings)  # seeds the demo channel accounts
    with database.engine.begin() as conn:
        conn.execute(update(schema.systemusers).values(passwordhash=PasswordHasher(
            time_cost=1, memory_cost=1024, parallelism=1).hash("not-the-demo")))
    database.close()
    with pytest.raises(DemoCredentialsError, match="demo channel secrets.*sms"):
        prepare_database(replace(settings, production=True))
    database = prepare_database(replace(settings, seed=False))
    with database.engine.begin() as conn:
        conn.execute(update(schema.channelaccounts).values(secret="real-secret", verifytoken="real-token"))
    database.close()
    prepare_database(replace(settings, production=True)).close()
