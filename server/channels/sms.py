"""Twilio Programmable Messaging (SMS/MMS): the form post, ``X-Twilio-Signature``, status callbacks, the send API.

The signature is computed exactly as Twilio's own ``twilio-python`` ``RequestValidator`` computes it (its test
vectors are in tests/unit/server/channels/test_sms.py): the full URL, then for each parameter name in sorted order
the name followed by each of its distinct values in sorted order; HMAC-SHA1 with the auth token; Base64. The URL is
tried with and without the scheme's default port (Twilio's back end signs either). For JSON bodies Twilio puts
``bodySHA256=<hex sha256(body)>`` in the URL and signs the URL alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from server.channels.base import (
    Attachment,
    ChannelSecret,
    DeliveryReceipt,
    HttpAnswer,
    InboundMessage,
    ParsedWebhook,
    PayloadError,
    SignatureError,
    WebhookRequest,
    bounded_body,
    geo_url,
    same,
)

TWIML_EMPTY = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
API_BASE = "https://api.twilio.com/2010-04-01"
# MessageStatus values of a status callback that say something about one of our messages.
_RECEIPT_STATES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed",
                   "undelivered": "failed"}
# ... and those that are steps before "sent" (understood, nothing to record).
_PENDING_STATES = {"accepted", "scheduled", "queued", "sending", "canceled"}
_MAX_MEDIA = 10  # Twilio sends at most 10 media items per message


def compute_signature(token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Twilio's signature of ``url`` and the form parameters (pairs; a name may repeat), as twilio-python signs.

    Also what a test or the provider stub uses to sign a request.
    """
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    signed = url + "".join(name + value for name in sorted(values) for value in sorted(values[name]))
    digest = hmac.new(token.encode("utf-8"), signed.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def body_hash(body: bytes) -> str:
    """The ``bodySHA256`` query value Twilio adds for a JSON body."""
    return hashlib.sha256(body).hexdigest()


def url_variants(url: str) -> tuple[str, str]:
    """The URL without and with its scheme's default port, as twilio-python's ``remove_port``/``add_port``."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as exc:
        raise SignatureError("the URL has an invalid port") from exc
    if port:
        without = urlunsplit(parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]))
        return without, url
    default = 443 if parts.scheme == "https" else 80
    return url, urlunsplit(parts._replace(netloc=f"{parts.netloc}:{default}"))


def _form_pairs(body: bytes) -> list[tuple[str, str]]:
    try:
        text = body.decode("ascii")  # a form post is percent-encoded ASCII
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict", max_num_fields=1000)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError(f"the form body cannot be read: {exc}") from exc


def _is_json_variant(request: WebhookRequest) -> bool:
    return request.query_value("bodySHA256") is not None


class SmsAdapter:
    """Twilio SMS/MMS webhooks (also Twilio-for-WhatsApp, whose From/To carry a ``whatsapp:`` prefix)."""

    name = "sms"

    def verify(self, request: WebhookRequest, secret: ChannelSecret) -> None:
        """Check ``X-Twilio-Signature``.

        Raises:
            SignatureError: missing or wrong signature, or a ``bodySHA256`` that does not match the body.
        """
        given = request.header("x-twilio-signature")
        if not given:
            raise SignatureError("the X-Twilio-Signature header is missing")
        body = bounded_body(request) if request.method == "POST" else b""
        if _is_json_variant(request):
            if not same(request.query_value("bodySHA256") or "", body_hash(body)):
                raise SignatureError("bodySHA256 does not match the body")
            pairs: list[tuple[str, str]] = []
        elif request.method == "POST":
            try:
                pairs = _form_pairs(body)
            except PayloadError as exc:
                raise SignatureError("the signature cannot match an unreadable body") from exc
        else:
            pairs = []  # a GET webhook carries its parameters in the (signed) URL
        variants = url_variants(request.url)
        # both variants are always computed: which one matched must not show in the timing
        matches = [same(given, compute_signature(secret.secret, variant, pairs)) for variant in variants]
        if not any(matches):
            raise SignatureError("X-Twilio-Signature does not match")

    def parse(self, request: WebhookRequest) -> ParsedWebhook:
        """An inbound message (``MessageSid``, ``From``, ``Body``, media) or a status callback (``MessageStatus``).

        Raises:
            PayloadError: not a form, or a message without MessageSid or From.
        """
        if _is_json_variant(request):
            # JSON-bodied Twilio webhooks (Event Streams, Conversations) are not messages of this channel.
            return ParsedWebhook(messages=(), receipts=(), ignored=1)
        if request.method == "POST":
            pairs = _form_pairs(bounded_body(request))
        else:
            pairs = [(name, value) for name, values in request.query.items() for value in values]
        form: dict[str, str] = {}
        for name, value in pairs:
            form.setdefault(name, value)  # the first value wins; Twilio never repeats these names
        sid = form.get("MessageSid") or form.get("SmsMessageSid") or form.get("SmsSid")
        if not sid:
            raise PayloadError("the form has no MessageSid")
        status = (form.get("MessageStatus") or "").lower()
        if status in _RECEIPT_STATES:
            error = form.get("ErrorCode") or None
            if error and form.get("ErrorMessage"):
                error = f"{error}: {form['ErrorMessage']}"
            return ParsedWebhook(messages=(), receipts=(DeliveryReceipt(sid, _RECEIPT_STATES[status], None, error),))
        if status in _PENDING_STATES:
            return ParsedWebhook(messages=(), receipts=(), ignored=1)
        sender = form.get("From")
        if not sender:
            raise PayloadError("the message has no From")
        ref = {key: form[field] for key, field in (("account_sid", "AccountSid"), ("to", "To"),
                                                 ("messaging_service_sid", "MessagingServiceSid")) if form.get(field)}
        message = InboundMessage(
            provider_message_id=sid,
            sender_handle=sender,
            sender_name=form.get("ProfileName") or None,
            text=form.get("Body", ""),
            attachments=_attachments(form),
            sent_at=None,  # Twilio's inbound form carries no timestamp
            channel_account=form.get("To") or None,
            conversation_ref=ref or None,
        )
        return ParsedWebhook(messages=(message,), receipts=())

    def handshake(self, request: WebhookRequest, secret: ChannelSecret) -> HttpAnswer | None:
        return None  # Twilio has no verification handshake

    def success_answer(self, parsed: ParsedWebhook) -> HttpAnswer:
        """Empty TwiML: Twilio sends no automatic reply."""
        return HttpAnswer(200, "text/xml", TWIML_EMPTY)

    def outbound(self, to_handle: str, text: str, conversation_ref: dict | None, account: str | None,
                 *, retry_key: str | None = None) -> dict:
        """The Messages API form post. ``account`` is our number (``From``); without one the conversation's
        messaging service sends. The account sid comes from the conversation (a placeholder when unknown).
        Credentials (Basic auth: account sid and auth token) are added by whoever really sends, never recorded.
        """
        ref = conversation_ref or {}
        account_sid = ref.get("account_sid") or "ACCOUNT_SID"
        form = {"To": to_handle, "Body": text}
        sender = account or ref.get("to")
        if ref.get("messaging_service_sid") and not account:
            form["MessagingServiceSid"] = ref["messaging_service_sid"]
        elif sender:
            form["From"] = sender
        return {
            "method": "POST",
            "url": f"{API_BASE}/Accounts/{account_sid}/Messages.json",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            "form": form,
        }


def _attachments(form: dict[str, str]) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    try:
        count = min(int(form.get("NumMedia") or 0), _MAX_MEDIA)
    except ValueError as exc:
        raise PayloadError("NumMedia is not a number") from exc
    for index in range(max(count, 0)):
        url = form.get(f"MediaUrl{index}")
        if not url:
            continue
        mime = form.get(f"MediaContentType{index}") or None
        found.append(Attachment(kind=_kind(mime), url=url, mime_type=mime))
    if form.get("Latitude") and form.get("Longitude"):
        point = geo_url(form["Latitude"], form["Longitude"])
        if point:
            found.append(Attachment(kind="location", url=point, name=form.get("Address") or form.get("Label")))
    return tuple(found)


def _kind(mime: str | None) -> str:
    major = (mime or "").split("/", 1)[0]
    return major if major in {"image", "audio", "video"} else "file"
