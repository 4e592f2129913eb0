"""Events the workspace emits after a state change, the bus that delivers them,
and the compatibility BroadcastChannel topics of ``Microsoft.Apm``.

Every event is a frozen dataclass with a class attribute ``name``
(``noun.past_verb``) and :meth:`to_dict` giving the camelCase payload JavaScript
sees. The exact order in which a mutation emits them is documented on each
:class:`~apm.model.Workspace` method and in ``docs/apm-model.md``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields

from .errors import ApmError, invalid_input


def camel(name: str) -> str:
    """Returns ``name`` (snake_case) in camelCase: ``previous_tab_id`` -> ``previousTabId``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class Event:
    """Base of every event: a class attribute ``name`` and a camelCase :meth:`to_dict`."""

    name = ""

    def to_dict(self) -> dict:
        """Returns the payload with camelCase keys (``changed`` as camelCase names)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.metadata.get("omit_none"):
                continue
            if f.name == "changed":
                value = [camel(item) for item in value]
            out[camel(f.name)] = value
        return out


@dataclass(frozen=True)
class SessionCreated(Event):
    """A session was added at the end of the session bar."""

    name = "session.created"
    session_id: str
    template_name: str
    title: str


@dataclass(frozen=True)
class SessionFocused(Event):
    """``session_id`` became the focused session; ``previous_session_id`` lost focus."""

    name = "session.focused"
    session_id: str
    previous_session_id: str | None


@dataclass(frozen=True)
class SessionClosed(Event):
    """The session and (already announced) all its tabs are gone."""

    name = "session.closed"
    session_id: str


@dataclass(frozen=True)
class SessionUpdated(Event):
    """Fields of a session changed; ``changed`` holds their snake_case names.

    Possible names: ``title``, ``can_close``, ``notification``, ``context``.
    """

    name = "session.updated"
    session_id: str
    changed: tuple[str, ...]


@dataclass(frozen=True)
class TabCreated(Event):
    """A tab was appended to its session's tab strip."""

    name = "tab.created"
    session_id: str
    tab_id: str
    template_name: str
    title: str


@dataclass(frozen=True)
class TabFocused(Event):
    """``tab_id`` became the workspace's focused tab.

    ``previous_tab_id`` is the tab that had workspace focus before (it may
    belong to another session, or be a tab that was just closed).
    ``previous_session_id`` is the session that was focused before (the same
    session for a switch within it); it does not take part in equality and is
    left out of the payload when unknown (``None``).
    """

    name = "tab.focused"
    session_id: str
    tab_id: str
    previous_tab_id: str | None
    previous_session_id: str | None = field(default=None, compare=False, metadata={"omit_none": True})


@dataclass(frozen=True)
class TabClosed(Event):
    """The tab was removed from its session."""

    name = "tab.closed"
    session_id: str
    tab_id: str


@dataclass(frozen=True)
class TabRefreshed(Event):
    """The tab's content should be reloaded; the model itself did not change."""

    name = "tab.refreshed"
    session_id: str
    tab_id: str


@dataclass(frozen=True)
class TabUpdated(Event):
    """Fields of a tab changed; ``changed`` holds their snake_case names.

    Possible names: ``title``, ``can_close``, ``template_name``, ``page_type``,
    ``params``, ``app_context``.
    """

    name = "tab.updated"
    session_id: str
    tab_id: str
    changed: tuple[str, ...]


EVENT_TYPES = (
    SessionCreated,
    SessionFocused,
    SessionClosed,
    SessionUpdated,
    TabCreated,
    TabFocused,
    TabClosed,
    TabRefreshed,
    TabUpdated,
)
EVENT_NAMES = frozenset(cls.name for cls in EVENT_TYPES)
WILDCARD = "*"


@dataclass(frozen=True)
class SubscriberError:
    """A subscriber raised while an event was delivered to it."""

    event: Event
    callback: Callable
    error: BaseException


