"""A tiny channel adapter with the interface of server/channels (for the server's tests until the real adapters
are merged): JSON ``{"messages": [{"id", "from", "name", "text"}], "receipts": [{"id", "state"}]}`` signed with
``X-Fake-Signature: hex(HMAC-SHA256(secret, raw body))``."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field

from server.conversations.adapter_types import HttpAnswer, PayloadError, SignatureError


@dataclass(frozen=True)
class Inbound:
    provider_message_id: str
    sender_handle: str
    sender_name: str | None
    text: str
    attachments: tuple = ()
    sent_at: object = None
    channel_account: str | None = None
    conversation_ref: dict | None = None
    redelivery: bool = False


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str
    state: str
    at: object = None
    error: str | None = None


@dataclass(frozen=True)
class Parsed:
    messages: tuple = ()
    receipts: tuple = ()
    ignored: int = 0


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class FakeAdapter:
    name: str = "sms"
    outbound_calls: list = field(default_factory=list)

    def verify(self, request, secret) -> None:
        given = request.headers.get("x-fake-signature", "")
        if not hmac.compare_digest(given, sign(secret.secret, request.body)):
            raise SignatureError("bad signature")

    def parse(self, request) -> Parsed:
        try:
            data = json.loads(request.body)
            messages = tuple(Inbound(m["id"], m["from"], m.get("name"), m.get("text", ""))
                             for m in data.get("messages", []))
            receipts = tuple(Receipt(r["id"], r["state"]) for r in data.get("receipts", []))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise PayloadError(str(exc)) from None
        return Parsed(messages, receipts)

    def handshake(self, request, secret):
        if request.query.get("verify_token", [None])[0] == secret.verify_token:
            return HttpAnswer(200, "text/plain", request.query.get("challenge", [""])[0].encode())
        raise SignatureError("bad verify token")

    def success_answer(self, parsed) -> HttpAnswer:
        return HttpAnswer(200, "text/xml", b"<Response/>")

    def outbound(self, to_handle, text, conversation_ref, account, *, retry_key=None) -> dict:
        self.outbound_calls.append(to_handle)
        return {"method": "POST", "url": "https://provider.invalid/send", "json": {"to": to_handle, "text": text}}
