"""The push connection's browser edge: a ``WebSocket`` and ``setTimeout`` for ``casework.push.PushClient``."""

from __future__ import annotations

from collections.abc import Callable

import js
from pyodide.ffi import create_once_callable, create_proxy

from casework.push import PushClient


class BrowserSocket:
    """One ``WebSocket`` to a path of this page's origin (``ws:``/``wss:`` after the page's scheme)."""

    def __init__(self, path: str, on_open: Callable[[], None], on_message: Callable[[str], None],
                 on_close: Callable[[int], None]) -> None:
        url = js.URL.new(path, js.window.location.href)
        url.protocol = "wss:" if js.window.location.protocol == "https:" else "ws:"
        self._proxies = [create_proxy(lambda _e: on_open()),
                         create_proxy(lambda e: on_message(str(e.data))),
                         create_proxy(self._closed)]
        self._on_close = on_close
        self.socket = js.WebSocket.new(url.href)
        self.socket.addEventListener("open", self._proxies[0])
        self.socket.addEventListener("message", self._proxies[1])
        self.socket.addEventListener("close", self._proxies[2])

    def _closed(self, event: object) -> None:
        self._on_close(int(event.code))

    def close(self) -> None:
        self.socket.close()


def set_timer(delay_ms: float, callback: Callable[[], None]) -> Callable[[], None]:
    handle = js.setTimeout(create_once_callable(callback), delay_ms)
    return lambda: js.clearTimeout(handle)


def connect(after: int | None = None) -> PushClient:
    """A started push client for this page (reconnects by itself; ``client.stop()`` on sign-out)."""
    client = PushClient(BrowserSocket, set_timer, after=after)
    client.on_state(_show_state)
    client.start()
    return client


def _show_state(state: str) -> None:
    """``body[data-push]`` is the connection's state (idle, connecting, open, waiting, stopped): for styles and
    for tests that must know the socket is up before they make something happen."""
    js.document.body.dataset.push = state
