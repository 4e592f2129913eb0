"""The event log on PostgreSQL: ids commit in order under concurrent writers, and the LISTEN thread wakes this
process only for other processes' commits (its own committing thread has woken the hub already)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, select

from server.conversations import events
from server.db import schema

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


class RecordingHub(events.Hub):
    def __init__(self) -> None:
        super().__init__()
        self.woken: list[frozenset[str] | None] = []
        self.changed = threading.Condition()

    def notify(self, topics=None) -> None:
        with self.changed:
            self.woken.append(frozenset(topics) if topics is not None else None)
            self.changed.notify_all()

    def wait_for(self, topic: str, timeout: float = 10.0) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: any(t and topic in t for t in self.woken), timeout), self.woken


def _emit(engine, topic: str) -> None:
    with engine.begin() as conn:
        events.emit(conn, [topic], "test", {"topic": topic})


def test_the_listener_skips_this_process_s_own_notifies_and_wakes_for_others(settings):
    own = create_engine(settings.database_url)
    other = create_engine(settings.database_url)  # another server process's pool
    hub = RecordingHub()
    listener = events.PostgresListener(settings.database_url, hub, own)
    listener.start()
    try:
        with hub.changed:  # the listener wakes everything once when it starts listening
            assert hub.changed.wait_for(lambda: None in hub.woken, 10)
        _emit(own, "user:mine")
        _emit(other, "user:theirs")
        hub.wait_for("user:theirs")  # NOTIFYs arrive in commit order: "mine" was seen (and skipped) before this
        assert not any(t and "user:mine" in t for t in hub.woken)
    finally:
        listener.stop()
        own.dispose()
        other.dispose()


def test_concurrent_writers_commit_events_in_id_order(settings):
    """A reader that moves its cursor past every id it sees must never skip one committed later."""
    engine = create_engine(settings.database_url, pool_size=8)
    with engine.connect() as conn:
        start = events.last_event_id(conn)
    seen: list[int] = []
    writers_done = threading.Event()

    def write(n: int) -> None:
        for i in range(25):
            _emit(engine, f"user:w{n}-{i % 3}")

    def read() -> None:
        after = start
        while True:
            finished = writers_done.is_set()
            with engine.connect() as conn:
                rows = conn.execute(select(schema.events.c.eventid).where(schema.events.c.eventid > after)
                                    .order_by(schema.events.c.eventid)).scalars().all()
            for eventid in rows:
                seen.append(eventid)
                after = eventid
            if finished and not rows:
                return

    # Plain threads, not asyncio.run: the suite's browser tests leave an event loop running in this thread.
    reader = threading.Thread(target=read)
    writers = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    reader.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    writers_done.set()
    reader.join(timeout=60)
    assert not reader.is_alive() and not any(writer.is_alive() for writer in writers)
    with engine.connect() as conn:
        committed = conn.execute(select(schema.events.c.eventid).where(schema.events.c.eventid > start)
                                 .order_by(schema.events.c.eventid)).scalars().all()
    engine.dispose()
    assert len(committed) == 150
    assert seen == committed  # every id, once, in order: none was committed behind the reader's cursor
