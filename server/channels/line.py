"""LINE Messaging API: the ``{destination, events[]}`` webhook, ``x-line-signature``, and the push API.

The dedupe key is the message id (``message.id``); ``webhookEventId`` is kept apart as ``event_id`` and
``deliveryContext.isRedelivery`` as ``redelivery``. LINE may send ``{"events": []}`` to check the endpoint: that is
a valid, empty delivery. Event types other than ``message`` (follow, postback, unsend, unknown future types ...)
are counted as ignored, never an error.
"""

from __future__ import annotations

import uuid
from typing import Any

from server.channels.base import (
    JSON_OK,
    Attachment,
    ChannelSecret,
    HttpAnswer,
    InboundMessage,
    ParsedWebhook,
    PayloadError,
    SignatureError,
    WebhookRequest,
    as_dict,
    as_list,
    bounded_body,
    geo_url,
    hmac_sha256_base64,
    json_object,
    optional_dict,
    optional_str,
    required_str,
    same,
    utc_from_epoch,
)

PUSH_API = "https://api.line.me/v2/bot/message/push"
_MEDIA_KINDS = {"image": "image", "video": "video", "audio": "audio", "file": "file"}


def sign(channel_secret: str, body: bytes) -> str:
    """The ``x-line-signature`` LINE sends for ``body`` (for tests and the provider stub)."""
    return hmac_sha256_base64(channel_secret, body)


class LineAdapter:
    """LINE Official Account webhooks."""

    name = "line"

    def verify(self, request: WebhookRequest, secret: ChannelSecret) -> None:
        """Check ``x-line-signature`` (Base64 HMAC-SHA256 of the raw body with the channel secret).

        Raises:
            SignatureError: missing or wrong signature.
        """
        given = request.header("x-line-signature")
        if not given:
            raise SignatureError("the x-line-signature header is missing")
        if not same(given, sign(secret.secret, bounded_body(request))):
            raise SignatureError("x-line-signature does not match the body")

    def parse(self, request: WebhookRequest) -> ParsedWebhook:
        """Message events (text, media, file, location, sticker) from users, groups and rooms.

        Raises:
            PayloadError: no events array, or a message event without message id or source.
        """
        payload = json_object(request)
        if "events" not in payload:
            raise PayloadError("the body has no events")
        destination = optional_str(payload, "destination")
        messages: list[InboundMessage] = []
        ignored = 0
        for event in as_list(payload["events"], "events"):
            event = as_dict(event, "an event")
            if event.get("type") != "message":
                ignored += 1
                continue
            messages.append(_message(event, destination))
        return ParsedWebhook(messages=tuple(messages), receipts=(), ignored=ignored)

    def handshake(self, request: WebhookRequest, secret: ChannelSecret) -> HttpAnswer | None:
        return None  # LINE checks the endpoint with a signed POST of an empty events array

    def success_answer(self, parsed: ParsedWebhook) -> HttpAnswer:
        return JSON_OK

    def outbound(self, to_handle: str, text: str, conversation_ref: dict | None, account: str | None,
                 *, retry_key: str | None = None) -> dict:
        """A push message to the conversation's user, group or room (``push_to`` in the conversation, else
        ``to_handle``). ``retry_key`` (a UUID, the same on every retry of one outbox message) becomes
        ``X-Line-Retry-Key``, so LINE sends the message once however often the outbox retries. The channel access
        token is added by whoever really sends, never recorded.

        Raises:
            ValueError: ``retry_key`` is not a UUID.
        """
        headers = {"Content-Type": "application/json"}
        if retry_key is not None:
            headers["X-Line-Retry-Key"] = str(uuid.UUID(retry_key))
        to = (conversation_ref or {}).get("push_to") or to_handle
        return {"method": "POST", "url": PUSH_API, "headers": headers,
                "json": {"to": to, "messages": [{"type": "text", "text": text}]}}


def _message(event: dict[str, Any], destination: str | None) -> InboundMessage:
    raw = optional_dict(event, "message", "a message event's message")
    message_id = required_str(raw, "id", "a message")
    source = optional_dict(event, "source", "a message event's source")
    user = optional_str(source, "userId")
    place = optional_str(source, "groupId") or optional_str(source, "roomId")
    sender = user or place
    if not sender:
        raise PayloadError(f"message {message_id} has no source")
    ref: dict[str, Any] = {"push_to": place or user, "source_type": optional_str(source, "type") or "user"}
    if optional_str(event, "replyToken"):
        ref["reply_token"] = event["replyToken"]
    context = event.get("deliveryContext")
    return InboundMessage(
        provider_message_id=message_id,
        sender_handle=sender,
        sender_name=None,  # LINE sends no names; the profile API would
        text=_text(raw),
        attachments=_attachments(raw),
        sent_at=utc_from_epoch(event.get("timestamp"), millis=True),
        channel_account=destination,
        conversation_ref=ref,
        redelivery=isinstance(context, dict) and context.get("isRedelivery") is True,
        event_id=optional_str(event, "webhookEventId"),
    )


def _text(raw: dict[str, Any]) -> str:
    kind = raw.get("type")
    if kind == "text":
        return optional_str(raw, "text") or ""
    return ""


def _attachments(raw: dict[str, Any]) -> tuple[Attachment, ...]:
    kind = optional_str(raw, "type") or "unknown"
    if kind == "text":
        return ()
    if kind in _MEDIA_KINDS:
        provider = raw.get("contentProvider") if isinstance(raw.get("contentProvider"), dict) else {}
        external = provider.get("type") == "external"
        # content LINE hosts is fetched by message id (GET /v2/bot/message/{id}/content)
        return (Attachment(kind=_MEDIA_KINDS[kind],
                           url=optional_str(provider, "originalContentUrl") if external else None,
                           media_id=None if external else optional_str(raw, "id"),
                           name=optional_str(raw, "fileName")),)
    if kind == "location":
        return (Attachment(kind="location", url=geo_url(raw.get("latitude"), raw.get("longitude")),
                           name=optional_str(raw, "title") or optional_str(raw, "address")),)
    if kind == "sticker":
        package, sticker = optional_str(raw, "packageId"), optional_str(raw, "stickerId")
        return (Attachment(kind="sticker", media_id=f"{package}/{sticker}" if package and sticker else None,
                           name=optional_str(raw, "text")),)
    return (Attachment(kind="unsupported"),)
