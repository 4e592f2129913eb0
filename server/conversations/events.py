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

from sqlalchemy import bindparam, column, func, insert, select, true, values
from sqlalchemy import event as sqlalchemy_event
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
    topics_here = {row["topic"] for row in rows}
    if conn.dialect.name == "postgresql":
        conn.execute(_gated_insert(rows, ",".join(sorted(topics_here))))
    else:
        conn.execute(insert(schema.events), rows)
    conn.info["casework_emitted"] = True
    conn.info.setdefault("casework_topics", set()).update(topics_here)


def _gated_insert(rows: list[dict], notify_payload: str):
    """PostgreSQL: one statement that takes the event-order lock, queues the NOTIFY and inserts the rows.

    The lock is held from here to commit, so everything between is serialised across the whole database: it used to
    be three round trips (lock, notify, insert) and is now one; at 150 messages/s most request threads were waiting
    on this lock (py-spy). The rows' ids come from the sequence in the insert's projection, which runs on rows of
    the join with the one-row gate, so after the lock is taken. The payload names the topics (far below NOTIFY's
    8000 bytes), so other processes wake only the sockets concerned.
    """
    cols = ("topic", "type", "conversationid", "payload", "createdon")
    table = schema.events
    data = values(*(column(name, table.c[name].type) for name in cols), name="v").data(
        [tuple(row[name] for name in cols) for row in rows])
    gate = select(func.pg_advisory_xact_lock(_EVENT_LOCK_KEY).label("locked"),
                  func.pg_notify(NOTIFY_CHANNEL, notify_payload).label("notified")).subquery("gate")
    source = select(*(data.c[name] for name in cols)).select_from(data.join(gate, true()))
    return insert(table).from_select(list(cols), source)


_AFTER = (select(schema.events).where(schema.events.c.topic.in_(bindparam("topics", expanding=True)),
                                      schema.events.c.eventid > bindparam("after"))
          .order_by(schema.events.c.eventid).limit(PAGE))


def read_after(conn: Connection, topics: list[str], after: int) -> list[dict]:
    """Events for ``topics`` with ids above ``after``, in id order (at most :data:`PAGE`)."""
    rows = conn.execute(_AFTER, {"topics": topics, "after": after}).mappings().all()
    return [{"id": row["eventid"], "type": row["type"], "conversationId": row["conversationid"],
             "data": json.loads(row["payload"])} for row in rows]


TRIMMED_KEY = "events.trimmedthrough"


def trimmed_through(conn: Connection) -> int:
    """The highest event id deleted by :func:`trim` (0: nothing trimmed yet). A reader resuming after a smaller
    id may have missed events: the socket answers ``resync`` instead of pretending it has them all."""
    meta = schema.settings_table
    value = conn.execute(select(meta.c.value).where(meta.c.key == TRIMMED_KEY)).scalar_one_or_none()
    return int(value) if value and value.isdigit() else 0


def trim(conn: Connection, older_than) -> int:
    """Delete the events created before ``older_than`` and record the highest id deleted. Returns how many.

    Ids only grow and commit in order, so "every id up to N is gone" is one number, like Centrifugo's stream
    position behind an epoch: a resume from below it is answered plainly rather than silently short."""
    ev, meta = schema.events, schema.settings_table
    cut = conn.execute(select(func.max(ev.c.eventid)).where(ev.c.createdon < older_than)).scalar_one_or_none()
    newest = conn.execute(select(func.max(ev.c.eventid))).scalar_one_or_none() or 0
    # The newest event always stays: SQLite (no AUTOINCREMENT) would hand out max(rowid) + 1 again from an empty
    # table, and ids must never repeat.
    cut = min(cut or 0, newest - 1)
    if cut <= 0:
        return 0
    removed = conn.execute(ev.delete().where(ev.c.eventid <= cut)).rowcount or 0
    previous = trimmed_through(conn)
    if cut > previous:
        if conn.execute(select(meta.c.key).where(meta.c.key == TRIMMED_KEY)).first() is None:
            conn.execute(insert(meta).values(key=TRIMMED_KEY, value=str(cut)))
        else:
            conn.execute(meta.update().where(meta.c.key == TRIMMED_KEY).values(value=str(cut)))
    return removed


def last_event_id(conn: Connection) -> int:
    newest = conn.execute(select(func.coalesce(func.max(schema.events.c.eventid), 0))).scalar_one()
    return max(newest, trimmed_through(conn))


class Hub:
    """Wakes this process's sockets when events were committed (from any thread): only the sockets whose topics
    got events, so a message to one agent costs one log read, not one per open socket (measured: with ten agent
    sockets, waking all of them was most of the server's CPU per message)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[asyncio.Event, frozenset[str]] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, topics: Iterable[str] = ()) -> asyncio.Event:
        event = asyncio.Event()
        self._waiters[event] = frozenset(topics)
        return event

    def unsubscribe(self, event: asyncio.Event) -> None:
        self._waiters.pop(event, None)

    def _wake(self, topics: frozenset[str] | None) -> None:
        for event, wanted in list(self._waiters.items()):
            if topics is None or not wanted or wanted & topics:
                event.set()

    def notify(self, topics: Iterable[str] | None = None) -> None:
        """Thread-safe: wake this process's sockets for ``topics`` (``None``: all) to re-read the log."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        chosen = frozenset(topics) if topics is not None else None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake(chosen)
        else:
            loop.call_soon_threadsafe(self._wake, chosen)


class PostgresListener:
    """A thread with its own connection that LISTENs and wakes the hub on every NOTIFY (other processes' commits).

    It reconnects after a failure; meanwhile sockets still re-read the log periodically, so nothing is lost.
    """

    def __init__(self, url: str, hub: Hub, engine=None) -> None:
        self.url = url.replace("postgresql+psycopg://", "postgresql://")
        self.hub = hub
        # The backend pids of this process's own pool: their NOTIFYs are skipped, because the committing thread
        # woke the hub already (each would cost every concerned socket a second, empty log read). A pid missing
        # from the set only costs that extra read; a pid wrongly in it (reused after close) a re-read delay.
        self._own_pids: set[int] = set()
        if engine is not None:
            sqlalchemy_event.listen(engine, "connect", self._connected)
            sqlalchemy_event.listen(engine, "close", self._closed)
            sqlalchemy_event.listen(engine, "close_detached", self._closed_detached)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="casework-listen", daemon=True)
        self._conn = None

    def _connected(self, dbapi_connection, record) -> None:  # noqa: ANN001 - DB-API objects
        pid = getattr(getattr(dbapi_connection, "info", None), "backend_pid", None)
        if pid:
            record.info["casework_pid"] = pid
            self._own_pids.add(pid)

    def _closed(self, _dbapi_connection, record) -> None:  # noqa: ANN001 - DB-API objects
        self._own_pids.discard(record.info.pop("casework_pid", None))

    def _closed_detached(self, dbapi_connection) -> None:  # noqa: ANN001 - DB-API objects
        self._own_pids.discard(getattr(getattr(dbapi_connection, "info", None), "backend_pid", None))

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
                        topics: set[str] = set()
                        received = False
                        for notification in conn.notifies(timeout=1.0, stop_after=64):
                            if notification.pid in self._own_pids:
                                continue
                            received = True
                            topics.update(t for t in notification.payload.split(",") if t)
                        if received:
                            self.hub.notify(topics or None)
            except Exception:  # noqa: BLE001 - reconnect after any failure
                self._conn = None
                self._stop.wait(1.0)