class EventBus:
    """Delivers events to subscribers, isolating them from each other.

    Delivery is first-in, first-out: when a subscriber mutates the workspace
    while an event is being delivered, the new events are queued and delivered
    after every event already queued, so each subscriber sees one global order.

    A subscriber that raises (an ``Exception``) does not stop delivery to the
    others and never reaches the model: a :class:`SubscriberError` is appended to
    :attr:`errors` (the newest ``max_errors`` are kept) and ``on_error`` is
    called with it. If ``on_error`` itself raises, that is recorded in
    :attr:`errors` as well and otherwise ignored.

    Args:
        on_error: Optional hook called with each :class:`SubscriberError`.
        max_errors: How many errors :attr:`errors` keeps.
    """

    def __init__(
        self,
        on_error: Callable[[SubscriberError], object] | None = None,
        *,
        max_errors: int = 100,
    ) -> None:
        self.on_error = on_error
        self.errors: deque[SubscriberError] = deque(maxlen=max_errors)
        # (name, callback) pairs in subscription order; replaced, never mutated,
        # so a delivery loop keeps iterating the list it started with.
        self._subscriptions: tuple[tuple[str, Callable], ...] = ()
        self._queue: deque = deque()
        self._delivering = False

    def subscribe(self, name: str, callback: Callable[[Event], object]) -> Callable[[], None]:
        """Calls ``callback(event)`` for every event called ``name`` (or all, for ``"*"``).

        Args:
            name: An event name such as ``"tab.closed"``, or ``"*"``.
            callback: Called with the event object.

        Returns:
            A function that removes this subscription (calling it twice is harmless).

        Raises:
            ValidationError: ``invalid_input`` for an unknown name or a non-callable.
        """
        if name != WILDCARD and name not in EVENT_NAMES:
            raise invalid_input(f"Unknown event name {name!r}; expected one of {sorted(EVENT_NAMES)} or '*'.")
        if not callable(callback):
            raise invalid_input("The subscriber must be callable.")
        entry = (name, callback)
        self._subscriptions = (*self._subscriptions, entry)

        def unsubscribe() -> None:
            self._subscriptions = tuple(s for s in self._subscriptions if s is not entry)

        return unsubscribe

    def publish(self, events: Iterable[Event]) -> None:
        """Queues ``events`` and delivers the queue unless a delivery is under way.

        Args:
            events: Events in the order subscribers must see them.
        """
        self._queue.extend(events)
        if self._delivering:
            return
        self._delivering = True
        try:
            while self._queue:
                self._deliver(self._queue.popleft())
        finally:
            self._delivering = False

    def _deliver(self, event: Event) -> None:
        for name, callback in self._subscriptions:
            if name != event.name and name != WILDCARD:
                continue
            try:
                callback(event)
            except Exception as exc:  # a subscriber must never break the model
                self._report(SubscriberError(event, callback, exc))

    def _report(self, failure: SubscriberError) -> None:
        self.errors.append(failure)
        if self.on_error is None:
            return
        try:
            self.on_error(failure)
        except Exception as exc:  # the hook is best effort too
            self.errors.append(SubscriberError(failure.event, self.on_error, exc))


# --- Compatibility BroadcastChannel topics -----------------------------------

TOPIC_PREFIX = "casework.apm."
TOPIC_NAMES = (
    "ON_SESSION_SWITCH",
    "ON_SESSION_CLOSED",
    "ON_SESSION_CREATED",
    "ON_TAB_SWITCH",
    "ON_TAB_CLOSED",
    "ON_TAB_CREATED",
)
TOPICS = {name: TOPIC_PREFIX + name for name in TOPIC_NAMES}


def get_event_publisher_topic(name: str, namespace: str = "") -> str:
    """Returns the BroadcastChannel name for a ``Microsoft.Apm`` event topic.

    Args:
        name: One of :data:`TOPIC_NAMES`, e.g. ``"ON_TAB_SWITCH"``.
        namespace: The workspace instance id. The browser passes its per-browser-tab id, so another browser tab
            of the same origin (the same BroadcastChannel space) never hears this workspace's events.

    Returns:
        The channel name, e.g. ``"casework.apm.ON_TAB_SWITCH"`` or ``"casework.apm.<namespace>.ON_TAB_SWITCH"``.

    Raises:
        ApmError: ``unknown_topic`` when ``name`` is not a known topic.
    """
    try:
        topic = TOPICS[name]
    except (KeyError, TypeError):
        raise ApmError(
            f"Unknown event publisher topic {name!r}; expected one of {', '.join(TOPIC_NAMES)}.",
            code="unknown_topic",
        ) from None
    return f"{TOPIC_PREFIX}{namespace}.{name}" if namespace else topic


def topic_message(event: Event) -> tuple[str, dict] | None:
    """Maps an event to the compatibility topic message it publishes, if any.

    Args:
        event: Any workspace event.

    Returns:
        ``(topic_name, payload)`` such as ``("ON_TAB_CLOSED", {"sessionId": ..., "tabId": ...})``,
        or ``None`` for events without a compatibility topic (updates, refreshes).
    """
    if isinstance(event, SessionFocused):
        return "ON_SESSION_SWITCH", {
            "previousSessionId": event.previous_session_id,
            "newSessionId": event.session_id,
        }
    if isinstance(event, SessionClosed):
        return "ON_SESSION_CLOSED", {"sessionId": event.session_id}
    if isinstance(event, SessionCreated):
        return "ON_SESSION_CREATED", {"sessionId": event.session_id}
    if isinstance(event, TabFocused):
        # The reference's table spells ``SessionId`` and its sample reads ``sessionId``: both are sent.
        previous_session = event.previous_session_id if event.previous_session_id is not None else event.session_id
        return "ON_TAB_SWITCH", {
            "previousSessionId": previous_session,
            "previousTabId": event.previous_tab_id,
            "sessionId": event.session_id,
            "SessionId": event.session_id,
            "tabId": event.tab_id,
        }
    if isinstance(event, TabClosed):
        return "ON_TAB_CLOSED", {"sessionId": event.session_id, "tabId": event.tab_id}
    if isinstance(event, TabCreated):
        return "ON_TAB_CREATED", {"sessionId": event.session_id, "tabId": event.tab_id}
    return None
