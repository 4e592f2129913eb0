"""Outbound replies: an outbox row per agent message on a provider channel, sent by a worker with retries.

The worker asks the channel's adapter for the provider API request and hands it to a provider; the default
provider is :class:`ProviderStub`, which records what would be sent (tests, demo) and can report delivery
receipts back through the same path a provider's webhook takes (``ConversationService.apply_receipt``).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from server.db import schema

MAX_ATTEMPTS = 5
OUT, M = schema.outbox, schema.conversationmessages


def enqueue(conn: Connection, conversation, message: dict, now: dt.datetime) -> None:
    request = {"to": conversation.customerhandle, "text": message["text"],
               "conversation_ref": json.loads(conversation.conversationref) if conversation.conversationref else None,
               "account": conversation.channelaccountid}
    conn.execute(insert(OUT).values(outboxid=str(uuid.uuid4()), messageid=message["messageid"],
                                  channel=conversation.channel, request=json.dumps(request), state="pending",
                                  attempts=0, nextattempton=now, createdon=now, modifiedon=now))


def backoff(attempts: int) -> dt.timedelta:
    """Seconds before retry ``attempts`` (1, 2, 4, ... capped at 5 minutes)."""
    return dt.timedelta(seconds=min(300, 2 ** max(0, attempts - 1)))


@dataclass
class ReceiptLike:
    provider_message_id: str
    state: str
    at: dt.datetime | None = None
    error: str | None = None


@dataclass
class ProviderStub:
    """Records provider requests instead of sending them; ``fail_next`` makes the next sends fail (tests)."""

    sent: list[dict] = field(default_factory=list)
    fail_next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, channel: str, request: dict) -> str:
        """Returns the provider message id. Raises ``OSError`` to simulate a provider failure."""
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                raise OSError("provider stub: simulated failure")
            provider_id = f"stub-{uuid.uuid4().hex}"
            self.sent.append({"channel": channel, "providerMessageId": provider_id, "request": request})
            return provider_id

    def receipts(self, state: str) -> list[tuple[str, ReceiptLike]]:
        """Delivery receipts (``delivered``/``read``/``failed``) for everything sent so far."""
        with self._lock:
            return [(s["channel"], ReceiptLike(s["providerMessageId"], state)) for s in self.sent]


def _build(adapters: dict, channel: str, request: dict, retry_key: str) -> dict:
    adapter = adapters.get(channel)
    if adapter is None:  # no adapter for this channel: the stub records the neutral request
        return {"channel": channel, **request}
    # retry_key: the same on every attempt of one outbox row (LINE's X-Line-Retry-Key makes a retry send once)
    return adapter.outbound(request["to"], request["text"], request.get("conversation_ref"), request.get("account"),
                            retry_key=retry_key)


def process_due(service, provider, adapters: dict, limit: int = 50) -> int:
    """Send what is due; returns how many rows were attempted."""
    now = service.clock()
    with service.transaction() as conn:
        rows = conn.execute(select(OUT).where(OUT.c.state == "pending", OUT.c.nextattempton <= now)
                            .order_by(OUT.c.nextattempton).limit(limit).with_for_update(skip_locked=True)).all()
        for row in rows:
            request = json.loads(row.request)
            attempts = row.attempts + 1
            try:
                provider_id = provider.send(row.channel, _build(adapters, row.channel, request, row.outboxid))
            except Exception as exc:  # noqa: BLE001 - any provider failure is retried, then marked failed
                final = attempts >= MAX_ATTEMPTS
                conn.execute(update(OUT).where(OUT.c.outboxid == row.outboxid).values(
                    attempts=attempts, state="failed" if final else "pending", lasterror=str(exc)[:500],
                    nextattempton=now + backoff(attempts), modifiedon=now))
                if final:
                    message = conn.execute(select(M).where(M.c.messageid == row.messageid)).first()
                    service._set_state(conn, message, "failed", now)
                continue
            conn.execute(update(OUT).where(OUT.c.outboxid == row.outboxid).values(
                attempts=attempts, state="sent", modifiedon=now))
            conn.execute(update(M).where(M.c.messageid == row.messageid).values(providermessageid=provider_id))
            message = conn.execute(select(M).where(M.c.messageid == row.messageid)).first()
            service._set_state(conn, message, "sent", now)
    return len(rows)


