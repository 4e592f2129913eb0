"""What every messaging-channel adapter shares: the request it is given, what it returns, its two errors.

Adapters are pure: no database, no Starlette. The webhook endpoint builds a :class:`WebhookRequest` from what it
received, calls ``verify`` (a :class:`SignatureError` answers 401 and stores nothing), then ``parse`` (a
:class:`PayloadError` answers 400 and stores nothing), stores what came back, and answers ``success_answer``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

# The server already refuses bodies over 64 KiB; the adapters check again so they stay safe when called alone.
MAX_BODY_BYTES = 64 * 1024


class SignatureError(Exception):
    """The request is not provably from the provider (bad, missing or expired proof). Answer 401; store nothing."""


class PayloadError(Exception):
    """The request is authentic (or not yet checked) but its body cannot be understood. Answer 400; store nothing."""


@dataclass(frozen=True)
class ChannelSecret:
    """What an account of a channel needs to check its webhooks.

    Attributes:
        secret: Twilio auth token, Meta app secret, LINE channel secret or WeChat token.
        verify_token: WhatsApp/Facebook ``hub.verify_token`` for the GET handshake.
        jwks: Teams: a JWK set (``{"keys": [...]}``) to check the Bot Framework JWT against.
        app_id: Teams: the bot's Microsoft app id (the JWT audience).
        issuer: Teams: the expected issuer (``https://api.botframework.com`` when None).
    """

    secret: str
    verify_token: str | None = None
    jwks: dict | None = None
    app_id: str | None = None
    issuer: str | None = None


@dataclass(frozen=True)
class WebhookRequest:
    """One webhook call as the provider made it.

    Attributes:
        method: ``"POST"`` or ``"GET"``.
        url: The full URL as the provider called it, ``scheme://host[:port]/path?query``.
        headers: Header names lower-cased.
        query: The parsed query string, repeated keys kept in order.
        body: The raw bytes exactly as received (signatures cover these, never a re-serialisation).
    """

    method: str
    url: str
    headers: Mapping[str, str]
    query: Mapping[str, list[str]]
    body: bytes

    @classmethod
    def build(cls, method: str, url: str, headers: Mapping[str, str] | None = None,
              body: bytes = b"") -> WebhookRequest:
        """Make a request from a URL and headers in any case (the query is parsed from the URL; blanks kept).

        An addition to the agreed interface, for tests, the provider stub and the endpoint alike.
        """
        query = parse_qs(urlsplit(url).query, keep_blank_values=True)
        lowered = {name.lower(): value for name, value in (headers or {}).items()}
        return cls(method=method.upper(), url=url, headers=lowered, query=query, body=body)

    def header(self, name: str) -> str | None:
        """The header's value, or None (the name in any case)."""
        return self.headers.get(name.lower())

    def query_value(self, name: str) -> str | None:
        """The first value of a query parameter, or None."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Attachment:
    """A non-text part of a message. ``kind`` is image, audio, video, file, location, sticker, contacts, card ...

    A location has ``url="geo:<lat>,<long>"`` (RFC 5870) and its label or address as ``name``.
    """

    kind: str
    url: str | None = None
    media_id: str | None = None
    mime_type: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    """A customer's message as the provider delivered it.

    ``provider_message_id`` is the dedupe key (the database's UNIQUE constraint on (channel, id) makes retries and
    duplicates inside one payload harmless). ``event_id`` (an addition to the agreed interface) keeps a provider's
    separate delivery id apart, e.g. LINE's ``webhookEventId``.
    """

    provider_message_id: str
    sender_handle: str
    sender_name: str | None
    text: str
    attachments: tuple[Attachment, ...] = ()
    sent_at: datetime | None = None
    channel_account: str | None = None
    conversation_ref: dict | None = None
    redelivery: bool = False
    event_id: str | None = None


@dataclass(frozen=True)
class DeliveryReceipt:
    """A provider's report about one of OUR outbound messages: sent, delivered, read or failed."""

    provider_message_id: str
    state: str
    at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True)
class Watermark:
    """A receipt without message ids (an addition to the agreed interface): every message we sent to ``handle``
    on ``channel_account`` at or before ``up_to`` reached ``state``. Messenger's delivery and read events."""

    handle: str
    state: str
    up_to: datetime
    channel_account: str | None = None


