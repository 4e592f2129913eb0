"""What WhatsApp Cloud API and Messenger share: Meta's ``X-Hub-Signature-256`` and the ``hub.challenge`` handshake.

The signature is ``sha256=`` + lower-case hex HMAC-SHA256 of the raw body with the app secret. Meta computes it on
the escaped bytes it sent (``\\u00e4``, ``\\/``), so it is checked over the exact bytes received, never over a
re-serialisation. The legacy SHA-1 ``X-Hub-Signature`` is not accepted.
"""

from __future__ import annotations

import re

from server.channels.base import (
    ChannelSecret,
    HttpAnswer,
    PayloadError,
    SignatureError,
    WebhookRequest,
    bounded_body,
    hmac_sha256_hex,
    same,
)

GRAPH_API = "https://graph.facebook.com/v21.0"
_SIGNATURE = re.compile(r"sha256=[0-9a-fA-F]{64}")
# Meta's challenge is a number; anything else is refused rather than reflected.
_CHALLENGE = re.compile(r"[0-9A-Za-z_-]{1,128}")


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body`` (for tests and the provider stub)."""
    return "sha256=" + hmac_sha256_hex(secret, body)


def verify_hub_signature(request: WebhookRequest, secret: ChannelSecret) -> None:
    """Raises SignatureError unless ``X-Hub-Signature-256`` is the body's HMAC with the app secret."""
    given = request.header("x-hub-signature-256")
    if not given:
        raise SignatureError("the X-Hub-Signature-256 header is missing")
    if not _SIGNATURE.fullmatch(given):
        raise SignatureError("X-Hub-Signature-256 is not sha256=<64 hex digits>")
    if not same(given[7:].lower(), hmac_sha256_hex(secret.secret, bounded_body(request))):
        raise SignatureError("X-Hub-Signature-256 does not match the body")


def hub_handshake(request: WebhookRequest, secret: ChannelSecret) -> HttpAnswer | None:
    """Answer Meta's subscription check ``GET ?hub.mode=subscribe&hub.verify_token=..&hub.challenge=..``.

    Returns None for any request that is not that check.

    Raises:
        SignatureError: the verify token is wrong or none is configured.
        PayloadError: the challenge is missing or not a plain token.
    """
    if request.method != "GET" or request.query_value("hub.mode") is None:
        return None
    if request.query_value("hub.mode") != "subscribe":
        raise PayloadError("hub.mode is not subscribe")
    expected = secret.verify_token
    given = request.query_value("hub.verify_token") or ""
    if not expected or not same(given, expected):
        raise SignatureError("hub.verify_token does not match")
    challenge = request.query_value("hub.challenge") or ""
    if not _CHALLENGE.fullmatch(challenge):
        raise PayloadError("hub.challenge is missing or not a plain token")
    return HttpAnswer(200, "text/plain", challenge.encode("ascii"))
