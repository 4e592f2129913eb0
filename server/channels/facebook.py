"""Facebook Messenger: the ``page`` webhook (messages, deliveries, reads) and the Send API.

Deliveries name our messages by ``mid`` when Meta includes them (receipts) and always carry a watermark; reads carry
only a watermark. A watermark says every message we sent to that person up to that time was delivered or read:
it is returned as a :class:`~server.channels.base.Watermark` for the server to apply to its own messages.
"""

from __future__ import annotations

from typing import Any

from server.channels.base import (
    JSON_OK,
    Attachment,
    ChannelSecret,
    DeliveryReceipt,
    HttpAnswer,
    InboundMessage,
    ParsedWebhook,
    PayloadError,
    Watermark,
    WebhookRequest,
    as_dict,
    as_list,
    geo_url,
    json_object,
    optional_dict,
    optional_str,
    required_str,
    utc_from_epoch,
)
from server.channels.meta import GRAPH_API, hub_handshake, verify_hub_signature

_KINDS = {"image": "image", "video": "video", "audio": "audio", "file": "file", "reel": "video", "ig_reel": "video",
          "location": "location", "fallback": "link", "template": "card"}


class FacebookAdapter:
    """Messenger Platform webhooks for a Facebook page."""

    name = "facebook"

    def verify(self, request: WebhookRequest, secret: ChannelSecret) -> None:
        """Check ``X-Hub-Signature-256`` over the raw body. Raises SignatureError."""
        verify_hub_signature(request, secret)

    def parse(self, request: WebhookRequest) -> ParsedWebhook:
        """Messages (text, attachments, quick replies), delivery receipts and watermarks; echoes of our own
        messages, postbacks, reactions and the like are counted as ignored.

        Raises:
            PayloadError: not a page payload, or a message without mid or sender.
        """
        payload = json_object(request)
        if payload.get("object") != "page":
            raise PayloadError("object is not page")
        messages: list[InboundMessage] = []
        receipts: list[DeliveryReceipt] = []
        watermarks: list[Watermark] = []
        ignored = 0
        for entry in as_list(payload.get("entry"), "entry"):
            entry = as_dict(entry, "an entry")
            ignored += len(as_list(entry.get("standby"), "standby"))  # another app owns the thread
            for event in as_list(entry.get("messaging"), "messaging"):
                event = as_dict(event, "a messaging event")
                sender = optional_str(optional_dict(event, "sender", "sender"), "id")
                page = optional_str(optional_dict(event, "recipient", "recipient"), "id") or optional_str(
                    entry, "id")
                if isinstance(event.get("message"), dict):
                    message = _message(event["message"], sender, page, event.get("timestamp"))
                    if message is None:
                        ignored += 1
                    else:
                        messages.append(message)
                elif isinstance(event.get("delivery"), dict):
                    delivery = event["delivery"]
                    at = utc_from_epoch(delivery.get("watermark"), millis=True)
                    for mid in as_list(delivery.get("mids"), "delivery.mids"):
                        if isinstance(mid, str) and mid:
                            receipts.append(DeliveryReceipt(provider_message_id=mid, state="delivered", at=at))
                    if at and sender:
                        watermarks.append(Watermark(handle=sender, state="delivered", up_to=at, channel_account=page))
                elif isinstance(event.get("read"), dict):
                    at = utc_from_epoch(event["read"].get("watermark"), millis=True)
                    if not (at and sender):
                        raise PayloadError("a read event has no watermark or sender")
                    watermarks.append(Watermark(handle=sender, state="read", up_to=at, channel_account=page))
                else:
                    ignored += 1  # postbacks, reactions, optins, referrals, handovers ...
        return ParsedWebhook(messages=tuple(messages), receipts=tuple(receipts), ignored=ignored,
                             watermarks=tuple(watermarks))

    def handshake(self, request: WebhookRequest, secret: ChannelSecret) -> HttpAnswer | None:
        """Meta's ``hub.challenge`` subscription check (see :func:`server.channels.meta.hub_handshake`)."""
        return hub_handshake(request, secret)

    def success_answer(self, parsed: ParsedWebhook) -> HttpAnswer:
        return JSON_OK

    def outbound(self, to_handle: str, text: str, conversation_ref: dict | None, account: str | None,
                 *, retry_key: str | None = None) -> dict:
        """A Send API text message from our page (``account``, else the conversation's) as a response to the
        person's message. The page access token is added by whoever really sends, never recorded."""
        page_id = account or (conversation_ref or {}).get("page_id") or "me"
        return {
            "method": "POST",
            "url": f"{GRAPH_API}/{page_id}/messages",
            "headers": {"Content-Type": "application/json"},
            "json": {"recipient": {"id": to_handle}, "messaging_type": "RESPONSE", "message": {"text": text}},
        }


def _message(raw: dict[str, Any], sender: str | None, page: str | None, timestamp: Any) -> InboundMessage | None:
    if raw.get("is_echo") is True:
        return None  # our own message coming back; the outbox already has it
    mid = required_str(raw, "mid", "a message")
    if not sender:
        raise PayloadError(f"message {mid} has no sender")
    return InboundMessage(
        provider_message_id=mid,
        sender_handle=sender,
        sender_name=None,  # Messenger sends no names; the profile API would
        text=optional_str(raw, "text") or "",
        attachments=tuple(_attachment(a) for a in as_list(raw.get("attachments"), "attachments")),
        sent_at=utc_from_epoch(timestamp, millis=True),
        channel_account=page,
        conversation_ref={"page_id": page} if page else None,
    )


def _attachment(raw: Any) -> Attachment:
    raw = as_dict(raw, "an attachment")
    payload = raw.get("payload") if isinstance(raw.get("payload"), dict) else {}
    kind = _KINDS.get(optional_str(raw, "type") or "", "file")
    if payload.get("sticker_id") is not None:
        return Attachment(kind="sticker", url=optional_str(payload, "url"),
                          media_id=optional_str(payload, "sticker_id"))
    if kind == "location":
        point = payload.get("coordinates") if isinstance(payload.get("coordinates"), dict) else {}
        return Attachment(kind="location", url=geo_url(point.get("lat"), point.get("long")),
                          name=optional_str(raw, "title"))
    return Attachment(kind=kind, url=optional_str(payload, "url") or optional_str(raw, "url"),
                      name=optional_str(raw, "title") or optional_str(payload, "title"))