@dataclass(frozen=True)
class ParsedWebhook:
    """Everything one webhook call carried. ``ignored`` counts events understood but not stored."""

    messages: tuple[InboundMessage, ...]
    receipts: tuple[DeliveryReceipt, ...]
    ignored: int = 0
    watermarks: tuple[Watermark, ...] = field(default=())


@dataclass(frozen=True)
class HttpAnswer:
    """What the endpoint answers the provider on success or to a handshake."""

    status: int
    content_type: str
    body: bytes


class ChannelAdapter(Protocol):
    """One messaging provider's webhook and send API, as pure functions."""

    name: str

    def verify(self, request: WebhookRequest, secret: ChannelSecret) -> None: ...

    def parse(self, request: WebhookRequest) -> ParsedWebhook: ...

    def handshake(self, request: WebhookRequest, secret: ChannelSecret) -> HttpAnswer | None: ...

    def success_answer(self, parsed: ParsedWebhook) -> HttpAnswer: ...

    def outbound(self, to_handle: str, text: str, conversation_ref: dict | None, account: str | None,
                 *, retry_key: str | None = None) -> dict: ...


# --- helpers shared by the adapters -------------------------------------------------------------------------------

JSON_OK = HttpAnswer(200, "application/json", b"{}")


def bounded_body(request: WebhookRequest) -> bytes:
    """The body, or PayloadError when it is larger than any provider sends."""
    if len(request.body) > MAX_BODY_BYTES:
        raise PayloadError(f"the body is larger than {MAX_BODY_BYTES} bytes")
    return request.body


def json_object(request: WebhookRequest) -> dict[str, Any]:
    """The body as a JSON object (UTF-8, bounded in size), or PayloadError.

    Nesting needs no separate bound: the parser raises RecursionError (caught) long before 64 KiB of brackets, and
    the adapters walk payloads at fixed depths, never recursively.
    """
    body = bounded_body(request)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError("the body is not UTF-8") from exc
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"the body is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise PayloadError("the body is not a JSON object")
    return value


def as_dict(value: Any, what: str) -> dict[str, Any]:
    """``value`` if it is a JSON object, else PayloadError naming ``what``."""
    if not isinstance(value, dict):
        raise PayloadError(f"{what} is not an object")
    return value


def optional_dict(mapping: Mapping[str, Any], key: str, what: str) -> dict[str, Any]:
    """``mapping[key]`` if it is an object, {} if it is absent or null, else PayloadError naming ``what``."""
    value = mapping.get(key)
    return {} if value is None else as_dict(value, what)


def as_list(value: Any, what: str) -> list[Any]:
    """``value`` if it is a JSON array (a missing one is empty), else PayloadError naming ``what``."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{what} is not an array")
    return value


def required_str(mapping: Mapping[str, Any], key: str, what: str) -> str:
    """A non-empty string (numbers are accepted and written in decimal), else PayloadError."""
    value = mapping.get(key)
    if isinstance(value, bool) or value is None:
        raise PayloadError(f"{what} has no {key}")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{what} has no {key}")
    return value


def optional_str(mapping: Mapping[str, Any], key: str) -> str | None:
    """A string value or None (numbers written in decimal; other types dropped)."""
    value = mapping.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) and value else None


def utc_from_epoch(value: Any, *, millis: bool = False) -> datetime | None:
    """A UTC datetime from epoch seconds (or milliseconds), given as a number or a decimal string; None if absent
    or not a plausible time."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if millis:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def utc_from_iso(value: Any) -> datetime | None:
    """A UTC datetime from an ISO 8601 string (``Z`` or an offset), None if absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def geo_url(latitude: Any, longitude: Any) -> str | None:
    """``geo:<lat>,<long>`` when both are numbers in range, else None."""
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return f"geo:{lat!r},{lon!r}"


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def hmac_sha256_base64(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def same(given: str, expected: str) -> bool:
    """Constant-time comparison of two signatures (as ASCII bytes; non-ASCII input never matches)."""
    try:
        return hmac.compare_digest(given.encode("ascii"), expected.encode("ascii"))
    except UnicodeEncodeError:
        return False
