"""The Microsoft.Apm call table that JavaScript reaches through the bridge: names, arguments, answers."""

from __future__ import annotations

import json

import pytest

from apm import Apm, Workspace
from apm.jsapi import METHODS, answer, call, event_message

DOCUMENTED = {
    "createSession", "createTab", "getFocusedSession", "getSession", "getAllSessions", "canCreateSession",
    "closeTab", "focusTab", "refreshTab", "getEventPublisherTopic",
    # session object methods and property setters
    "closeSession", "focusSession", "requestFocus", "getFocusedTab", "getAllTabs", "getTab", "canCreateTab",
    "updateContext", "getContext", "resolveSlug", "setSessionTitle", "setSessionCanClose", "setTabTitle",
    "setTabCanClose",
}


@pytest.fixture
def api() -> Apm:
    return Apm(Workspace(max_sessions=3, max_tabs=3), topic_namespace="ws-1")


def case_input(case_id: str = "c-1") -> dict:
    return {"templateName": "msdyn_case_session",
            "sessionContext": {"caseId": case_id, "anchor": {"ticketnumber": f"CAS-{case_id}"}}}


def test_every_documented_method_is_callable_from_javascript():
    assert DOCUMENTED <= set(METHODS)


def test_create_session_from_a_javascript_input_object_returns_its_id(api):
    session_id = call(api, "createSession", [case_input()])
    assert session_id == "session-1"
    focused = call(api, "getFocusedSession", [])
    assert focused["sessionId"] == session_id
    assert focused["title"] == "CAS-c-1"
    assert focused["isDefault"] is False


def test_answers_are_json_and_refusals_carry_code_and_message(api):
    call(api, "createSession", [case_input("a")])
    call(api, "createSession", [case_input("b")])
    refused = answer(api, "createSession", [case_input("c")])
    assert refused == {"error": {"code": "session_limit_reached", "errorCode": 9,
                                 "message": "Maximum sessions reached. Close a session before opening another."}}
    json.dumps(answer(api, "getAllSessions", []))  # everything answered is JSON-able
    assert call(api, "getAllSessions", []) == ["home", "session-1", "session-2"]


def test_unknown_method_and_bad_arguments_are_input_errors(api):
    assert answer(api, "dropTables", [])["error"]["code"] == "invalid_input"
    assert answer(api, "closeTab", ["a", "b"])["error"]["code"] == "invalid_input"
    assert answer(api, "closeTab", [42])["error"]["code"] == "invalid_input"
    assert answer(api, "createTab", ["not an object"])["error"]["code"] == "invalid_input"


def test_missing_trailing_arguments_are_treated_as_absent(api):
    assert answer(api, "closeTab", [])["error"]["code"] == "invalid_input"


def test_session_object_methods_take_the_session_id_first(api):
    session_id = call(api, "createSession", [case_input()])
    call(api, "updateContext", [session_id, {"customerName": "Contoso"}])
    assert call(api, "getContext", [session_id])["customerName"] == "Contoso"
    assert call(api, "resolveSlug", [session_id, "Case for {customerName}"]) == "Case for Contoso"
    tabs = call(api, "getAllTabs", [session_id])
    assert tabs == ["tab-1"]  # ids, as the reference's getAllTabs
    assert call(api, "getTab", [session_id, tabs[0]])["isAnchor"] is True
    assert call(api, "getTab", ["home", "home-dashboard"])["tabId"] == "home-dashboard"
    assert answer(api, "getTab", [session_id, "home-dashboard"])["error"]["code"] == "tab_not_found"


def test_property_setters_change_titles_and_close_permission(api):
    session_id = call(api, "createSession", [case_input()])
    call(api, "setSessionTitle", [session_id, "Renamed"])
    call(api, "setSessionCanClose", [session_id, False])
    session = call(api, "getSession", [session_id])
    assert (session["title"], session["canClose"]) == ("Renamed", False)
    assert answer(api, "closeSession", [session_id])["error"]["code"] == "cannot_close_session"


def test_topics_from_javascript_are_namespaced(api):
    assert call(api, "getEventPublisherTopic", ["ON_TAB_SWITCH"]) == "casework.apm.ws-1.ON_TAB_SWITCH"


def test_open_record_uses_the_navigation_rules(api):
    opened = call(api, "openRecord", [{"entityName": "incident", "entityId": "c-9", "source": "HOME"}])
    assert opened["sessionId"] == "session-1"
    again = call(api, "openRecord", [{"entityName": "incident", "entityId": "c-9", "source": "GLOBAL_SEARCH"}])
    assert again == opened  # already open: focused, not duplicated
    lookup = call(api, "openRecord", [{"entityName": "contact", "entityId": "p-1", "source": "FORM_LOOKUP"}])
    assert lookup["sessionId"] == opened["sessionId"]


def test_event_messages_carry_compatibility_topics(api):
    seen = []
    api.subscribe("*", lambda event: seen.append(event_message(event)))
    session_id = call(api, "createSession", [case_input()])
    switch = next(m for m in seen if m["name"] == "session.focused")
    assert switch["topic"] == {"name": "ON_SESSION_SWITCH",
                               "payload": {"previousSessionId": "home", "newSessionId": session_id}}
    created = next(m for m in seen if m["name"] == "session.created")
    assert created["payload"]["sessionId"] == session_id
    call(api, "setSessionTitle", [session_id, "X"])
    assert "topic" not in seen[-1]  # session.updated has no compatibility topic
