"""How uvicorn serves the app: its limits and whom it trusts, set explicitly rather than left to its defaults.

- **Proxy headers**: ``X-Forwarded-For``/``-Proto`` are believed only from the addresses given with
  ``--forwarded-allow-ips`` (default: nobody). uvicorn's own default trusts 127.0.0.1, so any local process could
  claim to be any client and get fresh sign-in attempts with each claim.
- **Request head size**: the request line plus headers are at most :data:`MAX_HEAD_BYTES`; a bigger head is
  answered 431 and the connection closed. httptools (uvicorn's fast parser) has no limit of its own: a 100 MB
  header was accepted, holding ~90 MB per connection (measured); h11's limit is set to the same number.
- **Concurrency**: at most :data:`LIMIT_CONCURRENCY` connections and tasks at once; beyond that uvicorn answers
  503 at once instead of taking memory for each.
"""

from __future__ import annotations

from typing import Any

MAX_HEAD_BYTES = 64 * 1024
LIMIT_CONCURRENCY = 256
KEEP_ALIVE_SECONDS = 5

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is pinned in requirements.txt
    HttpToolsProtocol = None


if HttpToolsProtocol is not None:

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol with a bound on each request's head (request line and headers)."""

        _head_bytes = 0
        _in_head = True

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head = True

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._head_bytes = 0
            super().on_headers_complete()

        def data_received(self, data: bytes) -> None:
            if self._in_head:
                self._head_bytes += len(data)
                if self._head_bytes > MAX_HEAD_BYTES:
                    self._refuse_head()
                    return
            super().data_received(data)

        def _refuse_head(self) -> None:
            message = b"Request header fields too large."
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"content-length: " + str(len(message)).encode() + b"\r\nconnection: close\r\n\r\n" + message
            )
            self.transport.close()
            self._in_head = False


def uvicorn_options(forwarded_allow_ips: str | None) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.Config`` besides the app (see the module docstring)."""
    trusted = [ip.strip() for ip in (forwarded_allow_ips or "").split(",") if ip.strip()]
    return {
        "http": BoundedHttpToolsProtocol if HttpToolsProtocol is not None else "h11",
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or [],
        "limit_concurrency": LIMIT_CONCURRENCY,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "server_header": False,
    }
