"""The conversation service: every change to conversations, messages, offers and presence, each in one transaction
that also writes its push events (so a socket never sees a change the database does not have, or the reverse).

Concurrency: on SQLite a write transaction starts with ``BEGIN IMMEDIATE`` (one writer at a time, and no
read-then-write upgrade failures); on PostgreSQL rows are locked (``FOR UPDATE``; routing uses ``SKIP LOCKED`` so
two processes never offer one conversation or one agent's last free unit twice). Idempotency of inbound messages is
the UNIQUE (channel, providermessageid) constraint: an insert that meets it rolls its whole transaction back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from server.conversations import presence as pr
from server.conversations import routing, timers
from server.conversations.events import Hub, emit, trim
from server.conversations.states import STATECODE, Status, TransitionError, Trigger, decide, holds_capacity
from server.db import schema

C, M = schema.conversations, schema.conversationmessages
LIVE_CHANNELS = ("chat",)
MAX_TEXT = 4000


class ConversationError(Exception):
    """A refused action; the API turns it into its error shape."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


class Duplicate(Exception):  # noqa: N818 - control flow: the message is stored already
    """The provider message id is stored already (retry, duplicate in a payload, or a concurrent delivery)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    value = _utc(value)
    return value.isoformat().replace("+00:00", "Z") if value else None


def message_json(row: Any) -> dict:
    m = row._mapping if hasattr(row, "_mapping") else row
    return {"messageid": m["messageid"], "conversationid": m["conversationid"], "sequence": m["sequence"],
            "direction": m["direction"], "sendertype": m["sendertype"], "sendername": m["sendername"],
            "text": m["text"], "attachments": json.loads(m["attachments"] or "[]"),
            "deliverystate": m["deliverystate"], "createdon": _iso(m["createdon"])}


def conversation_json(row: Any) -> dict:
    m = row._mapping if hasattr(row, "_mapping") else row
    return {"conversationid": m["conversationid"], "channel": m["channel"], "title": m["title"],
            "customername": m["customername"], "customerhandle": m["customerhandle"], "queueid": m["queueid"],
            "ownerid": m["ownerid"], "statuscode": m["statuscode"], "statecode": m["statecode"],
            "contactid": m["contactid"], "incidentid": m["incidentid"], "createdon": _iso(m["createdon"]),
            "versionnumber": m["versionnumber"]}


def _insert(conn: Connection, table):
    return (postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table))


def _user_topics(*user_ids: str | None) -> list[str]:
    return [f"user:{u}" for u in user_ids if u]


class ConversationService:
    """All conversation writes. ``clock`` is injected (tests move time by hand)."""

    def __init__(self, database, hub: Hub | None = None,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                 offer_timeout: dt.timedelta = routing.OFFER_TIMEOUT,
                 customer_grace: dt.timedelta = timers.CUSTOMER_GRACE,
                 waiting_timeout: dt.timedelta = timers.WAITING_TIMEOUT,
                 event_retention: dt.timedelta = dt.timedelta(hours=24)) -> None:
        self.database = database
        self.hub = hub or Hub()
        self.clock = clock
        self.offer_timeout = offer_timeout
        self.customer_grace = customer_grace
        self.waiting_timeout = waiting_timeout
        self.event_retention = event_retention
        self._write_lock = threading.Lock()

    # -- transactions ------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction; wakes this process's sockets for the topics it wrote events to, after commit.

        SQLite: writers of this process queue on a Python lock before ``BEGIN IMMEDIATE``. Without it, threads
        meeting a held write lock sleep in SQLite's busy handler, whose back-off grows to 100 ms per try: at 50
        messages/s with 200 chats p99 was ~500 ms (measured), almost all of it sleeping."""
        lock = self._write_lock if self.database.dialect == "sqlite" else contextlib.nullcontext()
        with lock:
            with self.database.engine.begin() as conn:
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                conn.info["casework_emitted"] = False
                conn.info["casework_topics"] = set()
                yield conn
                emitted = conn.info.get("casework_emitted", False)
                topics = conn.info.pop("casework_topics", set())
        if emitted:
            self.hub.notify(topics)

    def _lock_conversation(self, conn: Connection, conversation_id: str):
        row = conn.execute(select(C).where(C.c.conversationid == conversation_id).with_for_update()).first()
        if row is None:
            raise ConversationError(404, "not_found", f"No conversation with id {conversation_id}.",
                                    {"id": conversation_id})
        return row

    def _transition(self, conn: Connection, row, trigger: Trigger, now: dt.datetime, **values) -> Any:
        try:
            target = decide(row.statuscode, trigger, live=row.channel in LIVE_CHANNELS)
        except TransitionError as exc:
            raise ConversationError(409, exc.code, str(exc), {"statuscode": row.statuscode,
                                                              "trigger": trigger.value}) from None
        if target is Status.CLOSED:
            values.setdefault("closedon", now)
        if target is Status.OPEN:
            values.setdefault("ownerid", None)
        conn.execute(update(C).where(C.c.conversationid == row.conversationid).values(
            statuscode=int(target), statecode=STATECODE[target], modifiedon=now,
            versionnumber=C.c.versionnumber + 1, **values))
        updated = conn.execute(select(C).where(C.c.conversationid == row.conversationid)).first()
        # The queue's topic too: every member's inbox ("Unassigned conversations in my queues") sees it taken.
        emit(conn, [*_user_topics(updated.ownerid, row.ownerid), f"conversation:{row.conversationid}",
                    f"queue:{row.queueid}"],
             "conversation.updated", conversation_json(updated), row.conversationid, now)
        return updated

    # -- customers ---------------------------------------------------------------------------------------------

    def _resolve_contact(self, conn: Connection, channel: str, handle: str, name: str | None,
                         email: str | None = None, now: dt.datetime | None = None) -> str:
        """The contact behind a channel handle: a known identity, a contact with that phone or e-mail, or a new
        contact. The identity is remembered (insert-or-ignore: concurrent first messages agree)."""
        ident = schema.channelidentities
        found = conn.execute(select(ident.c.contactid).where(ident.c.channel == channel,
                                                             ident.c.handle == handle)).scalar_one_or_none()
        if found:
            return found
        contacts = schema.contacts
        contact_id = None
        phone = handle if handle.startswith("+") or (channel in ("sms", "whatsapp") and handle.isdigit()) else None
        if phone:
            digits = phone.lstrip("+")
            contact_id = conn.execute(select(contacts.c.contactid).where(
                contacts.c.telephone1.in_([phone, f"+{digits}", digits])).limit(1)).scalar_one_or_none()
        if contact_id is None and email:
            contact_id = conn.execute(select(contacts.c.contactid).where(
                func.lower(contacts.c.emailaddress1) == email.lower()).limit(1)).scalar_one_or_none()
        if contact_id is None:
            first, _, last = (name or handle).strip().partition(" ")
            contact_id = str(uuid.uuid4())
            conn.execute(insert(contacts).values(
                contactid=contact_id, firstname=first[:100] or "Customer", lastname=(last or f"({channel})")[:100],
                fullname=f"{first} {last or f'({channel})'}"[:200], emailaddress1=email, telephone1=phone,
                createdon=now, modifiedon=now, versionnumber=1))
        conn.execute(_insert(conn, ident).values(channel=channel, handle=handle, contactid=contact_id,
                                                 createdon=now).on_conflict_do_nothing())
        return conn.execute(select(ident.c.contactid).where(ident.c.channel == channel,
                                                            ident.c.handle == handle)).scalar_one()

    def _open_conversation_for(self, conn: Connection, channel: str, handle: str, account, name: str | None,
                               title: str, now: dt.datetime, conversation_ref: dict | None = None,
                               email: str | None = None):
        """The customer's current (not closed) conversation on this channel, locked; a new one if none."""
        if conn.dialect.name == "postgresql":  # two first messages of one new customer: one conversation
            conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"{channel}|{handle}"))))
        row = conn.execute(select(C).where(C.c.channel == channel, C.c.customerhandle == handle,
                                           C.c.statuscode != int(Status.CLOSED))
                           .order_by(C.c.createdon.desc()).limit(1).with_for_update()).first()
        if row is not None:
            return row
        contact_id = self._resolve_contact(conn, channel, handle, name, email, now)
        account_id = conn.execute(select(schema.contacts.c.parentcustomerid).where(
            schema.contacts.c.contactid == contact_id)).scalar_one_or_none()
        conversation_id = str(uuid.uuid4())
        conn.execute(insert(C).values(
            conversationid=conversation_id, channel=channel, channelaccountid=account.channelaccountid,
            title=title[:300] or f"{channel} conversation", customerhandle=handle, customername=name,
            contactid=contact_id, accountid=account_id, queueid=account.queueid, statuscode=int(Status.OPEN),
            statecode=0, units=1, conversationref=json.dumps(conversation_ref) if conversation_ref else None,
            lastsequence=0, createdon=now, modifiedon=now, versionnumber=1))
        return conn.execute(select(C).where(C.c.conversationid == conversation_id)).first()

    def _append(self, conn: Connection, conversation, *, direction: str, sendertype: str, senderid: str | None,
                sendername: str | None, text: str, attachments: list | tuple = (), provider_id: str | None,
                state: str, now: dt.datetime, sent_at: dt.datetime | None = None) -> dict:
        """Insert the conversation's next message (sequence + 1) and its push events.

        Raises:
            Duplicate: the provider id is taken; the caller's transaction must roll back.
        """
        # No SELECT for the provider id first: the insert's ON CONFLICT finds a duplicate, and raising rolls the
        # sequence bump back with everything else (one statement fewer per message).
        sequence = conn.execute(update(C).where(C.c.conversationid == conversation.conversationid).values(
            lastsequence=C.c.lastsequence + 1, lastmessageon=now).returning(C.c.lastsequence)).scalar_one()
        message_id = str(uuid.uuid4())
        values = dict(
            messageid=message_id, conversationid=conversation.conversationid, channel=conversation.channel,
            sequence=sequence, direction=direction, sendertype=sendertype, senderid=senderid, sendername=sendername,
            text=text, attachments=json.dumps(list(attachments)), providermessageid=provider_id,
            deliverystate=state, senton=sent_at or now, createdon=now, modifiedon=now, versionnumber=1)
        inserted = conn.execute(_insert(conn, M).values(**values).on_conflict_do_nothing(
            index_elements=["channel", "providermessageid"]).returning(M.c.messageid)).first()
        if inserted is None:  # the provider id is stored already (a retry, or a concurrent delivery committed)
            raise Duplicate(provider_id)
        message = message_json(values)
        topics = [*_user_topics(conversation.ownerid), f"conversation:{conversation.conversationid}"]
        if conversation.ownerid is None:  # unassigned: the queue members' inboxes show it (and its first message)
            topics.append(f"queue:{conversation.queueid}")
        emit(conn, topics, "message.created", message, conversation.conversationid, now)
        return message

    # -- inbound -----------------------------------------------------------------------------------------------

    def ingest(self, channel: str, account, inbound) -> str:
        """Store one inbound provider message (an adapter's ``InboundMessage``). Returns ``"stored"`` or
        ``"duplicate"``; a duplicate writes nothing."""
        now = self.clock()
        attachments = [{k: v for k, v in vars(a).items() if v is not None} if hasattr(a, "__dict__")
                       else dict(a) for a in getattr(inbound, "attachments", ())]
        try:
            with self.transaction() as conn:
                if conn.execute(select(M.c.messageid).where(
                        M.c.channel == channel, M.c.providermessageid == inbound.provider_message_id)).first():
                    raise Duplicate(inbound.provider_message_id)
                text = (inbound.text or "")[:MAX_TEXT]
                conversation = self._open_conversation_for(
                    conn, channel, inbound.sender_handle, account, inbound.sender_name,
                    text.splitlines()[0] if text.strip() else f"{channel} message", now,
                    getattr(inbound, "conversation_ref", None))
                if conversation.statuscode == int(Status.WAITING):
                    conversation = self._transition(conn, conversation, Trigger.CUSTOMER_RETURNS, now,
                                                    ownerid=None)
                self._append(conn, conversation, direction="inbound", sendertype="customer",
                             senderid=inbound.sender_handle, sendername=inbound.sender_name, text=text,
                             attachments=attachments, provider_id=inbound.provider_message_id, state="delivered",
                             now=now, sent_at=getattr(inbound, "sent_at", None))
        except Duplicate:
            return "duplicate"
        return "stored"

    def apply_receipt(self, channel: str, receipt) -> bool:
        """A provider's delivery receipt for one of our outbound messages; states only move forward
        (sent < delivered < read; failed from sent). Returns whether a message changed."""
        order = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 1}
        now = self.clock()
        with self.transaction() as conn:
            row = conn.execute(select(M).where(M.c.channel == channel,
                                               M.c.providermessageid == receipt.provider_message_id)
                               .with_for_update()).first()
            if row is None or receipt.state not in order:
                return False
            if receipt.state == "failed" and row.deliverystate in ("delivered", "read"):
                return False
            if receipt.state != "failed" and order[receipt.state] <= order.get(row.deliverystate, 0):
                return False
            return self._set_state(conn, row, receipt.state, now)

    def apply_watermark(self, channel: str, watermark) -> int:
        """Messenger's "everything we sent to this person up to T reached ``state``": our outbound messages to
        ``watermark.handle`` sent at or before ``up_to`` move forward. Returns how many changed."""
        order = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}
        target = order.get(watermark.state)
        if target is None:
            return 0
        now = self.clock()
        changed = 0
        with self.transaction() as conn:
            rows = conn.execute(select(M).join(C, C.c.conversationid == M.c.conversationid).where(
                C.c.channel == channel, C.c.customerhandle == watermark.handle, M.c.direction == "outbound",
                M.c.senton <= watermark.up_to, M.c.deliverystate.in_([s for s, v in order.items() if v < target]),
                M.c.providermessageid.is_not(None))).all()
            for row in rows:
                changed += self._set_state(conn, row, watermark.state, now)
        return changed

    def _set_state(self, conn: Connection, row, state: str, now: dt.datetime) -> bool:
        conn.execute(update(M).where(M.c.messageid == row.messageid).values(
            deliverystate=state, modifiedon=now, versionnumber=M.c.versionnumber + 1))
        owner = conn.execute(select(C.c.ownerid).where(C.c.conversationid == row.conversationid)).scalar_one()
        emit(conn, [*_user_topics(owner), f"conversation:{row.conversationid}"], "message.updated",
             {"messageid": row.messageid, "sequence": row.sequence, "deliverystate": state},
             row.conversationid, now)
        return True

    # -- live chat (the customer's /chat page) -----------------------------------------------------------------

    def start_chat(self, name: str, email: str | None, question: str) -> tuple[dict, str]:
        """A new live chat from the pre-chat form. Returns (conversation, customer token)."""
        now = self.clock()
        token = secrets.token_urlsafe(32)
        with self.transaction() as conn:
            account = conn.execute(select(schema.channelaccounts).where(
                schema.channelaccounts.c.channel == "chat", schema.channelaccounts.c.isdisabled.is_(False))
                .limit(1)).first()
            if account is None:
                raise ConversationError(503, "chat_unavailable", "Live chat is not set up on this server.")
            handle = f"chat:{uuid.uuid4()}"
            conversation = self._open_conversation_for(conn, "chat", handle, account, name, question, now,
                                                       email=email)
            conn.execute(update(C).where(C.c.conversationid == conversation.conversationid).values(
                customertokenhash=token_hash(token)))
            self._append(conn, conversation, direction="inbound", sendertype="customer", senderid=handle,
                         sendername=name, text=question, provider_id=f"{conversation.conversationid}:prechat",
                         state="delivered", now=now)
            return conversation_json(conversation), token

    def chat_conversation(self, token: str):
        with self.database.engine.connect() as conn:
            row = conn.execute(select(C).where(C.c.customertokenhash == token_hash(token))).first()
        if row is None:
            raise ConversationError(401, "unauthenticated", "This chat is unknown or has expired.")
        return row

    def customer_send(self, token: str, text: str, client_id: str) -> dict:
        """The customer's message; ``client_id`` makes a retried send store once."""
        now = self.clock()
        conversation_id = None
        try:
            with self.transaction() as conn:
                conversation = conn.execute(select(C).where(C.c.customertokenhash == token_hash(token))
                                            .with_for_update()).first()
                if conversation is None:
                    raise ConversationError(401, "unauthenticated", "This chat is unknown or has expired.")
                conversation_id = conversation.conversationid
                if conversation.statuscode in (int(Status.CLOSED), int(Status.WRAP_UP)):
                    raise ConversationError(409, "conversation_ended", "This chat has ended.")
                if conversation.statuscode == int(Status.WAITING):  # the customer is back: routed again
                    conversation = self._transition(conn, conversation, Trigger.CUSTOMER_RETURNS, now)
                    self._recompute_if(conn, conversation, now)
                return self._append(conn, conversation, direction="inbound", sendertype="customer",
                                    senderid=conversation.customerhandle, sendername=conversation.customername,
                                    text=text, provider_id=f"{conversation.conversationid}:{client_id}",
                                    state="delivered", now=now)
        except Duplicate:
            with self.database.engine.connect() as conn:
                existing = conn.execute(select(M).where(
                    M.c.channel == "chat", M.c.providermessageid == f"{conversation_id}:{client_id}")).first()
            return message_json(existing)

    def customer_mark(self, token: str, sequence: int, state: str) -> int:
        """The customer's page saw agent messages up to ``sequence`` (``delivered`` or ``read``)."""
        row = self.chat_conversation(token)
        now = self.clock()
        changed = 0
        allowed = ("sent",) if state == "delivered" else ("sent", "delivered")
        with self.transaction() as conn:
            rows = conn.execute(select(M).where(M.c.conversationid == row.conversationid,
                                                M.c.direction == "outbound", M.c.sequence <= sequence,
                                                M.c.deliverystate.in_(allowed))).all()
            for message in rows:
                changed += self._set_state(conn, message, state, now)
        return changed

    def customer_end(self, token: str) -> dict:
        row = self.chat_conversation(token)
        now = self.clock()
        with self.transaction() as conn:
            conversation = self._lock_conversation(conn, row.conversationid)
            if conversation.statuscode == int(Status.CLOSED):
                return conversation_json(conversation)
            values = {"offeredto": None, "offerexpireson": None} if conversation.statuscode == 1 else {}
            return conversation_json(self._transition(conn, conversation, Trigger.CUSTOMER_END, now, **values))

    def typing(self, conversation_id: str, *, from_customer: bool, user_id: str | None = None) -> None:
        now = self.clock()
        with self.transaction() as conn:
            row = conn.execute(select(C).where(C.c.conversationid == conversation_id)).first()
            if row is None:
                raise ConversationError(404, "not_found", f"No conversation with id {conversation_id}.")
            if not from_customer and row.ownerid != user_id:
                raise ConversationError(403, "not_owner", "Only the conversation's agent can type in it.")
            topics = _user_topics(row.ownerid) if from_customer else [f"conversation:{conversation_id}"]
            emit(conn, topics, "typing", {"conversationid": conversation_id,
                                          "who": "customer" if from_customer else "agent"}, conversation_id, now)

    # -- agent actions -----------------------------------------------------------------------------------------

    def agent_send(self, user_id: str, conversation_id: str, text: str, client_id: str | None = None) -> dict:
        """The agent's reply: stored, pushed to the customer's page, and (other channels) queued in the outbox."""
        now = self.clock()
        provider_id = f"agent:{conversation_id}:{client_id}" if client_id else None
        try:
            with self.transaction() as conn:
                row = self._lock_conversation(conn, conversation_id)
                if row.ownerid != user_id or row.statuscode != int(Status.ACTIVE):
                    raise ConversationError(409, "not_assigned", "Send only in an active conversation assigned to "
                                            "you.", {"statuscode": row.statuscode})
                live = row.channel == "chat"
                name = conn.execute(select(schema.systemusers.c.fullname).where(
                    schema.systemusers.c.systemuserid == user_id)).scalar_one()
                message = self._append(conn, row, direction="outbound", sendertype="agent", senderid=user_id,
                                       sendername=name, text=text, provider_id=provider_id,
                                       state="sent" if live else "queued", now=now)
                if row.firstresponseon is None:
                    conn.execute(update(C).where(C.c.conversationid == conversation_id).values(firstresponseon=now))
                if not live:
                    from server.conversations.outbox import enqueue
                    enqueue(conn, row, message, now)
                return message
        except Duplicate:
            with self.database.engine.connect() as conn:
                return message_json(conn.execute(select(M).where(M.c.providermessageid == provider_id)).first())

    def _presence_row(self, conn: Connection, user_id: str, lock: bool = True):
        p = schema.agentpresence
        query = select(p).where(p.c.systemuserid == user_id)
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            conn.execute(_insert(conn, p).values(systemuserid=user_id, status=pr.Presence.OFFLINE.value,
                                                 manual=False, connections=0, modifiedon=self.clock())
                         .on_conflict_do_nothing())
            row = conn.execute(query.with_for_update() if lock else query).first()
        return row

    @staticmethod
    def _state_of(row) -> pr.PresenceState:
        return pr.PresenceState(pr.Presence.parse(row.status), bool(row.manual), _utc(row.disconnectedon),
                                pr.Presence.parse(row.beforedisconnect) if row.beforedisconnect else None)

    def _save_presence(self, conn: Connection, user_id: str, before: pr.PresenceState, after: pr.PresenceState,
                       now: dt.datetime, **extra) -> None:
        p = schema.agentpresence
        conn.execute(update(p).where(p.c.systemuserid == user_id).values(
            status=after.status.value, manual=after.manual, disconnectedon=after.disconnected_at,
            beforedisconnect=after.before_disconnect.value if after.before_disconnect else None, modifiedon=now,
            **extra))
        if before.status != after.status:
            emit(conn, _user_topics(user_id), "presence.changed",
                 {"systemuserid": user_id, "presence": after.status.value, "manual": after.manual}, None, now)

    def _capacity(self, conn: Connection, user_id: str) -> tuple[int, dict[str, int]]:
        pa, pf, roles = schema.profileassignments, schema.profiles, schema.userroles
        user_roles = select(roles.c.role).where(roles.c.systemuserid == user_id)
        row = conn.execute(
            select(pf.c.settings).join(pa, pa.c.profileid == pf.c.profileid)
            .where(or_(pa.c.systemuserid == user_id, and_(pa.c.systemuserid.is_(None), pa.c.role.in_(user_roles))))
            .order_by(pa.c.systemuserid.is_(None), pa.c.rank).limit(1)).first()
        if row is None:
            row = conn.execute(select(pf.c.settings).where(pf.c.isdefault.is_(True)).limit(1)).first()
        try:
            settings = json.loads(row.settings) if row else {}
        except ValueError:
            settings = {}
        return routing.capacity_of(settings)

    def _used(self, conn: Connection, user_id: str) -> int:
        held = conn.execute(select(func.coalesce(func.sum(C.c.units), 0)).where(
            or_(and_(C.c.ownerid == user_id, C.c.statuscode.in_([int(s) for s in Status if holds_capacity(s)])),
                C.c.offeredto == user_id))).scalar_one()
        return int(held)

    def _recompute(self, conn: Connection, user_id: str, now: dt.datetime, **extra) -> None:
        row = self._presence_row(conn, user_id)
        state = self._state_of(row)
        total, _units = self._capacity(conn, user_id)
        after = pr.capacity_changed(state, self._used(conn, user_id), total)
        self._save_presence(conn, user_id, state, after, now, **extra)

    def set_presence(self, user_id: str, text: str) -> dict:
        status = pr.Presence.parse(text)
        now = self.clock()
        with self.transaction() as conn:
            row = self._presence_row(conn, user_id)
            state = self._state_of(row)
            after = pr.set_manual(state, status)
            self._save_presence(conn, user_id, state, after, now)
        return {"presence": after.status.value, "manual": after.manual}

    def get_presence(self, user_id: str) -> dict:
        with self.database.engine.connect() as conn:
            row = conn.execute(select(schema.agentpresence).where(
                schema.agentpresence.c.systemuserid == user_id)).first()
        status = row.status if row else pr.Presence.OFFLINE.value
        return {"presence": status, "manual": bool(row.manual) if row else False,
                "code": pr.BASE_CODES[pr.Presence.parse(status)]}

    def socket_opened(self, user_id: str) -> None:
        now = self.clock()
        with self.transaction() as conn:
            row = self._presence_row(conn, user_id)
            state = self._state_of(row)
            total, _ = self._capacity(conn, user_id)
            after = pr.connected(state, now, self._used(conn, user_id), total) if row.connections == 0 else state
            self._save_presence(conn, user_id, state, after, now,
                                connections=schema.agentpresence.c.connections + 1)

    def socket_closed(self, user_id: str) -> None:
        now = self.clock()
        with self.transaction() as conn:
            row = self._presence_row(conn, user_id)
            state = self._state_of(row)
            remaining = max(0, row.connections - 1)
            after = pr.disconnected(state, now) if remaining == 0 else state
            self._save_presence(conn, user_id, state, after, now, connections=remaining)

    def accept(self, user_id: str, conversation_id: str) -> dict:
        now = self.clock()
        with self.transaction() as conn:
            row = self._lock_conversation(conn, conversation_id)
            if row.offeredto != user_id or row.statuscode != int(Status.OPEN):
                raise ConversationError(409, "offer_not_held", "This conversation is not offered to you (the offer "
                                        "expired, was taken or withdrawn).", {"offeredto": row.offeredto is not None})
            self._close_offer(conn, conversation_id, user_id, "accepted")
            updated = self._transition(conn, row, Trigger.ASSIGN, now, ownerid=user_id, offeredto=None,
                                       offerexpireson=None)
            self._recompute(conn, user_id, now, lastassignedon=now)
            emit(conn, _user_topics(user_id), "conversation.assigned", conversation_json(updated),
                 conversation_id, now)
            return conversation_json(updated)

    def _close_offer(self, conn: Connection, conversation_id: str, user_id: str, outcome: str) -> None:
        o = schema.conversationoffers
        conn.execute(update(o).where(o.c.conversationid == conversation_id, o.c.systemuserid == user_id,
                                     o.c.outcome == "pending").values(outcome=outcome))

    def reject(self, user_id: str, conversation_id: str) -> dict:
        now = self.clock()
        with self.transaction() as conn:
            row = self._lock_conversation(conn, conversation_id)
            if row.offeredto != user_id:
                raise ConversationError(409, "offer_not_held", "This conversation is not offered to you.")
            self._close_offer(conn, conversation_id, user_id, "rejected")
            conn.execute(update(C).where(C.c.conversationid == conversation_id).values(
                offeredto=None, offerexpireson=None, modifiedon=now, versionnumber=C.c.versionnumber + 1))
            self._recompute(conn, user_id, now)
            emit(conn, _user_topics(user_id), "offer.withdrawn", {"conversationid": conversation_id,
                                                                  "reason": "rejected"}, conversation_id, now)
        self.route()
        return {"conversationid": conversation_id, "rejected": True}

    def _owned_action(self, user_id: str, conversation_id: str, trigger: Trigger, **values) -> dict:
        now = self.clock()
        with self.transaction() as conn:
            row = self._lock_conversation(conn, conversation_id)
            if row.ownerid != user_id:
                raise ConversationError(403, "not_owner", "Only the conversation's agent can do this.",
                                        {"ownerid": row.ownerid})
            updated = self._transition(conn, row, trigger, now, **values)
            self._recompute(conn, user_id, now)
            return conversation_json(updated)

    def end(self, user_id: str, conversation_id: str) -> dict:
        """Active → Wrap-up."""
        return self._owned_action(user_id, conversation_id, Trigger.AGENT_END)

    def close(self, user_id: str, conversation_id: str) -> dict:
        """Wrap-up (or Active) → Closed; capacity is released."""
        result = self._owned_action(user_id, conversation_id, Trigger.CLOSE)
        self.route()
        return result

    def add_note(self, user_id: str, conversation_id: str, text: str) -> dict:
        now = self.clock()
        note_id = str(uuid.uuid4())
        with self.transaction() as conn:
            row = self._lock_conversation(conn, conversation_id)
            if row.ownerid != user_id:
                raise ConversationError(403, "not_owner", "Only the conversation's agent can add notes.")
            conn.execute(insert(schema.annotations).values(
                annotationid=note_id, subject="Conversation note", notetext=text, objectid=conversation_id,
                objecttypecode="conversation", ownerid=user_id, createdon=now, modifiedon=now, versionnumber=1))
        return {"annotationid": note_id, "notetext": text, "objectid": conversation_id}

    def link(self, user_id: str, conversation_id: str, entity: str, record_id: str | None) -> dict:
        """Link (or unlink, ``record_id=None``) a contact, account or case; active and wrap-up only."""
        column, table, key = {"contact": ("contactid", schema.contacts, "contactid"),
                              "account": ("accountid", schema.accounts, "accountid"),
                              "incident": ("incidentid", schema.incidents, "incidentid")}[entity]
        now = self.clock()
        with self.transaction() as conn:
            row = self._lock_conversation(conn, conversation_id)
            if row.ownerid != user_id or row.statuscode not in (int(Status.ACTIVE), int(Status.WRAP_UP)):
                raise ConversationError(409, "not_assigned", "Link records to an active conversation of yours.")
            if record_id is not None and conn.execute(select(table.c[key]).where(
                    table.c[key] == record_id)).first() is None:
                raise ConversationError(422, "validation_failed", f"No {entity} with id {record_id}.",
                                        {"field": "recordid", "reason": "not_found"})
            conn.execute(update(C).where(C.c.conversationid == conversation_id).values(
                **{column: record_id}, modifiedon=now, versionnumber=C.c.versionnumber + 1))
            updated = conn.execute(select(C).where(C.c.conversationid == conversation_id)).first()
            emit(conn, _user_topics(user_id), "conversation.updated", conversation_json(updated), conversation_id,
                 now)
            return conversation_json(updated)

    # -- the customer's sockets (persistent chat: Waiting when they left, Open when they are back) ----------------

    def customer_socket_opened(self, conversation_id: str) -> bool:
        """A customer's chat socket opened. Returns whether the conversation went back to Open (route then)."""
        now = self.clock()
        with self.transaction() as conn:
            row = self._lock_conversation(conn, conversation_id)
            conn.execute(update(C).where(C.c.conversationid == conversation_id).values(
                customerconnections=C.c.customerconnections + 1, customerdisconnectedon=None))
            if row.statuscode == int(Status.WAITING):
                self._transition(conn, row, Trigger.CUSTOMER_RETURNS, now)
                return True
        return False

    def customer_socket_closed(self, conversation_id: str) -> None:
        """A customer's chat socket closed; the last one starts the grace period (see :mod:`timers`)."""
        now = self.clock()
        with self.transaction() as conn:
            row = self._lock_conversation(conn, conversation_id)
            remaining = max(0, (row.customerconnections or 0) - 1)
            conn.execute(update(C).where(C.c.conversationid == conversation_id).values(
                customerconnections=remaining, customerdisconnectedon=now if remaining == 0 else None))

    def _recompute_if(self, conn: Connection, row, now: dt.datetime) -> None:
        if row.ownerid:
            self._recompute(conn, row.ownerid, now)

    # -- wrap-up and hand-over ---------------------------------------------------------------------------------

    def create_case(self, user_id: str, conversation_id: str, title: str | None = None) -> tuple[dict, str]:
        """A new case prefilled from the conversation (:func:`timers.case_prefill`), owned by the agent and linked
        to the conversation, in one transaction. Returns (conversation, the new case's id).

        Raises:
            ConversationError: not the agent's active or wrap-up conversation (409), no contact yet (422).
        """
        now = self.clock()
        with self.transaction() as conn:
            row = self._lock_conversation(conn, conversation_id)
            if row.ownerid != user_id or row.statuscode not in (int(Status.ACTIVE), int(Status.WRAP_UP)):
                raise ConversationError(409, "not_assigned", "Create cases from an active conversation of yours.")
            if not row.contactid:
                raise ConversationError(422, "validation_failed", "Link a contact first: a case needs a customer.",
                                        {"field": "contactid", "reason": "required"})
            messages = [message_json(m) for m in conn.execute(select(M).where(
                M.c.conversationid == conversation_id).order_by(M.c.sequence)).all()]
            fields = timers.case_prefill(conversation_json(row), messages)
            if title:
                fields["title"] = title[:300]
            from server.api.records import _ticket_number  # one ticket number format for every new case

            incident_id = str(uuid.uuid4())
            conn.execute(insert(schema.incidents).values(
                incidentid=incident_id, ticketnumber=_ticket_number(conn), statecode=0, ownerid=user_id,
                createdon=now, modifiedon=now, versionnumber=1, **fields))
            conn.execute(update(C).where(C.c.conversationid == conversation_id).values(
                incidentid=incident_id, modifiedon=now, versionnumber=C.c.versionnumber + 1))
            updated = conn.execute(select(C).where(C.c.conversationid == conversation_id)).first()
            emit(conn, _user_topics(user_id), "conversation.updated", conversation_json(updated), conversation_id,
                 now)
            emit(conn, ["all"], "record.changed", {"by": user_id, "records": [
                {"entitySet": "incidents", "id": incident_id, "version": 1}]}, None, now)
            return conversation_json(updated), incident_id

    def release(self, user_id: str, conversation_id: str) -> dict:
        """Active → Open in the same queue: the agent hands it back; routing offers it to someone else."""
        result = self.transfer(user_id, conversation_id)
        return result

    def transfer(self, user_id: str, conversation_id: str, queue_id: str | None = None,
                 agent_id: str | None = None, note: str | None = None) -> dict:
        """Active → Open, to another queue (``queue_id``) and/or offered at once to one agent (``agent_id``, who
        must be routable with room for it); the agent's capacity is released. Without either: a release.
        ``note`` (for the receiving agent) rides on the offer (``offer.created``'s ``note`` and ``from``).

        Raises:
            ConversationError: not the agent's active conversation, an unknown queue or agent, or the agent
            cannot take it now (409 ``agent_unavailable``).
        """
        now = self.clock()
        with self.transaction() as conn:
            row = self._lock_conversation(conn, conversation_id)
            if row.ownerid != user_id:
                raise ConversationError(403, "not_owner", "Only the conversation's agent can transfer it.",
                                        {"ownerid": row.ownerid})
            values: dict[str, Any] = {"offeredto": None, "offerexpireson": None}
            if queue_id is not None:
                if conn.execute(select(schema.queues.c.queueid).where(
                        schema.queues.c.queueid == queue_id)).first() is None:
                    raise ConversationError(422, "validation_failed", f"No queue with id {queue_id}.",
                                            {"field": "queueid", "reason": "not_found"})
                values["queueid"] = queue_id
            target = None
            if agent_id is not None:
                if agent_id == user_id:
                    raise ConversationError(422, "validation_failed", "Transfer to another agent.",
                                            {"field": "agentid", "reason": "self"})
                target = self._presence_row(conn, agent_id) if conn.execute(select(
                    schema.systemusers.c.systemuserid).where(
                    schema.systemusers.c.systemuserid == agent_id)).first() else None
                if target is None:
                    raise ConversationError(422, "validation_failed", f"No agent with id {agent_id}.",
                                            {"field": "agentid", "reason": "not_found"})
                total, units = self._capacity(conn, agent_id)
                need = routing.units_for(row.channel, units)
                candidate = routing.Candidate(agent_id, self._used(conn, agent_id), total,
                                              pr.routable(self._state_of(target)), _utc(target.lastassignedon))
                if routing.choose([candidate], need, frozenset()) is None:
                    raise ConversationError(409, "agent_unavailable", "That agent cannot take it now (not "
                                            "available, or no free capacity).", {"agentid": agent_id})
            if row.statuscode != int(Status.ACTIVE):
                raise ConversationError(409, "invalid_transition", "Only an active conversation can be "
                                        "transferred or released.", {"statuscode": row.statuscode})
            updated = self._transition(conn, row, Trigger.RELEASE, now, **values)
            self._recompute(conn, user_id, now)
            # Routing skips agents with a rejected, expired or released offer of this conversation: never back to
            # the agent who handed it over.
            conn.execute(insert(schema.conversationoffers).values(
                offerid=str(uuid.uuid4()), conversationid=conversation_id, systemuserid=user_id,
                outcome="released", offeredon=now, expireson=now))
            if target is not None:
                sender = conn.execute(select(schema.systemusers.c.fullname).where(
                    schema.systemusers.c.systemuserid == user_id)).scalar_one_or_none()
                self._make_offer(conn, updated, agent_id, routing.units_for(row.channel,
                                                                              self._capacity(conn, agent_id)[1]),
                                 now, {"note": note, "from": sender} if note else None)
                updated = conn.execute(select(C).where(C.c.conversationid == conversation_id)).first()
            result = conversation_json(updated)
        self.route()
        return result

    def leave(self, user_id: str, conversation_id: str) -> dict:
        """X without End (the reference's close_without_end): the agent closes the session of an Active
        conversation without ending it. A live chat goes back to Open and is routed to another agent (an
        offer-history row ``released`` keeps it from coming back to this one); an async or persistent channel's
        conversation goes to Waiting, still the agent's, until the customer writes again or the agent reopens it.
        Either way the agent's capacity is released.

        Raises:
            ConversationError: not the agent's conversation (403 ``not_owner``), not Active (409).
        """
        now = self.clock()
        with self.transaction() as conn:
            row = self._lock_conversation(conn, conversation_id)
            if row.ownerid != user_id:
                raise ConversationError(403, "not_owner", "Only the conversation's agent can leave it.",
                                        {"ownerid": row.ownerid})
            updated = self._transition(conn, row, Trigger.CLOSE_WITHOUT_END, now, offeredto=None,
                                       offerexpireson=None)
            if updated.statuscode == int(Status.OPEN):
                conn.execute(insert(schema.conversationoffers).values(
                    offerid=str(uuid.uuid4()), conversationid=conversation_id, systemuserid=user_id,
                    outcome="released", offeredon=now, expireson=now))
            self._recompute(conn, user_id, now)
            result = conversation_json(updated)
        self.route()
        return result

    def transfer_targets(self, user_id: str, conversation_id: str) -> dict:
        """Where the agent may transfer their conversation: the other queues, and the other agents and
        supervisors with their presence and whether they can take it now (routable, with room)."""
        u, roles, q = schema.systemusers, schema.userroles, schema.queues
        with self.database.engine.connect() as conn:
            row = conn.execute(select(C).where(C.c.conversationid == conversation_id)).first()
            if row is None:
                raise ConversationError(404, "not_found", f"No conversation with id {conversation_id}.",
                                        {"id": conversation_id})
            if row.ownerid != user_id:
                raise ConversationError(403, "not_owner", "Only the conversation's agent can transfer it.",
                                        {"ownerid": row.ownerid})
            queues = [{"queueid": r.queueid, "name": r.name} for r in conn.execute(
                select(q.c.queueid, q.c.name).where(q.c.queueid != row.queueid).order_by(q.c.name)).all()]
            people = conn.execute(select(u.c.systemuserid, u.c.fullname).where(
                u.c.isdisabled.is_(False), u.c.systemuserid != user_id,
                u.c.systemuserid.in_(select(roles.c.systemuserid).where(roles.c.role.in_(["agent", "supervisor"]))))
                .order_by(u.c.fullname)).all()
            presence = {r.systemuserid: r for r in conn.execute(select(schema.agentpresence).where(
                schema.agentpresence.c.systemuserid.in_([p.systemuserid for p in people]))).all()}
            agents = []
            for person in people:
                found = presence.get(person.systemuserid)
                state = self._state_of(found) if found is not None else None
                can_take = False
                if state is not None:
                    total, units = self._capacity(conn, person.systemuserid)
                    candidate = routing.Candidate(person.systemuserid, self._used(conn, person.systemuserid), total,
                                                  pr.routable(state), _utc(found.lastassignedon))
                    can_take = routing.choose([candidate], routing.units_for(row.channel, units),
                                              frozenset()) is not None
                agents.append({"systemuserid": person.systemuserid, "fullname": person.fullname,
                               "presence": state.status.value if state else pr.Presence.OFFLINE.value,
                               "available": can_take})
        return {"queues": queues, "agents": agents}

    def reopen(self, user_id: str, conversation_id: str) -> dict:
        """Waiting → Active: the agent takes their waiting conversation up again ("My work items")."""
        result = self._owned_action(user_id, conversation_id, Trigger.REOPEN)
        return result

    def _make_offer(self, conn: Connection, conversation, agent_id: str, units: int, now: dt.datetime,
                    extra: dict | None = None) -> None:
        o = schema.conversationoffers
        expires = now + self.offer_timeout
        conn.execute(update(C).where(C.c.conversationid == conversation.conversationid).values(
            offeredto=agent_id, offerexpireson=expires, units=units, modifiedon=now,
            versionnumber=C.c.versionnumber + 1))
        conn.execute(insert(o).values(offerid=str(uuid.uuid4()), conversationid=conversation.conversationid,
                                      systemuserid=agent_id, outcome="pending", offeredon=now, expireson=expires))
        queue = conn.execute(select(schema.queues.c.name).where(
            schema.queues.c.queueid == conversation.queueid)).scalar_one_or_none()
        emit(conn, _user_topics(agent_id), "offer.created", {
            **conversation_json(conversation), "queuename": queue or "", "expireson": _iso(expires),
            "waitingsince": _iso(conversation.createdon), **(extra or {})}, conversation.conversationid, now)

    # -- timers (applied by route(), so by the 1 s tick) --------------------------------------------------------

    def _apply_timers(self, conn: Connection, now: dt.datetime, went_offline: list[str]) -> None:
        """Agent disconnect timeout (their active conversations back to Open), persistent-chat customers gone
        (Active → Waiting, capacity released), Waiting too long (Closed)."""
        if went_offline:
            for row in conn.execute(select(C).where(C.c.ownerid.in_(went_offline),
                                                    C.c.statuscode == int(Status.ACTIVE))
                                    .with_for_update(skip_locked=True)).all():
                self._transition(conn, row, Trigger.RELEASE, now, offeredto=None, offerexpireson=None)
        gone_before = now - self.customer_grace
        for row in conn.execute(select(C).where(C.c.statuscode == int(Status.ACTIVE), C.c.channel == "chat",
                                                C.c.customerconnections <= 0,
                                                C.c.customerdisconnectedon.is_not(None),
                                                C.c.customerdisconnectedon < gone_before)
                                .with_for_update(skip_locked=True)).all():
            if timers.customer_gone(row.statuscode, row.customerconnections, _utc(row.customerdisconnectedon), now,
                                    self.customer_grace):
                updated = self._transition(conn, row, Trigger.CUSTOMER_DISCONNECT, now)
                self._recompute_if(conn, updated, now)
        for row in conn.execute(select(C).where(C.c.statuscode == int(Status.WAITING),
                                                C.c.modifiedon < now - self.waiting_timeout)
                                .with_for_update(skip_locked=True)).all():
            if timers.waiting_expired(row.statuscode, _utc(row.modifiedon), now, self.waiting_timeout):
                self._transition(conn, row, Trigger.INACTIVITY, now)

    def trim_events(self) -> int:
        """Delete events older than the retention window (and settled offers as old); see ``events.trim``."""
        now = self.clock()
        with self.transaction() as conn:
            removed = trim(conn, now - self.event_retention)
            o = schema.conversationoffers
            conn.execute(o.delete().where(o.c.outcome != "pending", o.c.offeredon < now - self.event_retention))
        return removed

    # -- routing -----------------------------------------------------------------------------------------------

    def route(self, limit: int = 100) -> list[tuple[str, str]]:
        """Expire overdue offers, disconnect stale presences, then offer waiting conversations (oldest first) to
        agents. Returns the offers made as (conversation id, agent id).

        Rows are claimed with ``FOR UPDATE SKIP LOCKED`` (conversations, then agents' presence rows), so a second
        process routing at the same moment works on other rows and never offers a conversation, or an agent's last
        free unit, twice."""
        now = self.clock()
        offers: list[tuple[str, str]] = []
        o, p, members = schema.conversationoffers, schema.agentpresence, schema.queuemembers
        with self.transaction() as conn:
            expired = conn.execute(select(C).where(C.c.offeredto.is_not(None), C.c.offerexpireson <= now)
                                   .with_for_update(skip_locked=True)).all()
            for row in expired:
                self._close_offer(conn, row.conversationid, row.offeredto, "expired")
                conn.execute(update(C).where(C.c.conversationid == row.conversationid).values(
                    offeredto=None, offerexpireson=None, modifiedon=now, versionnumber=C.c.versionnumber + 1))
                emit(conn, _user_topics(row.offeredto), "offer.withdrawn",
                     {"conversationid": row.conversationid, "reason": "expired"}, row.conversationid, now)
            went_offline = []
            for row in conn.execute(select(p).where(p.c.disconnectedon.is_not(None),
                                                    p.c.status != pr.Presence.OFFLINE.value)
                                    .with_for_update(skip_locked=True)).all():
                state = self._state_of(row)
                after = pr.tick(state, now)
                self._save_presence(conn, row.systemuserid, state, after, now)
                if after.status is pr.Presence.OFFLINE:
                    went_offline.append(row.systemuserid)
            self._apply_timers(conn, now, went_offline)
            waiting = conn.execute(select(C).where(C.c.statuscode == int(Status.OPEN), C.c.ownerid.is_(None),
                                                   C.c.offeredto.is_(None))
                                   .order_by(C.c.createdon, C.c.conversationid).limit(limit)
                                   .with_for_update(skip_locked=True)).all()
            locked: dict[str, Any] = {}
            taken: set[str] = set()
            for conversation in waiting:
                agent_ids = conn.execute(select(members.c.systemuserid).where(
                    members.c.queueid == conversation.queueid)).scalars().all()
                new = [a for a in agent_ids if a not in locked and a not in taken]
                if new:
                    for row in conn.execute(select(p).where(p.c.systemuserid.in_(new))
                                            .with_for_update(skip_locked=True)).all():
                        locked[row.systemuserid] = row
                excluded = frozenset(conn.execute(select(o.c.systemuserid).where(
                    o.c.conversationid == conversation.conversationid,
                    o.c.outcome.in_(["rejected", "expired", "released"]))).scalars())
                candidates = []
                for agent_id in agent_ids:
                    row = locked.get(agent_id)
                    if row is None:
                        continue
                    total, units = self._capacity(conn, agent_id)
                    candidates.append(routing.Candidate(
                        agent_id, self._used(conn, agent_id), total, pr.routable(self._state_of(row)),
                        _utc(row.lastassignedon)))
                need = routing.units_for(conversation.channel, self._capacity(conn, agent_ids[0])[1]) \
                    if agent_ids else 1
                choice = routing.choose(candidates, need, excluded)
                if choice is None:
                    continue
                self._make_offer(conn, conversation, choice.user_id, need, now)
                offers.append((conversation.conversationid, choice.user_id))
        return offers
