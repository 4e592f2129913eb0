"""Security headers on every response, the Content-Security-Policy first.

Pyodide and PyScript need ``'unsafe-eval'`` and ``'wasm-unsafe-eval'`` in ``script-src`` (measured: neither boots
without them). ``'unsafe-inline'`` stays out of ``script-src`` so an injected ``<script>`` or ``onerror=`` attribute
cannot run even if record text ever reached the page as HTML; our boot JavaScript therefore lives in files.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_POLICY = [
    "default-src 'self'",
    "script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'",
    # Style elements only from our files; style="" attributes stay (the page positions popups with them).
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    # Tabs show web resources (this origin) and third-party websites (https only), in sandboxed iframes.
    "frame-src 'self' https:",
]
CONTENT_SECURITY_POLICY = "; ".join([*_POLICY, "frame-ancestors 'none'"])
#: Web resources (``web/webresources/``) are made to be framed by the workspace, and only by it.
WEB_RESOURCE_POLICY = "; ".join([*_POLICY, "frame-ancestors 'self'"])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


HSTS = "max-age=31536000"


class SecurityHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` to every HTTP response (static files, API and errors alike)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        # --production runs behind TLS: browsers then refuse plain HTTP to this host for a year.
        self.headers = {**SECURITY_HEADERS, **({"Strict-Transport-Security": HSTS} if hsts else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
