"""Messaging-channel adapters: one pure module per provider (verify, parse, handshake, answer, outbound request).

No database and no web framework here: the conversations server calls these through :data:`ADAPTERS`. What each
channel verifies, dedupes on and answers is in docs/channels.md.
"""

from __future__ import annotations

from server.channels.base import (
    Attachment,
    ChannelAdapter,
    ChannelSecret,
    DeliveryReceipt,
    HttpAnswer,
    InboundMessage,
    ParsedWebhook,
    PayloadError,
    SignatureError,
    Watermark,
    WebhookRequest,
)
from server.channels.facebook import FacebookAdapter
from server.channels.line import LineAdapter
from server.channels.sms import SmsAdapter
from server.channels.teams import TeamsAdapter
from server.channels.wechat import WeChatAdapter
from server.channels.whatsapp import WhatsAppAdapter

ADAPTERS: dict[str, ChannelAdapter] = {
    adapter.name: adapter
    for adapter in (SmsAdapter(), WhatsAppAdapter(), FacebookAdapter(), LineAdapter(), WeChatAdapter(), TeamsAdapter())
}


def demo_secret(channel: str) -> str:
    """The embedded default's secret for ``channel`` (``--production`` refuses to start while one is in use)."""
    return f"casework-demo-{channel}"


__all__ = [
    "ADAPTERS", "Attachment", "ChannelAdapter", "ChannelSecret", "DeliveryReceipt", "HttpAnswer", "InboundMessage",
    "ParsedWebhook", "PayloadError", "SignatureError", "Watermark", "WebhookRequest", "demo_secret",
]
