"""Agent presence: the reference's base statuses and its automatic rules, with time passed in (pure).

Rules (Dynamics 365, "Manage presence status"): capacity full → Busy - DND; partly used → Busy; free → Available,
applied after an accept or a close unless the agent chose Offline, Away or DND by hand (those persist until a manual
change); a manual Available or Busy lasts until the next accept or close. A disconnect becomes Offline unless the
agent is back within 2.5 minutes, and then the status from before comes back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

DISCONNECT_GRACE = dt.timedelta(minutes=2, seconds=30)


class Presence(StrEnum):
    """Base presence statuses (``msdyn_basepresencestatus``)."""

    AVAILABLE = "Available"
    BUSY = "Busy"
    DND = "Busy - DND"
    AWAY = "Away"
    OFFLINE = "Offline"

    @classmethod
    def parse(cls, value: object) -> Presence:
        """A member from its text (exactly as shown). Raises ``ValueError`` for anything else."""
        for member in cls:
            if value == member.value:
                return member
        raise ValueError(f"Unknown presence {value!r}; expected one of {[m.value for m in cls]}.")


BASE_CODES = {Presence.AVAILABLE: 192360000, Presence.BUSY: 192360001, Presence.DND: 192360002,
              Presence.AWAY: 192360003, Presence.OFFLINE: 192360004}
#: Manual choices that automatic rules never override.
STICKY = (Presence.OFFLINE, Presence.AWAY, Presence.DND)
#: Statuses routing may offer work to (Busy: partly used capacity, still free units).
ROUTABLE = (Presence.AVAILABLE, Presence.BUSY)


@dataclass(frozen=True)
class PresenceState:
    """What the server keeps per agent."""

    status: Presence = Presence.OFFLINE
    manual: bool = False  # the status was chosen by the agent
    disconnected_at: dt.datetime | None = None  # the last socket closed at; None while connected
    before_disconnect: Presence | None = None


def by_capacity(used: int, capacity: int) -> Presence:
    """Available, Busy or Busy - DND for ``used`` of ``capacity`` units."""
    if capacity <= 0 or used >= capacity:
        return Presence.DND
    return Presence.BUSY if used > 0 else Presence.AVAILABLE


def set_manual(state: PresenceState, status: Presence) -> PresenceState:
    """The agent picks ``status`` in the header."""
    return replace(state, status=status, manual=True)


def capacity_changed(state: PresenceState, used: int, capacity: int) -> PresenceState:
    """After an accept or a close: the automatic rule, unless the agent's manual Offline/Away/DND holds."""
    if state.manual and state.status in STICKY:
        return state
    if state.status is Presence.OFFLINE and state.disconnected_at is not None:
        return state
    return replace(state, status=by_capacity(used, capacity), manual=False)


def connected(state: PresenceState, now: dt.datetime, used: int, capacity: int) -> PresenceState:
    """A socket opened. Back within the grace period: the status from before. Otherwise (a new sign-in, or back
    after going Offline) the default Available, adjusted to capacity."""
    if state.disconnected_at is not None and now - state.disconnected_at <= DISCONNECT_GRACE:
        restored = state.before_disconnect or state.status
        return replace(state, status=restored, disconnected_at=None, before_disconnect=None)
    if state.status is Presence.OFFLINE and not (state.manual and state.disconnected_at is None):
        return PresenceState(status=by_capacity(used, capacity), manual=False)
    return replace(state, disconnected_at=None, before_disconnect=None)


def disconnected(state: PresenceState, now: dt.datetime) -> PresenceState:
    """The agent's last socket closed: the status stays for the grace period (routing skips them meanwhile)."""
    if state.disconnected_at is not None:
        return state
    return replace(state, disconnected_at=now, before_disconnect=state.status)


def tick(state: PresenceState, now: dt.datetime) -> PresenceState:
    """Time passed: a disconnect older than the grace period becomes Offline."""
    if state.disconnected_at is not None and now - state.disconnected_at > DISCONNECT_GRACE \
            and state.status is not Presence.OFFLINE:
        return replace(state, status=Presence.OFFLINE, manual=False)
    return state


def routable(state: PresenceState) -> bool:
    """Whether routing may offer work to the agent now (connected, Available or Busy)."""
    return state.disconnected_at is None and state.status in ROUTABLE
