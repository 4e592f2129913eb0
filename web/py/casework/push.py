"""The agent's push connection (``/api/push``), pure: which events to apply, where to resume, when to reconnect.

Pure (no ``js``): the socket and the timer are injected, so the whole life cycle runs under CPython in tests; the
browser side is ``browser.push_socket`` (a thin ``WebSocket`` adapter).

Protocol (docs/conversations.md, "Push protocol"): connect to ``api/push?after=<last id>`` (no ``after`` on the
first connection: only new events); the server sends ``{"type": "hello", "after": n}`` then events
``{"id", "type", "conversationId", "data"}`` in id order. Guarantees this client keeps on top of the server's:

* every event is applied once: an id at or below the last applied one is dropped (a resume that overlaps, a frame
  sent twice around a reconnect);
* a reconnect resumes after the last id applied, so nothing is lost across a dropped socket;
* a conversation's messages are applied in ``sequence`` order: a ``message.created`` whose sequence is not above
  the highest applied one of its conversation is a duplicate and dropped;
* reconnects back off (0.5 s doubling up to 30 s, reset once a connection has said hello); a close with a 44xx
  code (signed out, refused origin) does not retry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

PUSH_PATH = "api/push"
FIRST_DELAY_MS = 500.0
MAX_DELAY_MS = 30_000.0
#: Close codes after which reconnecting cannot help (the server's 4401 sign in first, 4403 origin, 4400 bad after).
FINAL_CLOSE_CODES = frozenset({4400, 4401, 4403})

Event = dict[str, Any]
Listener = Callable[[Event], object]


def push_url(after: int | None, path: str = PUSH_PATH) -> str:
    """The socket's path: ``api/push`` or ``api/push?after=<n>``."""
    return path if after is None else f"{path}?after={int(after)}"


class Backoff:
    """Reconnect delays: ``first_ms`` doubling up to ``max_ms``; :meth:`reset` after a good connection."""

    def __init__(self, first_ms: float = FIRST_DELAY_MS, max_ms: float = MAX_DELAY_MS) -> None:
        self.first_ms = first_ms
        self.max_ms = max_ms
        self._next = first_ms

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.max_ms)
        return delay

    def reset(self) -> None:
        self._next = self.first_ms


class EventLog:
    """The applied side of the log: last id, per-conversation message sequences; decides what to apply."""

    def __init__(self, after: int | None = None) -> None:
        self.last_id: int | None = after
        self.sequences: dict[str, int] = {}

    def accept(self, event: Event) -> bool:
        """Whether ``event`` is new (and records it as applied)."""
        event_id = event.get("id")
        if not isinstance(event_id, int) or isinstance(event_id, bool):
            return False
        if self.last_id is not None and event_id <= self.last_id:
            return False
        self.last_id = event_id
        if event.get("type") == "message.created":
            conversation = event.get("conversationId")
            data = event.get("data") or {}
            sequence = data.get("sequence") if isinstance(data, dict) else None
            if isinstance(conversation, str) and isinstance(sequence, int):
                if sequence <= self.sequences.get(conversation, 0):
                    return False
                self.sequences[conversation] = sequence
        return True

    def seen_message(self, conversation_id: str, sequence: int) -> None:
        """A message read over REST (a transcript): a later push of it is not applied again."""
        if sequence > self.sequences.get(conversation_id, 0):
            self.sequences[conversation_id] = sequence


class Socket(Protocol):
    """What the client needs of an open socket."""

    def close(self) -> None: ...


#: ``open_socket(url, on_open, on_message(text), on_close(code))`` → a :class:`Socket`.
SocketFactory = Callable[[str, Callable[[], None], Callable[[str], None], Callable[[int], None]], Socket]
#: ``set_timer(delay_ms, callback)`` → a cancel function.
TimerFactory = Callable[[float, Callable[[], None]], Callable[[], None]]


