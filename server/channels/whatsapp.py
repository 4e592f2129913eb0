"""WhatsApp Cloud API: the ``whatsapp_business_account`` webhook (messages and statuses) and the Graph send API.

One payload may carry several entries, changes and messages (Meta batches up to 1000 updates) and the same message
twice; every message is returned and the database's UNIQUE (channel, wamid) keeps one.
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

_MEDIA_KINDS = {"image": "image", "video": "video", "audio": "audio", "document": "file", "sticker": "sticker"}
_RECEIPT_STATES = {"sent", "delivered", "read", "failed"}
_IGNORED_TYPES = {"reaction", "system", "request_welcome"}


class WhatsAppAdapter:
    """WhatsApp Business Cloud API webhooks."""

    name = "whatsapp"

    def verify(self, request: WebhookRequest, secret: ChannelSecret) -> None:
        """Check ``X-Hub-Signature-256`` over the raw body. Raises SignatureError."""
        verify_hub_signature(request, secret)

    def parse(self, request: WebhookRequest) -> ParsedWebhook:
        """Messages (text, media, location, contacts, replies to buttons and lists) and statuses.

        Raises:
            PayloadError: not a WhatsApp business account payload, or a message without id or sender.
        """
        payload = json_object(request)
        if payload.get("object") != "whatsapp_business_account":
            raise PayloadError("object is not whatsapp_business_account")
        messages: list[InboundMessage] = []
        receipts: list[DeliveryReceipt] = []
        ignored = 0
        for entry in as_list(payload.get("entry"), "entry"):
            for change in as_list(as_dict(entry, "an entry").get("changes"), "changes"):
                change = as_dict(change, "a change")
                value = optional_dict(change, "value", "a change's value")
                if change.get("field") != "messages":
                    ignored += 1  # message echoes, account and template updates ...
                    continue
                metadata = optional_dict(value, "metadata", "metadata")
                account = optional_str(metadata, "phone_number_id")
                names = _contact_names(value)
                ref = {key: metadata[key] for key in ("phone_number_id", "display_phone_number")
                       if optional_str(metadata, key)}
                for raw in as_list(value.get("messages"), "messages"):
                    message = _message(as_dict(raw, "a message"), names, account, ref or None)
                    if message is None:
                        ignored += 1
                    else:
                        messages.append(message)
                for raw in as_list(value.get("statuses"), "statuses"):
                    receipt = _receipt(as_dict(raw, "a status"))
                    if receipt is None:
                        ignored += 1
                    else:
                        receipts.append(receipt)
        return ParsedWebhook(messages=tuple(messages), receipts=tuple(receipts), ignored=ignored)

    def handshake(self, request: WebhookRequest, secret: ChannelSecret) -> HttpAnswer | None:
        """Meta's ``hub.challenge`` subscription check (see :func:`server.channels.meta.hub_handshake`)."""
        return hub_handshake(request, secret)

    def success_answer(self, parsed: ParsedWebhook) -> HttpAnswer:
        return JSON_OK

    def outbound(self, to_handle: str, text: str, conversation_ref: dict | None, account: str | None,
                 *, retry_key: str | None = None) -> dict:
        """A Graph API text message from our phone number id (``account``, else the conversation's).
        The bearer token is added by whoever really sends, never recorded."""
        phone_number_id = account or (conversation_ref or {}).get("phone_number_id") or "PHONE_NUMBER_ID"
        return {
            "method": "POST",
            "url": f"{GRAPH_API}/{phone_number_id}/messages",
            "headers": {"Content-Type": "application/json"},
            "json": {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to_handle,
                     "type": "text", "text": {"preview_url": False, "body": text}},
        }


def _contact_names(value: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for contact in as_list(value.get("contacts"), "contacts"):
        if not isinstance(contact, dict):
            continue
        profile = contact.get("profile")
        name = optional_str(profile, "name") if isinstance(profile, dict) else None
        if not name:
            continue
        for key in ("wa_id", "user_id"):
            handle = optional_str(contact, key)
            if handle:
                names[handle] = name
    return names


def _message(raw: dict[str, Any], names: dict[str, str], account: str | None,
             ref: dict | None) -> InboundMessage | None:
    kind = optional_str(raw, "type") or "unknown"
    if kind in _IGNORED_TYPES:
        return None
    wamid = required_str(raw, "id", "a message")
    sender = optional_str(raw, "from") or optional_str(raw, "from_user_id")
    if not sender:
        raise PayloadError(f"message {wamid} has no sender")
    text, attachments = _content(kind, raw)
    return InboundMessage(
        provider_message_id=wamid,
        sender_handle=sender,
        sender_name=names.get(sender),
        text=text,
        attachments=attachments,
        sent_at=utc_from_epoch(raw.get("timestamp")),
        channel_account=account,
        conversation_ref=ref,
    )


def _content(kind: str, raw: dict[str, Any]) -> tuple[str, tuple[Attachment, ...]]:
    body = raw.get(kind) if isinstance(raw.get(kind), dict) else {}
    if kind == "text":
        return optional_str(body, "body") or "", ()
    if kind in _MEDIA_KINDS:
        attachment = Attachment(kind=_MEDIA_KINDS[kind], media_id=optional_str(body, "id"),
                                mime_type=optional_str(body, "mime_type"), name=optional_str(body, "filename"))
        return optional_str(body, "caption") or "", (attachment,)
    if kind == "location":
        label = optional_str(body, "name") or optional_str(body, "address")
        return "", (Attachment(kind="location", url=geo_url(body.get("latitude"), body.get("longitude")),
                               name=label),)
    if kind == "contacts":
        shared = [optional_str(c.get("name") or {}, "formatted_name") for c in as_list(raw.get("contacts"), "contacts")
                  if isinstance(c, dict) and isinstance(c.get("name") or {}, dict)]
        return "", (Attachment(kind="contacts", name=", ".join(n for n in shared if n) or None),)
    if kind == "button":
        return optional_str(body, "text") or optional_str(body, "payload") or "", ()
    if kind == "interactive":
        reply_type = optional_str(body, "type") or ""
        reply = body.get(reply_type) if isinstance(body.get(reply_type), dict) else {}
        return optional_str(reply, "title") or optional_str(reply, "body") or "", ()
    return "", (Attachment(kind=kind if kind != "unknown" else "unsupported"),)


def _receipt(raw: dict[str, Any]) -> DeliveryReceipt | None:
    state = optional_str(raw, "status")
    if state not in _RECEIPT_STATES:
        return None  # "deleted", "warning" ...
    error = None
    errors = raw.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        error = ": ".join(part for part in (optional_str(first, "code"), optional_str(first, "title")) if part) or None
    return DeliveryReceipt(provider_message_id=required_str(raw, "id", "a status"), state=state,
                           at=utc_from_epoch(raw.get("timestamp")), error=error)
