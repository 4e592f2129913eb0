"""Microsoft Teams through the Bot Framework: the Activity webhook, its bearer JWT, and the reply API.

The connector signs each call with an RS256 JWT. It is checked with PyJWT against a configured JWK set (the
Bot Framework's published keys in production, a generated demo set here): signature, audience = the bot's app id,
issuer, expiry and not-before (5 minutes' clock skew, as the Bot Framework documents), and the ``serviceurl`` claim
equal to the activity's ``serviceUrl`` so a token cannot be replayed to make us post elsewhere. Keys that carry
``endorsements`` must endorse the activity's ``channelId``.

Activity ids are unique only within a conversation, so the dedupe key is ``<conversation.id>|<activity id>``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from typing import Any
from urllib.parse import quote, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

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
    as_list,
    json_object,
    optional_dict,
    optional_str,
    required_str,
    utc_from_iso,
)

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
CLOCK_SKEW_SECONDS = 300
_MENTION = re.compile(r"<at>(.*?)</at>", re.DOTALL)
_CARD = "application/vnd.microsoft.card."
_FILE_INFO = "application/vnd.microsoft.teams.file.download.info"


class TeamsAdapter:
    """Bot Framework activities from Microsoft Teams."""

    name = "teams"

    def verify(self, request: WebhookRequest, secret: ChannelSecret) -> None:
        """Check the ``Authorization: Bearer <JWT>`` against ``secret.jwks``, ``secret.app_id`` and the issuer.

        Raises:
            SignatureError: no or malformed token, unknown key, bad signature, wrong audience or issuer, expired
                or not yet valid, or a ``serviceurl`` claim that is not the activity's ``serviceUrl``.
        """
        if not secret.jwks or not secret.app_id:
            raise SignatureError("no key set or app id is configured for this bot")
        scheme, _, token = (request.header("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise SignatureError("the Authorization header has no bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise SignatureError(f"the token cannot be read: {exc}") from exc
        key_data = _find_key(secret.jwks, header.get("kid"))
        try:
            key = jwt.PyJWK(key_data, algorithm="RS256")
            claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=secret.app_id,
                                issuer=secret.issuer or BOT_FRAMEWORK_ISSUER, leeway=CLOCK_SKEW_SECONDS,
                                options={"require": ["exp", "iss", "aud"]})
        except jwt.PyJWTError as exc:  # every PyJWT failure, the configured key's included
            raise SignatureError(f"the token is not valid: {exc}") from exc
        try:
            activity = json_object(request)
        except PayloadError as exc:
            raise SignatureError("the token's serviceurl cannot be matched to an unreadable activity") from exc
        claimed = claims.get("serviceurl", claims.get("serviceUrl"))
        if not isinstance(claimed, str) or claimed != activity.get("serviceUrl"):
            raise SignatureError("the token's serviceurl is not the activity's serviceUrl")
        endorsements = key_data.get("endorsements")
        if isinstance(endorsements, list) and activity.get("channelId") not in endorsements:
            raise SignatureError("the signing key does not endorse this channel")

    def parse(self, request: WebhookRequest) -> ParsedWebhook:
        """A ``message`` activity (text without the bot's mention, attachments); other activity types
        (conversationUpdate, messageReaction, typing, invoke ...) are counted as ignored.

        Raises:
            PayloadError: not an activity, or a message without id, from.id, conversation.id or serviceUrl.
        """
        activity = json_object(request)
        kind = required_str(activity, "type", "the activity")
        if kind != "message":
            return ParsedWebhook(messages=(), receipts=(), ignored=1)
        activity_id = required_str(activity, "id", "the activity")
        sender = optional_dict(activity, "from", "the activity's from")
        conversation = optional_dict(activity, "conversation", "the activity's conversation")
        recipient = optional_dict(activity, "recipient", "the activity's recipient")
        conversation_id = required_str(conversation, "id", "the activity's conversation")
        service_url = required_str(activity, "serviceUrl", "the activity")
        channel_data = optional_dict(activity, "channelData", "channelData")
        tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), dict) else {}
        ref = {key: value for key, value in (
            ("service_url", service_url), ("conversation_id", conversation_id), ("activity_id", activity_id),
            ("bot_id", optional_str(recipient, "id")), ("bot_name", optional_str(recipient, "name")),
            ("tenant_id", optional_str(tenant, "id")), ("channel_id", optional_str(activity, "channelId")),
        ) if value}
        message = InboundMessage(
            provider_message_id=f"{conversation_id}|{activity_id}",
            sender_handle=required_str(sender, "id", "the activity's from"),
            sender_name=optional_str(sender, "name"),
            text=_text(activity, optional_str(recipient, "id")),
            attachments=tuple(a for a in map(_attachment, as_list(activity.get("attachments"), "attachments")) if a),
            sent_at=utc_from_iso(activity.get("timestamp")),
            channel_account=optional_str(recipient, "id"),
            conversation_ref=ref,
        )
        return ParsedWebhook(messages=(message,), receipts=())

    def handshake(self, request: WebhookRequest, secret: ChannelSecret) -> HttpAnswer | None:
        return None  # the Bot Framework has no verification handshake

    def success_answer(self, parsed: ParsedWebhook) -> HttpAnswer:
        return JSON_OK

    def outbound(self, to_handle: str, text: str, conversation_ref: dict | None, account: str | None,
                 *, retry_key: str | None = None) -> dict:
        """A message activity posted to ``<serviceUrl>/v3/conversations/<id>/activities``, as a reply to the
        customer's last activity. The connector token is added by whoever really sends, never recorded.

        Raises:
            ValueError: the conversation has no https/http service URL or no conversation id.
        """
        ref = conversation_ref or {}
        service_url, conversation_id = ref.get("service_url"), ref.get("conversation_id")
        if not (isinstance(service_url, str) and urlsplit(service_url).scheme in {"https", "http"}
                and isinstance(conversation_id, str) and conversation_id):
            raise ValueError("a Teams reply needs the conversation's service_url and conversation_id")
        bot = {key: value for key, value in (("id", account or ref.get("bot_id")), ("name", ref.get("bot_name")))
               if value}
        activity: dict[str, Any] = {"type": "message", "text": text, "textFormat": "plain",
                                    "recipient": {"id": to_handle}, "conversation": {"id": conversation_id}}
        if bot:
            activity["from"] = bot
        if ref.get("activity_id"):
            activity["replyToId"] = ref["activity_id"]
        return {
            "method": "POST",
            "url": f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}/activities",
            "headers": {"Content-Type": "application/json"},
            "json": activity,
        }


def _find_key(jwks: dict, kid: Any) -> dict:
    if not isinstance(kid, str) or not kid:
        raise SignatureError("the token names no key (kid)")
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    for key in keys if isinstance(keys, list) else ():
        if isinstance(key, dict) and key.get("kid") == kid:
            return key
    raise SignatureError(f"the token's key {kid!r} is not in the configured key set")


def _text(activity: dict[str, Any], bot_id: str | None) -> str:
    """The text with the bot's own @mention removed (Teams puts ``<at>Bot</at>`` into channel messages)."""
    text = optional_str(activity, "text") or ""
    bot_mentions = set()
    for entity in as_list(activity.get("entities"), "entities"):
        if isinstance(entity, dict) and entity.get("type") == "mention":
            mentioned = entity.get("mentioned") if isinstance(entity.get("mentioned"), dict) else {}
            if bot_id and mentioned.get("id") == bot_id and isinstance(entity.get("text"), str):
                bot_mentions.add(entity["text"])
    for mention in bot_mentions:
        text = text.replace(mention, "")
    return text.strip() if bot_mentions else text


def _attachment(raw: Any) -> Attachment | None:
    if not isinstance(raw, dict):
        raise PayloadError("an attachment is not an object")
    content_type = optional_str(raw, "contentType") or ""
    name = optional_str(raw, "name")
    if content_type == "text/html" and not optional_str(raw, "contentUrl"):
        return None  # Teams mirrors the message text as HTML; the text is already taken
    if content_type == _FILE_INFO:
        content = raw.get("content") if isinstance(raw.get("content"), dict) else {}
        return Attachment(kind="file", url=optional_str(content, "downloadUrl"), name=name)
    if content_type.startswith(_CARD):
        return Attachment(kind="card", mime_type=content_type, name=name)
    major = content_type.split("/", 1)[0]
    kind = major if major in {"image", "audio", "video"} else "file"
    return Attachment(kind=kind, url=optional_str(raw, "contentUrl"), mime_type=content_type or None, name=name)


# --- the demo key set (tests and the embedded default; production configures the Bot Framework's keys) ------------

def generate_demo_keyset() -> tuple[bytes, dict]:
    """A fresh RSA-2048 key: its private PEM and a JWK set holding its public half (``kid`` = RFC 7638 thumbprint).

    Returns:
        ``(private_pem, {"keys": [jwk]})``.
    """
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
    jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    thumbprint = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    kid = base64.urlsafe_b64encode(hashlib.sha256(thumbprint.encode("ascii")).digest()).rstrip(b"=").decode("ascii")
    return private_pem, {"keys": [{**jwk, "kid": kid, "use": "sig", "alg": "RS256"}]}


def sign_demo_token(private_pem: bytes, kid: str, app_id: str, issuer: str, service_url: str,
                    ttl: int = 300) -> str:
    """A connector-style bearer token: RS256, ``aud`` = app id, ``iss``, ``serviceurl``, valid for ``ttl`` seconds."""
    now = int(time.time())
    claims = {"iss": issuer, "aud": app_id, "serviceurl": service_url, "nbf": now, "iat": now, "exp": now + ttl}
    # The demo key is our own (generate_demo_keyset), so the ~0.1 s RSA consistency check on every load is skipped.
    key = serialization.load_pem_private_key(private_pem, password=None, unsafe_skip_rsa_key_validation=True)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
