"""Wiring the conversation service into the app's lifespan: demo channel accounts, the production check, the
background tick (routing, offer timeouts, presence grace, outbox) and PostgreSQL's LISTEN thread."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import uuid
from pathlib import Path

from sqlalchemy import insert, select
from starlette.concurrency import run_in_threadpool

from server.conversations import outbox
from server.conversations.adapter_types import load_adapters
from server.conversations.events import Hub, PostgresListener
from server.conversations.service import ConversationService
from server.db import schema

CHANNELS = ("chat", "sms", "whatsapp", "facebook", "line", "wechat", "teams")
TICK_SECONDS = 1.0
DEMO_TEAMS_APP_ID = "casework-demo-teams-app"
DEMO_TEAMS_ISSUER = "https://api.botframework.com"


def demo_secret(channel: str) -> str:
    return f"casework-demo-{channel}"


def _teams_settings(data_dir: Path | None) -> dict:
    """The Teams demo key set: generated on first start into the data dir (private key kept there for the demo
    and tests to sign tokens with), its public JWK set stored with the account."""
    try:
        from server.channels.teams import generate_demo_keyset  # type: ignore[import-not-found]
    except ImportError:
        return {"appId": DEMO_TEAMS_APP_ID, "issuer": DEMO_TEAMS_ISSUER}
    folder = data_dir or Path(".")
    key_file, jwks_file = folder / "teams-demo-key.pem", folder / "teams-demo-jwks.json"
    if not (key_file.exists() and jwks_file.exists()):
        private_pem, jwks = generate_demo_keyset()
        folder.mkdir(parents=True, exist_ok=True)
        key_file.write_bytes(private_pem)
        key_file.chmod(0o600)
        jwks_file.write_text(json.dumps(jwks))
    return {"appId": DEMO_TEAMS_APP_ID, "issuer": DEMO_TEAMS_ISSUER, "jwks": json.loads(jwks_file.read_text())}


def seed_channel_accounts(database, data_dir: Path | None = None) -> list[str]:
    """One demo account per channel that has none (secret ``casework-demo-<channel>``), all routed to the
    General support queue (else the first by name). Returns the channels seeded."""
    now = dt.datetime.now(dt.UTC)
    seeded = []
    with database.engine.begin() as conn:
        q = schema.queues
        queue = conn.execute(select(q.c.queueid).order_by((q.c.name != "General support"), q.c.name)).scalars().first()
        if queue is None:
            return []
        have = set(conn.execute(select(schema.channelaccounts.c.channel)).scalars())
        for channel in CHANNELS:
            if channel in have:
                continue
            settings = _teams_settings(data_dir) if channel == "teams" else {}
            conn.execute(insert(schema.channelaccounts).values(
                channelaccountid=str(uuid.uuid4()), channel=channel, name=f"Demo {channel}", handle=None,
                secret=demo_secret(channel), verifytoken=demo_secret(channel), settings=json.dumps(settings),
                queueid=queue, isdisabled=False, createdon=now, modifiedon=now, versionnumber=1))
            seeded.append(channel)
    return seeded


def demo_channel_secrets_present(database) -> list[str]:
    """Enabled channel accounts still using a demo secret or verify token."""
    a = schema.channelaccounts
    with database.engine.connect() as conn:
        rows = conn.execute(select(a.c.channel, a.c.secret, a.c.verifytoken).where(a.c.isdisabled.is_(False))).all()
    return sorted({row.channel for row in rows
                   if row.secret == demo_secret(row.channel) or row.verifytoken == demo_secret(row.channel)})


async def start(app) -> None:
    """Build the service on ``app.state`` and start the background tick (and the LISTEN thread on PostgreSQL)."""
    database = app.state.database
    hub = Hub()
    hub.bind(asyncio.get_running_loop())
    app.state.hub = hub
    app.state.conversations = ConversationService(database, hub)
    app.state.channel_adapters = getattr(app.state, "channel_adapters", None) or load_adapters()
    app.state.provider = getattr(app.state, "provider", None) or outbox.ProviderStub()
    app.state.listener = None
    if database.dialect == "postgresql":
        app.state.listener = PostgresListener(database.engine.url.render_as_string(hide_password=False), hub,
                                              database.engine)
        app.state.listener.start()
    # app.state.tick_seconds = None (tests): no background tick; the test drives route() and the outbox itself.
    seconds = getattr(app.state, "tick_seconds", TICK_SECONDS)
    app.state.tick_task = asyncio.create_task(_tick(app, seconds)) if seconds else None


TRIM_EVERY = 60  # ticks between event-log trims (the delete is by id range; once a minute is plenty)


async def _tick(app, seconds: float) -> None:
    service = app.state.conversations
    ticks = 0
    while True:
        await asyncio.sleep(seconds)
        ticks += 1
        try:
            await run_in_threadpool(service.route)
            await run_in_threadpool(outbox.process_due, service, app.state.provider, app.state.channel_adapters)
            if ticks % TRIM_EVERY == 1:
                await run_in_threadpool(service.trim_events)
        except Exception:  # noqa: BLE001 - a failed tick (database restart) is retried on the next one
            continue


async def stop(app) -> None:
    task = getattr(app.state, "tick_task", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    listener = getattr(app.state, "listener", None)
    if listener is not None:
        await run_in_threadpool(listener.stop)
