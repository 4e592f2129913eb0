"""Conversation states and their transitions as a data table plus one pure :func:`decide`.

Values are the reference's (``msdyn_ocliveworkitem``): statuscode Open 1, Active 2, Waiting 3, Closed 4, Wrap-up 5;
statecode 0 (open) for all but Closed (1). Wrap-up's own statecode 4 is deprecated in the reference, so it keeps 0.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Status(IntEnum):
    """``statuscode`` of a conversation."""

    OPEN = 1
    ACTIVE = 2
    WAITING = 3
    CLOSED = 4
    WRAP_UP = 5


STATECODE = {Status.OPEN: 0, Status.ACTIVE: 0, Status.WAITING: 0, Status.CLOSED: 1, Status.WRAP_UP: 0}


class Trigger(StrEnum):
    """What happened to the conversation."""

    ASSIGN = "assign"  # routing assigned it / the agent accepted the offer
    CUSTOMER_END = "customer_end"  # the customer ended the chat
    AGENT_END = "agent_end"  # the agent pressed End
    LIVE_DISCONNECT = "live_disconnect"  # a live chat's customer disconnected for good
    RELEASE = "release"  # agent disconnect timeout, release or transfer to a queue
    CLOSE_WITHOUT_END = "close_without_end"  # the agent closed the session with X, without End
    CLOSE = "close"  # the agent closes the session (after wrap-up, or resolving the record)
    INACTIVITY = "inactivity"  # waiting too long
    REOPEN = "reopen"  # the agent reopens it from their work items
    CUSTOMER_RETURNS = "customer_returns"  # the customer writes again
    CUSTOMER_DISCONNECT = "customer_disconnect"  # a persistent chat's customer left and did not come back in time


class TransitionError(Exception):
    """A trigger that is not allowed in the conversation's status; ``code`` is stable for the API."""

    code = "invalid_transition"

    def __init__(self, status: Status, trigger: Trigger) -> None:
        super().__init__(f"A conversation that is {status.name.lower().replace('_', '-')} cannot {trigger.value}.")
        self.status = status
        self.trigger = trigger


# (from status, trigger) -> to status. Live chat and async channels differ on X without End (live: back to Open and
# reassigned; async and persistent: Waiting, capacity released): the ``live`` flag picks the row.
_TABLE: dict[tuple[Status, Trigger], Status] = {
    (Status.OPEN, Trigger.ASSIGN): Status.ACTIVE,
    (Status.OPEN, Trigger.CUSTOMER_END): Status.CLOSED,
    (Status.OPEN, Trigger.CUSTOMER_RETURNS): Status.OPEN,
    (Status.ACTIVE, Trigger.AGENT_END): Status.WRAP_UP,
    (Status.ACTIVE, Trigger.CUSTOMER_END): Status.WRAP_UP,
    (Status.ACTIVE, Trigger.LIVE_DISCONNECT): Status.WRAP_UP,
    (Status.ACTIVE, Trigger.RELEASE): Status.OPEN,
    (Status.ACTIVE, Trigger.CLOSE): Status.CLOSED,
    (Status.ACTIVE, Trigger.CUSTOMER_RETURNS): Status.ACTIVE,
    (Status.ACTIVE, Trigger.CUSTOMER_DISCONNECT): Status.WAITING,
    (Status.WRAP_UP, Trigger.CLOSE): Status.CLOSED,
    (Status.WRAP_UP, Trigger.CUSTOMER_END): Status.WRAP_UP,
    (Status.WAITING, Trigger.INACTIVITY): Status.CLOSED,
    (Status.WAITING, Trigger.REOPEN): Status.ACTIVE,
    (Status.WAITING, Trigger.CUSTOMER_RETURNS): Status.OPEN,
}


def decide(status: Status | int, trigger: Trigger | str, *, live: bool) -> Status:
    """The status after ``trigger``.

    ===========  =================================  =========
    from         trigger                            to
    ===========  =================================  =========
    Open         assign                             Active
    Open         customer_end                       Closed
    Active       agent_end, customer_end,           Wrap-up
                 live_disconnect
    Active       release                            Open
    Active       customer_disconnect                Waiting (persistent chat: capacity released)
    Active       close_without_end                  Open (live chat), Waiting (async, persistent)
    Active       close                              Closed
    Wrap-up      close                              Closed
    Waiting      inactivity                         Closed
    Waiting      reopen                             Active
    Waiting      customer_returns                   Open
    Closed       anything                           (final: TransitionError)
    ===========  =================================  =========

    A customer writing again to an Open or Active conversation keeps its status; a customer ending during wrap-up
    changes nothing.

    Args:
        status: The current statuscode.
        trigger: What happened.
        live: Whether the channel is live chat (not async or persistent).

    Raises:
        TransitionError: the trigger is not allowed from ``status``.
        ValueError: an unknown status or trigger.
    """
    status, trigger = Status(status), Trigger(trigger)
    if status is Status.ACTIVE and trigger is Trigger.CLOSE_WITHOUT_END:
        return Status.OPEN if live else Status.WAITING
    target = _TABLE.get((status, trigger))
    if target is None:
        raise TransitionError(status, trigger)
    return target


def holds_capacity(status: Status | int) -> bool:
    """Whether a conversation in ``status`` uses its owner's capacity (Waiting and Closed release it; Wrap-up
    blocks it, the reference's "Always block" default)."""
    return Status(status) in (Status.ACTIVE, Status.WRAP_UP)
