"""Event payloads, the event bus and the compatibility BroadcastChannel topics."""

from __future__ import annotations

import dataclasses

import pytest

from apm import (
    HOME_TAB_ID,
    TOPICS,
    ApmError,
    EventBus,
    SessionClosed,
    SessionCreated,
    SessionFocused,
    SessionUpdated,
    TabClosed,
    TabCreated,
    TabFocused,
    TabRefreshed,
    TabUpdated,
    ValidationError,
    Workspace,
    get_event_publisher_topic,
    topic_message,
)
from apm.events import EVENT_NAMES, EVENT_TYPES
from apm_testkit import Recorder, open_case

# --- Payloads -------------------------------------------------------------------------


def test_event_names_are_noun_past_verb():
    assert EVENT_NAMES == {
        "session.created",
        "session.focused",
        "session.closed",
        "session.updated",
        "tab.created",
        "tab.focused",
        "tab.closed",
        "tab.refreshed",
        "tab.updated",
    }


def test_events_are_frozen():
    event = TabClosed("s", "t")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.tab_id = "other"


def test_name_is_a_class_attribute_not_a_field():
    for cls in EVENT_TYPES:
        assert "name" not in {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            SessionCreated("s1", "msdyn_case_session", "T"),
            {"sessionId": "s1", "templateName": "msdyn_case_session", "title": "T"},
        ),
        (SessionFocused("s1", "home"), {"sessionId": "s1", "previousSessionId": "home"}),
        (SessionClosed("s1"), {"sessionId": "s1"}),
        (SessionUpdated("s1", ("can_close", "title")), {"sessionId": "s1", "changed": ["canClose", "title"]}),
        (
            TabCreated("s1", "t1", "msdyn_search", "Search"),
            {"sessionId": "s1", "tabId": "t1", "templateName": "msdyn_search", "title": "Search"},
        ),
        (TabFocused("s1", "t2", "t1"), {"sessionId": "s1", "tabId": "t2", "previousTabId": "t1"}),
        (TabClosed("s1", "t1"), {"sessionId": "s1", "tabId": "t1"}),
        (TabRefreshed("s1", "t1"), {"sessionId": "s1", "tabId": "t1"}),
        (
            TabUpdated("s1", "t1", ("template_name", "app_context")),
            {"sessionId": "s1", "tabId": "t1", "changed": ["templateName", "appContext"]},
        ),
    ],
    ids=lambda value: getattr(value, "name", ""),
)
def test_to_dict_uses_camel_case_keys(event, expected):
    assert event.to_dict() == expected


# --- Bus --------------------------------------------------------------------------------


def test_subscribers_get_their_event_name_or_everything():
    bus = EventBus()
    named, every = [], []
    bus.subscribe("tab.closed", named.append)
    bus.subscribe("*", every.append)
    bus.publish([TabRefreshed("s", "t"), TabClosed("s", "t")])
    assert named == [TabClosed("s", "t")]
    assert every == [TabRefreshed("s", "t"), TabClosed("s", "t")]


def test_unsubscribe_stops_delivery_and_is_idempotent():
    bus = EventBus()
    got = []
    unsubscribe = bus.subscribe("*", got.append)
    unsubscribe()
    unsubscribe()
    bus.publish([SessionClosed("s")])
    assert got == []


def test_subscribing_to_an_unknown_event_name_raises():
    with pytest.raises(ValidationError):
        EventBus().subscribe("tab.opened", print)
    with pytest.raises(ValidationError):
        EventBus().subscribe("*", "not callable")


def test_raising_subscriber_does_not_break_the_model_or_other_subscribers():
    reported = []
    ws = Workspace(bus=EventBus(on_error=reported.append))

    def broken(event):
        raise RuntimeError("boom")

    ws.subscribe("*", broken)
    rec = Recorder(ws)
    session_id = open_case(ws, 1)
    assert ws.focused_session_id == session_id
    assert rec.names() == ["session.created", "tab.created", "session.focused", "tab.focused"]
    assert len(ws.bus.errors) == 4
    assert [r.event.name for r in reported] == ["session.created", "tab.created", "session.focused", "tab.focused"]
    assert isinstance(reported[0].error, RuntimeError) and reported[0].callback is broken


def test_errors_are_recorded_even_without_a_hook_and_a_raising_hook_is_recorded_too():
    def hook(failure):
        raise ValueError("hook broke")

    bus = EventBus(on_error=hook)
    bus.subscribe("*", lambda event: 1 / 0)
    bus.publish([SessionClosed("s")])
    assert [type(e.error) for e in bus.errors] == [ZeroDivisionError, ValueError]


