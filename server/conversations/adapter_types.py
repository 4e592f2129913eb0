"""The adapter boundary's types: from ``server.channels`` (the adapters branch) when present, else the same shapes
defined here (docs: /work/notes/channels-interface.md), so the server runs and tests with a fake adapter meanwhile."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

try:  # pragma: no cover - depends on the adapters being merged
    from server.channels import ChannelSecret  # type: ignore[attr-defined]
    from server.channels.base import (  # type: ignore[import-not-found]
        HttpAnswer,
        PayloadError,
        SignatureError,
        WebhookRequest,
    )
except ImportError:
    @dataclass(frozen=True)
    class WebhookRequest:  # type: ignore[no-redef]
        method: str
        url: str
        headers: Mapping[str, str]
        query: Mapping[str, list[str]]
        body: bytes

    @dataclass(frozen=True)
    class HttpAnswer:  # type: ignore[no-redef]
        status: int
        content_type: str
        body: bytes

    class SignatureError(Exception):  # type: ignore[no-redef]
        """The request's signature does not verify."""

    class PayloadError(Exception):  # type: ignore[no-redef]
        """The payload cannot be read."""

    @dataclass(frozen=True)
    class ChannelSecret:  # type: ignore[no-redef]
        secret: str
        verify_token: str | None = None
        jwks: dict | None = None
        app_id: str | None = None
        issuer: str | None = None


def load_adapters() -> dict:
    """The channel adapters by name (none until ``server.channels`` exists)."""
    try:
        from server.channels import ADAPTERS  # type: ignore[attr-defined]
    except ImportError:
        return {}
    return dict(ADAPTERS)


__all__ = ["ChannelSecret", "HttpAnswer", "PayloadError", "SignatureError", "WebhookRequest", "load_adapters"]
