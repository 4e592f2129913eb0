"""``Server-Timing`` on every API response: how long the server spent on it (``app;dur=<ms>``).

The browser exposes it in Resource Timing (``entry.serverTiming``) and the network panel, so a slow request shows at
once whether the time went to the server or to the wire and the page's own event loop (``bench/workspace.py``
reports the split).
"""

from __future__ import annotations

import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ServerTimingMiddleware:
    """Adds ``Server-Timing: app;dur=<ms>`` (time from receiving the request to starting the response) to ``/api/``
    responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = (time.perf_counter() - started) * 1000
                MutableHeaders(scope=message).append("Server-Timing", f"app;dur={elapsed_ms:.1f}")
            await send(message)

        await self.app(scope, receive, send_with_timing)
