"""Which agent gets an offer: a pure choice over candidates the database layer locked for us.

Rule: among the queue's agents who are routable (connected, Available or Busy) and have free capacity for the
channel's units, and who have not already rejected or let this conversation's offer time out, the least busy
(fewest used units) first; ties go to the one who was assigned work longest ago, then by id (deterministic).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DEFAULT_CAPACITY = 3
DEFAULT_UNITS = 1
OFFER_TIMEOUT = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Candidate:
    """An agent as routing sees them."""

    user_id: str
    used: int  # units held by Active and Wrap-up conversations plus pending offers
    capacity: int
    routable: bool
    last_assigned: dt.datetime | None = None


def capacity_of(profile_settings: Mapping | None) -> tuple[int, dict[str, int]]:
    """(total units, units per channel) from an experience profile's settings (``capacity``: an int, and
    ``channelUnits``: ``{"chat": 1, "sms": 1, ...}``); the defaults when absent or malformed."""
    settings = profile_settings or {}
    total = settings.get("capacity", DEFAULT_CAPACITY)
    units = settings.get("channelUnits", {})
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        total = DEFAULT_CAPACITY
    if not isinstance(units, Mapping):
        units = {}
    return total, {str(k): v for k, v in units.items() if isinstance(v, int) and not isinstance(v, bool) and v >= 0}


def units_for(channel: str, channel_units: Mapping[str, int]) -> int:
    return channel_units.get(channel, DEFAULT_UNITS)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def choose(candidates: Iterable[Candidate], units: int, excluded: frozenset[str] = frozenset()) -> Candidate | None:
    """The agent to offer a conversation needing ``units`` to, or ``None`` (it waits in the queue).

    Args:
        candidates: The queue's agents.
        units: Capacity the conversation takes.
        excluded: Agents who rejected or let an offer of this conversation expire.
    """
    fitting = [c for c in candidates
               if c.routable and c.user_id not in excluded and c.capacity - c.used >= units]
    if not fitting:
        return None
    return min(fitting, key=lambda c: (c.used, c.last_assigned or _EPOCH, c.user_id))
