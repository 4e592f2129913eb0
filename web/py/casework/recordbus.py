"""Record changes, announced to every list and form that shows the record. Pure.

The reference workspace leaves a list or form in another tab showing stale data after a record changes; ours
refreshes it at once. Every successful write through :class:`casework.records.RecordClient` publishes a
:class:`RecordChange` (the client is given ``bus.publish`` as its ``on_change``); lists subscribe per entity set,
forms per record. The browser layer may relay changes between browser tabs (BroadcastChannel) by publishing what
it receives with ``origin="remote"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

CREATED, UPDATED, DELETED = "created", "updated", "deleted"


@dataclass(frozen=True)
class RecordChange:
    """One change of one record.

    Attributes:
        entity_set: The API entity set (``incidents``, ``tasks``...).
        record_id: The record's id.
        kind: ``created``, ``updated`` or ``deleted``.
        record: The record as it is now (``None`` for a delete, or when only the id is known).
        origin: ``local`` for this page's writes, ``remote`` for changes relayed from elsewhere.
        related: Other entity sets whose lists may show this change (a resolve also changes queue items and
            adds a resolution activity, so ``("queueitems", "tasks")``-like hints are passed along).
    """

    entity_set: str
    record_id: str
    kind: str
    record: dict | None = None
    origin: str = "local"
    related: tuple[str, ...] = field(default=())


Listener = Callable[[RecordChange], None]


class RecordBus:
    """Publish/subscribe for :class:`RecordChange`. Listener errors are collected, never raised to the writer."""

    def __init__(self) -> None:
        self._listeners: list[tuple[str | None, str | None, Listener]] = []
        self.errors: list[BaseException] = []

    def subscribe(self, listener: Listener, *, entity_set: str | None = None,
                  record_id: str | None = None) -> Callable[[], None]:
        """Call ``listener`` for changes of ``entity_set`` (any when ``None``; an entity set also matches a change
        that names it in ``related``) and, if given, of ``record_id`` only. Returns an unsubscribe function."""
        entry = (entity_set, record_id, listener)
        self._listeners.append(entry)

        def unsubscribe() -> None:
            if entry in self._listeners:
                self._listeners.remove(entry)

        return unsubscribe

    def publish(self, change: RecordChange) -> int:
        """Deliver ``change``; returns how many listeners got it."""
        delivered = 0
        for entity_set, record_id, listener in list(self._listeners):
            if entity_set is not None and entity_set != change.entity_set and entity_set not in change.related:
                continue
            if record_id is not None and record_id != change.record_id:
                continue
            try:
                listener(change)
            except Exception as error:  # one broken view must not stop the others nor fail the write
                self.errors.append(error)
            delivered += 1
        return delivered

    def __len__(self) -> int:
        return len(self._listeners)
