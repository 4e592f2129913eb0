"""The push event log: write an event in the same transaction as the change it reports; read after an id.

Ids come from the table's sequence. On PostgreSQL a transaction takes a transaction-scoped advisory lock before it
inserts its events, so events commit in id order: without it, a transaction holding id 10 could commit after one
holding id 11, a reader could send 11 and move its cursor past 10, and 10 would be lost for that reader. With
SQLite every write transaction is serialised anyway. After commit, :class:`Hub` wakes this process's sockets; on
PostgreSQL the transaction also sends ``NOTIFY casework_events`` so other processes' hubs wake (a lost NOTIFY only
delays delivery until the next wake-up or the sockets' periodic re-read: the log is the truth).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection

from server.db import schema

NOTIFY_CHANNEL = "casework_events"
_EVENT_LOCK_KEY = 0x43415345  # "CASE": the advisory lock that orders event commits on PostgreSQL
PAGE = 500


def emit(conn: Connection, topics: Iterable[str], type_: str, payload: dict[str, Any],
         conversation_id: str | None = None, now=None) -> None:
    """Append one event per topic (``user:<id>``, ``conversation:<id>``, ``all``) in the caller's transaction.

    Call it last in a transaction: on PostgreSQL it holds the event-order lock until commit.
    """
    import datetime as dt

    rows = [{"topic": topic, "type": type_, "conversationid": conversation_id,
             "payload": json.dumps(payload, separators=(",", ":"), default=str),
             "createdon": now or dt.datetime.now(dt.UTC)} for topic in dict.fromkeys(topics) if topic]
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_EVENT_LOCK_KEY})")
        conn.exec_driver_sql(f"NOTIFY {NOTIFY_CHANNEL}")
    conn.execute(insert(schema.events), rows)
    conn.info["casework_emitted"] = True


_AFTER = (select(schema.events).where(schema.events.c.topic.in_(bindparam("topics", expanding=True)),
                                      schema.events.c.eventid > bindparam("after"))
          .order_by(schema.events.c.eventid).limit(PAGE))


def read_after(conn: Connection, topics: list[str], after: int) -> list[dict]:
    """Events for ``topics`` with ids above ``after``, in id order (at most :data:`PAGE`)."""
    rows = conn.execute(_AFTER, {"topics": topics, "after": after}).mappings().all()
    return [{"id": row["eventid"], "type": row["type"], "conversationId": row["conversationid"],
             "data": json.loads(row["payload"])} for row in rows]


def last_event_id(conn: Connection) -> int:
    from sqlalchemy import func

    return conn.execute(select(func.coalesce(func.max(schema.events.c.eventid), 0))).scalar_one()


class Hub:
    """Wakes this process's sockets when events were committed (from any thread)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: set[asyncio.Event] = set()
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self) -> asyncio.Event:
        event = asyncio.Event()
        self._waiters.add(event)
        return event

    def unsubscribe(self, event: asyncio.Event) -> None:
        self._waiters.discard(event)

    def _wake(self) -> None:
        for event in list(self._waiters):
            event.set()

    def notify(self) -> None:
        """Thread-safe: wake every socket of this process to re-read the log."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake()
        else:
            loop.call_soon_threadsafe(self._wake)


class PostgresListener:
    """A thread with its own connection that LISTENs and wakes the hub on every NOTIFY (other processes' commits).

    It reconnects after a failure; meanwhile sockets still re-read the log periodically, so nothing is lost.
    """

    def __init__(self, url: str, hub: Hub) -> None:
        self.url = url.replace("postgresql+psycopg://", "postgresql://")
        self.hub = hub
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="casework-listen", daemon=True)
        self._conn = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        conn = self._conn
        if conn is not None:
            try:
                conn.cancel_safe()
            except Exception:  # noqa: BLE001 - best effort at shutdown
                pass
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    self._conn = conn
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.hub.notify()  # anything committed while we were not listening
                    while not self._stop.is_set():
                        # notifies() returns after a second or a batch: one wake-up per batch received
                        received = False
                        for _ in conn.notifies(timeout=1.0, stop_after=64):
                            received = True
                        if received:
                            self.hub.notify()
            except Exception:  # noqa: BLE001 - reconnect after any failure
                self._conn = None
                self._stop.wait(1.0)
