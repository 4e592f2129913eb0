"""Live-chat delivery: customer-send to agent-receive latency and sustained messages/s, SQLite and PostgreSQL.

    .venv/bin/python bench/conversations.py                       # 200 conversations, both databases
    .venv/bin/python bench/conversations.py --db sqlite --conversations 200 --seconds 10

Setup: the real server (``python -m server``, one process) on loopback with a fresh seeded database; the bench
puts ``--conversations`` live chats straight into the database as Active, spread over the ten demo agents (routing
is not what is measured), each with a known customer token. Ten agent WebSockets (``/api/push``) are open.

Load: one asyncio process; every conversation is a customer on its own keep-alive HTTP connection sending
``POST /api/chat/messages`` on an open-loop schedule (``rate`` messages/s in total, spread evenly). Latency is
from a message's *scheduled* send time to the moment its ``message.created`` event arrives on the owning agent's
socket (so a backlog cannot hide); an unmeasured warm-up message per conversation opens its connection, and the
clock starts only once the agents have received all of them. Each rate step runs ``--seconds``; the steps double
from ``--start-rate`` until the achieved rate falls below 90% of the offered one (or a message is lost or
refused): the last step kept up is the throughput ceiling, and the last one whose p99 was under the goal is
reported beside it. The client shares the 2-core machine with the server, so its CPU is part of what bounds it.
Prints one JSON document and a one-line summary.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GOAL_P99_MS = 50.0


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _setup(url: str, conversations: int) -> tuple[list[str], dict[str, str]]:
    """Insert the live chats; returns customer tokens and {agent username: session cookie token}."""
    from sqlalchemy import create_engine, insert, select

    from server import auth
    from server.db import schema

    engine = create_engine(url)
    now = dt.datetime.now(dt.UTC)
    tokens, rows = [], []
    with engine.begin() as conn:
        agents = conn.execute(select(schema.systemusers.c.systemuserid, schema.systemusers.c.domainname).where(
            schema.systemusers.c.domainname.like("agent%"))).all()
        queue = conn.execute(select(schema.queues.c.queueid)).scalars().first()
        for n in range(conversations):
            token = secrets.token_urlsafe(24)
            tokens.append(token)
            rows.append({"conversationid": str(uuid.uuid4()), "channel": "chat", "title": f"bench {n}",
                         "customerhandle": f"chat:bench-{n}", "customername": f"Customer {n}", "queueid": queue,
                         "ownerid": agents[n % len(agents)].systemuserid, "statuscode": 2, "statecode": 0,
                         "units": 1, "customertokenhash": hashlib.sha256(token.encode()).hexdigest(),
                         "lastsequence": 0, "createdon": now, "modifiedon": now, "versionnumber": 1})
        conn.execute(insert(schema.conversations), rows)
        sessions = {}
        for agent in agents:
            cookie, _csrf = auth.create_session(conn, agent.systemuserid, now)
            sessions[agent.domainname] = cookie
    engine.dispose()
    return tokens, sessions


class HttpConnection:
    """One keep-alive HTTP/1.1 connection (the bench's client must be light: it shares the machine)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def post(self, path: str, body: bytes, token: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write((f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json"
                           f"\r\nAuthorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
                          + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if length:
            await self.reader.readexactly(length)
        return status


async def _run_step(base: str, tokens: list[str], sessions: dict[str, str], rate: float, seconds: float,
                    step: int) -> dict:
    import websockets

    parts = urlsplit(base)
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    posts: list[float] = []  # the POST's own answer time, from the actual send
    series: list[tuple[float, float]] = []  # (scheduled offset s, latency ms): where the slow ones fall
    errors = 0
    done = asyncio.Event()
    total = int(rate * seconds)

    async def agent(cookie: str) -> None:
        url = base.replace("http://", "ws://").rstrip("/") + "/api/push"
        async with websockets.connect(url, origin=base.rstrip("/"), max_queue=None,
                                      additional_headers={"Cookie": f"casework_session={cookie}"}) as ws:
            await ws.recv()
            ready.set_result(None) if not ready.done() else None
            while not done.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 1.0)
                except TimeoutError:
                    continue
                event = json.loads(raw)
                if event.get("type") == "message.created":
                    key = event["data"]["text"]
                    if key in warming:
                        warming.discard(key)
                        if not warming:
                            warmed.set()
                        continue
                    started = sent_at.pop(key, None)
                    if started is not None:
                        latencies.append((time.perf_counter() - started) * 1000)
                        series.append((round(started - start, 3), round(latencies[-1], 1)))
                        if len(latencies) + errors >= total:
                            done.set()

    ready = asyncio.get_running_loop().create_future()
    warming = {f"warm{step}-c{index}" for index in range(len(tokens))}
    warmed = asyncio.Event()
    agents = [asyncio.create_task(agent(cookie)) for cookie in sessions.values()]
    await asyncio.wait_for(ready, 30)
    await asyncio.sleep(0.5)  # let every agent socket finish its hello (not a synchronisation in a test)
    connections = [HttpConnection(parts.hostname, parts.port) for _ in tokens]

    async def warm(index: int) -> None:  # open every connection and warm the server's worker threads, unmeasured
        key = f"warm{step}-c{index}"
        await connections[index].post("/api/chat/messages", json.dumps({"text": key, "clientId": key}).encode(),
                                       tokens[index])

    for first in range(0, len(tokens), 20):
        await asyncio.gather(*(warm(i) for i in range(first, min(first + 20, len(tokens)))))
    # The warm-up's own events must have reached the agents before the clock starts, or its backlog would be
    # measured as the first scheduled messages' latency.
    await asyncio.wait_for(warmed.wait(), 30)
    interval = 1.0 / rate
    start = time.perf_counter() + 0.2

    async def customer(index: int) -> None:
        nonlocal errors
        token, connection = tokens[index], connections[index]
        n = 0
        while True:
            slot = index + n * len(tokens)
            if slot >= total:
                return
            scheduled = start + slot * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            key = f"s{step}-c{index}-m{n}"
            sent_at[key] = scheduled
            body = json.dumps({"text": key, "clientId": key}).encode()
            began = time.perf_counter()
            try:
                status = await connection.post("/api/chat/messages", body, token)
            except (OSError, asyncio.IncompleteReadError):
                status = 0
            posts.append((time.perf_counter() - began) * 1000)
            if status != 201:
                errors += 1
                sent_at.pop(key, None)
            n += 1

    await asyncio.gather(*(customer(i) for i in range(len(tokens))))
    try:
        await asyncio.wait_for(done.wait(), 30)
    except TimeoutError:
        pass
    elapsed = time.perf_counter() - start
    done.set()
    for task in agents:
        task.cancel()
    await asyncio.gather(*agents, return_exceptions=True)
    for connection in connections:
        if connection.writer is not None:
            connection.writer.close()
    received = len(latencies)
    return {"offeredRate": rate, "messages": total, "received": received, "lost": total - received - errors,
            "errors": errors, "achievedRate": round(received / elapsed, 1),
            "p50Ms": round(_percentile(latencies, 0.50), 2), "p99Ms": round(_percentile(latencies, 0.99), 2),
            "maxMs": round(max(latencies), 2) if latencies else None,
            "meanMs": round(statistics.fmean(latencies), 2) if latencies else None,
            "postP50Ms": round(_percentile(posts, 0.50), 2), "postP99Ms": round(_percentile(posts, 0.99), 2),
            "slowest": sorted(series, key=lambda p: -p[1])[:10]}