def test_error_list_is_bounded():
    bus = EventBus(max_errors=3)
    bus.subscribe("*", lambda event: 1 / 0)
    bus.publish([SessionClosed(str(i)) for i in range(10)])
    assert [e.event.session_id for e in bus.errors] == ["7", "8", "9"]


def test_subscriber_mutating_the_workspace_gets_events_in_one_fifo_order(ws):
    seen = []

    def on_created(event):
        if event.session_id != "home":
            ws.request_focus("home")  # re-entrant mutation while events are delivered

    ws.subscribe("session.created", on_created)
    ws.subscribe("*", lambda event: seen.append(event.name))
    open_case(ws, 1)
    assert seen == ["session.created", "tab.created", "session.focused", "tab.focused", "session.updated"]
    assert ws.session("home").notification is True


def test_events_are_emitted_after_the_state_changed(ws):
    observed = []
    ws.subscribe("tab.focused", lambda event: observed.append((ws.focused_tab_id, len(ws.sessions))))
    open_case(ws, 1)
    assert observed == [("tab-1", 2)]


def test_subscriber_added_during_delivery_sees_only_later_events():
    bus = EventBus()
    late = []
    bus.subscribe(
        "*", lambda event: bus.subscribe("*", late.append) if not late and event.name == "session.closed" else None
    )
    bus.publish([SessionClosed("a"), TabClosed("a", "t")])
    assert late[0] == TabClosed("a", "t")


# --- Topics ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "ON_SESSION_SWITCH",
        "ON_SESSION_CLOSED",
        "ON_SESSION_CREATED",
        "ON_TAB_SWITCH",
        "ON_TAB_CLOSED",
        "ON_TAB_CREATED",
    ],
)
def test_event_publisher_topics(name):
    assert get_event_publisher_topic(name) == f"casework.apm.{name}" == TOPICS[name]


@pytest.mark.parametrize("name", ["ON_TAB_OPENED", "on_tab_switch", None, 3])
def test_unknown_topic_raises_unknown_topic(name):
    with pytest.raises(ApmError) as info:
        get_event_publisher_topic(name)
    assert info.value.code == "unknown_topic"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (SessionFocused("s2", "s1"), ("ON_SESSION_SWITCH", {"previousSessionId": "s1", "newSessionId": "s2"})),
        (SessionClosed("s1"), ("ON_SESSION_CLOSED", {"sessionId": "s1"})),
        (SessionCreated("s1", "x_y_z", "T"), ("ON_SESSION_CREATED", {"sessionId": "s1"})),
        (TabFocused("s1", "t2", "t1"), ("ON_TAB_SWITCH", {"previousSessionId": "s1", "previousTabId": "t1",
                                                          "sessionId": "s1", "SessionId": "s1", "tabId": "t2"})),
        (TabFocused("s2", "t2", "t1", "s1"), ("ON_TAB_SWITCH", {"previousSessionId": "s1", "previousTabId": "t1",
                                                                "sessionId": "s2", "SessionId": "s2", "tabId": "t2"})),
        (TabClosed("s1", "t1"), ("ON_TAB_CLOSED", {"sessionId": "s1", "tabId": "t1"})),
        (TabCreated("s1", "t1", "x_y_z", "T"), ("ON_TAB_CREATED", {"sessionId": "s1", "tabId": "t1"})),
        (SessionUpdated("s1", ("title",)), None),
        (TabUpdated("s1", "t1", ("title",)), None),
        (TabRefreshed("s1", "t1"), None),
    ],
    ids=lambda value: getattr(value, "name", ""),
)
def test_topic_message(event, expected):
    assert topic_message(event) == expected


def test_topic_messages_for_a_session_switch(ws):
    messages = []
    ws.subscribe("*", lambda event: messages.append(topic_message(event)))
    open_case(ws, 1)
    assert messages == [
        ("ON_SESSION_CREATED", {"sessionId": "session-1"}),
        ("ON_TAB_CREATED", {"sessionId": "session-1", "tabId": "tab-1"}),
        ("ON_SESSION_SWITCH", {"previousSessionId": "home", "newSessionId": "session-1"}),
        # the reference's table spells SessionId, its sample reads sessionId: both arrive
        ("ON_TAB_SWITCH", {"previousSessionId": "home", "previousTabId": HOME_TAB_ID,
                           "sessionId": "session-1", "SessionId": "session-1", "tabId": "tab-1"}),
    ]
