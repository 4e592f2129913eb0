"""WeChat Official Account (公众号): the XML push, the ``signature``/``timestamp``/``nonce`` query check, the
``echostr`` handshake, and the customer-service message API.

In plaintext mode the signature covers only the token, timestamp and nonce, not the body: it proves the sender knew
the token, not that the body is intact. Safe mode (``encrypt_type=aes``, AES bodies) is not supported. The dedupe
key is ``MsgId``; events (subscribe, menu clicks ...) have none and are counted as ignored. WeChat re-sends a
message up to three times when no answer comes within five seconds, so the database constraint matters here.
The Official Account push is XML; the JSON form of the same fields (other WeChat products, the documentation's
plaintext example) is read too.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ElementTree
from typing import Any

from server.channels.base import (
    Attachment,
    ChannelSecret,
    HttpAnswer,
    InboundMessage,
    ParsedWebhook,
    PayloadError,
    SignatureError,
    WebhookRequest,
    bounded_body,
    geo_url,
    json_object,
    optional_str,
    same,
    utc_from_epoch,
)

SEND_API = "https://api.weixin.qq.com/cgi-bin/message/custom/send"
_ECHOSTR = re.compile(r"[0-9A-Za-z_-]{1,128}")
_DECLARATIONS = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_MEDIA_KINDS = {"image": "image", "voice": "audio", "video": "video", "shortvideo": "video"}


def sign(token: str, timestamp: str, nonce: str) -> str:
    """The ``signature`` query value: hex SHA-1 of the sorted token, timestamp and nonce joined (for tests too)."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode("utf-8")).hexdigest()


class WeChatAdapter:
    """WeChat Official Account message push (plaintext and compatible mode)."""

    name = "wechat"

    def verify(self, request: WebhookRequest, secret: ChannelSecret) -> None:
        """Check the query's ``signature`` against the token, ``timestamp`` and ``nonce``.

        Raises:
            SignatureError: a part is missing or the signature does not match.
        """
        signature = request.query_value("signature")
        timestamp = request.query_value("timestamp")
        nonce = request.query_value("nonce")
        if not (signature and timestamp and nonce):
            raise SignatureError("signature, timestamp and nonce are required in the query")
        if not same(signature.lower(), sign(secret.secret, timestamp, nonce)):
            raise SignatureError("the signature does not match")

    def parse(self, request: WebhookRequest) -> ParsedWebhook:
        """A message (text, image, voice, video, location, link) or an event.

        Raises:
            PayloadError: unreadable XML/JSON, DTDs or entities, an encrypted body, or a message without MsgId
                or FromUserName.
        """
        fields = _fields(request)
        kind = fields.get("MsgType") or ""
        if not kind and fields.get("Encrypt"):
            raise PayloadError("encrypted (safe mode) messages are not supported")
        if not kind:
            raise PayloadError("the message has no MsgType")
        if kind == "event":
            return ParsedWebhook(messages=(), receipts=(), ignored=1)
        msg_id = fields.get("MsgId")
        sender = fields.get("FromUserName")
        if not msg_id:
            raise PayloadError("the message has no MsgId")
        if not sender:
            raise PayloadError(f"message {msg_id} has no FromUserName")
        text, attachments = _content(kind, fields)
        account = fields.get("ToUserName")
        message = InboundMessage(
            provider_message_id=msg_id,
            sender_handle=sender,
            sender_name=None,
            text=text,
            attachments=attachments,
            sent_at=utc_from_epoch(fields.get("CreateTime")),
            channel_account=account,
            conversation_ref={"to_user_name": account} if account else None,
        )
        return ParsedWebhook(messages=(message,), receipts=())

    def handshake(self, request: WebhookRequest, secret: ChannelSecret) -> HttpAnswer | None:
        """The server-verification GET: a signed query with ``echostr``, answered with ``echostr`` itself.

        Returns None for any other request.

        Raises:
            SignatureError: the signature does not match.
            PayloadError: ``echostr`` is not a plain token.
        """
        echostr = request.query_value("echostr")
        if request.method != "GET" or echostr is None:
            return None
        self.verify(request, secret)
        if not _ECHOSTR.fullmatch(echostr):
            raise PayloadError("echostr is not a plain token")
        return HttpAnswer(200, "text/plain", echostr.encode("ascii"))

    def success_answer(self, parsed: ParsedWebhook) -> HttpAnswer:
        """``success``: WeChat neither retries nor expects a passive reply."""
        return HttpAnswer(200, "text/plain", b"success")

    def outbound(self, to_handle: str, text: str, conversation_ref: dict | None, account: str | None,
                 *, retry_key: str | None = None) -> dict:
        """A customer-service text message to the follower's OpenID. Whoever really sends appends
        ``?access_token=``; it is never recorded."""
        return {
            "method": "POST",
            "url": SEND_API,
            "headers": {"Content-Type": "application/json"},
            "json": {"touser": to_handle, "msgtype": "text", "text": {"content": text}},
        }


def _fields(request: WebhookRequest) -> dict[str, str]:
    """The push's top-level fields as strings, from XML or JSON."""
    body = bounded_body(request).strip()
    if body.startswith(b"{"):
        document: dict[str, Any] = json_object(request)
        return {key: value for key in document if (value := optional_str(document, key)) is not None}
    if _DECLARATIONS.search(body):
        raise PayloadError("DTDs and entities are not accepted")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise PayloadError(f"the body is not XML: {exc}") from exc
    if root.tag != "xml":
        raise PayloadError("the root element is not <xml>")
    return {child.tag: child.text or "" for child in root if len(child) == 0}


def _content(kind: str, fields: dict[str, str]) -> tuple[str, tuple[Attachment, ...]]:
    if kind == "text":
        return fields.get("Content", ""), ()
    if kind in _MEDIA_KINDS:
        fmt = fields.get("Format")
        attachment = Attachment(kind=_MEDIA_KINDS[kind], url=fields.get("PicUrl") or None,
                                media_id=fields.get("MediaId") or None,
                                mime_type=f"audio/{fmt.lower()}" if kind == "voice" and fmt else None)
        return fields.get("Recognition", ""), (attachment,)  # Recognition: WeChat's speech-to-text, when enabled
    if kind == "location":
        point = geo_url(fields.get("Location_X"), fields.get("Location_Y"))
        return "", (Attachment(kind="location", url=point, name=fields.get("Label") or None),)
    if kind == "link":
        return fields.get("Description", ""), (Attachment(kind="link", url=fields.get("Url") or None,
                                                          name=fields.get("Title") or None),)
    return "", (Attachment(kind="unsupported"),)