def _bench(db: str, conversations: int, seconds: float, start_rate: float, max_rate: float) -> dict:
    from server.launch import start_server

    cluster = None
    folder = Path(tempfile.mkdtemp(prefix=f"casework-bench-conv-{db}-"))
    extra: list[str] = []
    if db == "postgresql":
        from sqlalchemy import create_engine

        from tests.support.postgres import start_cluster

        cluster = start_cluster()
        admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("CREATE DATABASE bench")
        admin.dispose()
        url = cluster.url("bench")
        extra = ["--database-url", url]
    else:
        url = f"sqlite:///{(folder / 'casework.sqlite3').as_posix()}"
    server = start_server(folder, *extra, "--scale", "1000")
    try:
        tokens, sessions = _setup(url, conversations)
        steps = []
        rate = start_rate
        while rate <= max_rate:
            result = asyncio.run(_run_step(server.url, tokens, sessions, rate, seconds, len(steps)))
            result["kept"] = (result["achievedRate"] >= 0.9 * rate and result["lost"] == 0
                              and result["errors"] == 0)
            result["met"] = result["kept"] and result["p99Ms"] < GOAL_P99_MS
            steps.append(result)
            if not result["kept"]:  # the throughput ceiling: the server no longer keeps up with the offered rate
                break
            rate *= 2
        met = [s for s in steps if s["met"]]
        kept = [s for s in steps if s["kept"]]
        return {"database": db, "conversations": conversations, "agents": len(sessions), "steps": steps,
                "ceilingRate": met[-1]["offeredRate"] if met else None,
                "atCeiling": met[-1] if met else None,
                "throughputCeiling": kept[-1]["achievedRate"] if kept else None}
    finally:
        server.stop()
        if cluster is not None:
            cluster.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--start-rate", type=float, default=50.0, help="messages/s in total at the first step")
    parser.add_argument("--max-rate", type=float, default=3200.0)
    args = parser.parse_args(argv)
    databases = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results = [_bench(db, args.conversations, args.seconds, args.start_rate, args.max_rate) for db in databases]
    print(json.dumps({"goalP99Ms": GOAL_P99_MS, "results": results}, indent=2))
    summary = []
    for r in results:
        first = r["steps"][0]
        at = r["atCeiling"] or first
        summary.append(f"{r['database']}: {r['conversations']} conversations, at {first['offeredRate']:g} msg/s "
                       f"p50 {first['p50Ms']} ms p99 {first['p99Ms']} ms; p99 goal met up to {r['ceilingRate']} "
                       f"msg/s (p99 {at['p99Ms']} ms); kept up to {r['throughputCeiling']} msg/s")
    print("conversations bench: " + " | ".join(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