class PushClient:
    """One push connection for the page, reconnecting by itself.

    Args:
        open_socket: Opens a WebSocket to a URL (relative to the page) with the three callbacks.
        set_timer: Runs a callback after a delay in milliseconds; returns a cancel function.
        after: The id to resume after (``None``: only new events).
        backoff: Reconnect delays (default 0.5 s doubling to 30 s).
    """

    def __init__(self, open_socket: SocketFactory, set_timer: TimerFactory, after: int | None = None,
                 backoff: Backoff | None = None, path: str = PUSH_PATH) -> None:
        self._open_socket = open_socket
        self._set_timer = set_timer
        self.log = EventLog(after)
        self.backoff = backoff or Backoff()
        self.path = path
        self._listeners: dict[str, list[Listener]] = {}
        self._state_listeners: list[Callable[[str], object]] = []
        self._socket: Socket | None = None
        self._generation = 0
        self._cancel_timer: Callable[[], None] | None = None
        self.state = "idle"  # idle, connecting, open, waiting (to reconnect), stopped
        self.connections = 0
        self.resyncs = 0
        self.on_error: Callable[[BaseException], object] | None = None

    # -- listeners
    def on(self, event_type: str, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for each new event of ``event_type`` (``"*"``: all); returns an unsubscribe."""
        listeners = self._listeners.setdefault(event_type, [])
        listeners.append(listener)
        return lambda: listener in listeners and listeners.remove(listener)

    def on_state(self, listener: Callable[[str], object]) -> None:
        """Call ``listener(state)`` when the connection state changes."""
        self._state_listeners.append(listener)

    # -- life cycle
    def start(self) -> None:
        if self.state in ("idle", "waiting", "stopped"):
            self._connect()

    def stop(self) -> None:
        """Close for good (sign-out, page hide)."""
        self._generation += 1
        if self._cancel_timer is not None:
            self._cancel_timer()
            self._cancel_timer = None
        socket, self._socket = self._socket, None
        self._set_state("stopped")
        if socket is not None:
            socket.close()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            for listener in list(self._state_listeners):
                listener(state)

    def _connect(self) -> None:
        self._cancel_timer = None
        self._generation += 1
        generation = self._generation
        self._set_state("connecting")
        self.connections += 1

        def opened() -> None:
            if generation == self._generation:
                self._set_state("open")

        def message(text: str) -> None:
            if generation == self._generation:
                self.receive(text)

        def closed(code: int) -> None:
            if generation == self._generation:
                self._closed(code)

        self._socket = self._open_socket(push_url(self.log.last_id, self.path), opened, message, closed)

    def _closed(self, code: int) -> None:
        self._socket = None
        self._generation += 1
        if code in FINAL_CLOSE_CODES:
            self._set_state("stopped")
            return
        self._set_state("waiting")
        self._cancel_timer = self._set_timer(self.backoff.next_delay(), self._connect)

    # -- frames
    def receive(self, text: str) -> list[Event]:
        """Handle one frame; returns the events applied (for tests)."""
        try:
            frame = json.loads(text)
        except ValueError:
            return []
        if not isinstance(frame, dict):
            return []
        if frame.get("type") == "hello":
            self.backoff.reset()
            if self.log.last_id is None and isinstance(frame.get("after"), int):
                self.log.last_id = frame["after"]  # resume from where this first connection started
            return []
        if frame.get("type") == "resync":
            # The server trimmed its log past our last id: events may be missing. Go on from its newest id and
            # tell the listeners of "resync", who reload what they show over REST.
            self.backoff.reset()
            if isinstance(frame.get("after"), int) and not isinstance(frame.get("after"), bool):
                self.log.last_id = frame["after"]
            self.resyncs += 1
            self._dispatch("resync", frame)
            return [frame]
        if not self.log.accept(frame):
            return []
        self._dispatch(str(frame.get("type")), frame)
        return [frame]

    def _dispatch(self, kind: str, frame: Event) -> None:
        for listener in list(self._listeners.get(kind, ())) + list(self._listeners.get("*", ())):
            try:
                listener(frame)
            except Exception as error:  # one failing listener must not starve the others
                if self.on_error is None:
                    raise
                self.on_error(error)


__all__ = ["Backoff", "EventLog", "PushClient", "push_url"]
