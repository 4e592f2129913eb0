"""The pure rules: conversation transitions, presence, routing choice."""

from __future__ import annotations

import datetime as dt

import pytest

from server.conversations import presence as pr
from server.conversations import routing
from server.conversations.states import STATECODE, Status, TransitionError, Trigger, decide, holds_capacity

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(("status", "trigger", "live", "expected"), [
    (Status.OPEN, Trigger.ASSIGN, True, Status.ACTIVE),
    (Status.OPEN, Trigger.CUSTOMER_END, True, Status.CLOSED),
    (Status.ACTIVE, Trigger.AGENT_END, True, Status.WRAP_UP),
    (Status.ACTIVE, Trigger.CUSTOMER_END, False, Status.WRAP_UP),
    (Status.ACTIVE, Trigger.LIVE_DISCONNECT, True, Status.WRAP_UP),
    (Status.ACTIVE, Trigger.RELEASE, True, Status.OPEN),
    (Status.ACTIVE, Trigger.CLOSE_WITHOUT_END, True, Status.OPEN),
    (Status.ACTIVE, Trigger.CLOSE_WITHOUT_END, False, Status.WAITING),
    (Status.ACTIVE, Trigger.CLOSE, True, Status.CLOSED),
    (Status.WRAP_UP, Trigger.CLOSE, True, Status.CLOSED),
    (Status.WAITING, Trigger.INACTIVITY, False, Status.CLOSED),
    (Status.WAITING, Trigger.REOPEN, False, Status.ACTIVE),
    (Status.WAITING, Trigger.CUSTOMER_RETURNS, False, Status.OPEN),
])
def test_documented_transitions(status, trigger, live, expected):
    assert decide(status, trigger, live=live) is expected


@pytest.mark.parametrize("trigger", list(Trigger))
def test_closed_is_final(trigger):
    with pytest.raises(TransitionError) as info:
        decide(Status.CLOSED, trigger, live=True)
    assert info.value.code == "invalid_transition"


def test_an_open_conversation_cannot_move_to_wrap_up_or_be_closed_by_the_agent():
    for trigger in (Trigger.AGENT_END, Trigger.CLOSE, Trigger.REOPEN):
        with pytest.raises(TransitionError):
            decide(Status.OPEN, trigger, live=True)


def test_statecodes_and_capacity_follow_the_reference():
    assert {s: STATECODE[s] for s in Status} == {Status.OPEN: 0, Status.ACTIVE: 0, Status.WAITING: 0,
                                                  Status.CLOSED: 1, Status.WRAP_UP: 0}
    assert [s for s in Status if holds_capacity(s)] == [Status.ACTIVE, Status.WRAP_UP]


def test_presence_follows_capacity_unless_a_sticky_manual_choice():
    assert pr.by_capacity(0, 3) is pr.Presence.AVAILABLE
    assert pr.by_capacity(1, 3) is pr.Presence.BUSY
    assert pr.by_capacity(3, 3) is pr.Presence.DND
    manual_busy = pr.set_manual(pr.PresenceState(pr.Presence.AVAILABLE), pr.Presence.BUSY)
    assert pr.capacity_changed(manual_busy, 0, 3).status is pr.Presence.AVAILABLE  # until the next accept/close
    for sticky in (pr.Presence.AWAY, pr.Presence.DND, pr.Presence.OFFLINE):
        state = pr.set_manual(pr.PresenceState(pr.Presence.AVAILABLE), sticky)
        assert pr.capacity_changed(state, 0, 3).status is sticky


def test_a_disconnect_becomes_offline_only_after_two_and_a_half_minutes():
    state = pr.PresenceState(pr.Presence.BUSY)
    gone = pr.disconnected(state, T0)
    assert not pr.routable(gone)
    assert pr.tick(gone, T0 + dt.timedelta(seconds=150)).status is pr.Presence.BUSY
    back = pr.connected(pr.tick(gone, T0 + dt.timedelta(seconds=149)), T0 + dt.timedelta(seconds=149), 1, 3)
    assert back.status is pr.Presence.BUSY and pr.routable(back)
    offline = pr.tick(gone, T0 + dt.timedelta(seconds=151))
    assert offline.status is pr.Presence.OFFLINE
    assert pr.connected(offline, T0 + dt.timedelta(minutes=10), 0, 3).status is pr.Presence.AVAILABLE


def test_routing_picks_the_least_busy_routable_agent_with_room():
    c = routing.Candidate
    agents = [c("a", 2, 3, True), c("b", 1, 3, True), c("c", 0, 3, False), c("d", 3, 3, True), c("e", 1, 3, True,
                                                                                                 T0)]
    assert routing.choose(agents, 1).user_id == "b"  # b never assigned: before e
    assert routing.choose(agents, 1, frozenset({"b"})).user_id == "e"
    assert routing.choose(agents, 2, frozenset({"b", "e"})) is None  # a has 1 free unit only
    assert routing.choose([], 1) is None


def test_capacity_comes_from_the_profile_with_safe_defaults():
    assert routing.capacity_of({"capacity": 5, "channelUnits": {"chat": 2}}) == (5, {"chat": 2})
    assert routing.capacity_of({"capacity": "x", "channelUnits": []}) == (routing.DEFAULT_CAPACITY, {})
    assert routing.units_for("sms", {"chat": 2}) == 1
