"""The Microsoft.Apm-shaped facade, its handles and the module-level functions."""

from __future__ import annotations

import pytest

import apm
from apm import (
    HOME_TAB_ID,
    Apm,
    ApmError,
    NotFoundError,
    SessionHandle,
    SessionUpdated,
    TabHandle,
    ValidationError,
    Workspace,
)
from apm_testkit import Recorder


@pytest.fixture
def api() -> Apm:
    return Apm(Workspace())


@pytest.fixture
def installed(api):
    apm.install(api)
    yield api
    apm.uninstall()


def test_create_session_and_tab_return_ids(api):
    session_id = api.create_session("msdyn_case_session", {"caseId": "c-1", "caseTitle": "Printer"})
    tab_id = api.create_tab("msdyn_entityrecord", {"entityName": "contact", "entityId": "p-1"})
    assert (session_id, tab_id) == ("session-1", "tab-2")
    assert api.get_focused_session().get_focused_tab() == TabHandle(api.workspace, tab_id)


def test_create_session_and_tab_accept_the_javascript_input_objects(api):
    session_id = api.create_session(
        {"templateName": "msdyn_case_session", "sessionContext": '{"caseId": "c-1"}', "isFocused": False}
    )
    tab_id = api.create_tab(
        {"templateName": "msdyn_search", "appContext": [["searchText", "printer"]], "sessionId": session_id}
    )
    assert api.get_tab(tab_id).session_id == session_id
    assert api.get_tab(tab_id).params == {"searchType": 0, "searchText": "printer"}


def test_is_focused_must_be_a_bool(api):
    with pytest.raises(ValidationError):
        api.create_tab("msdyn_search", None, "yes")


def test_session_handle_reads_live_state(api):
    session_id = api.create_session("msdyn_case_session", {"caseId": "c-1", "caseTitle": "Printer"})
    handle = api.get_session(session_id)
    assert (handle.session_id, handle.is_default, handle.title, handle.can_close, handle.notification) == (
        session_id,
        False,
        "Printer",
        True,
        False,
    )
    assert handle.template_name == "msdyn_case_session"
    api.workspace.set_session_title(session_id, "Renamed")
    assert handle.title == "Renamed"


def test_session_handle_setters_go_through_the_workspace(api):
    session_id = api.create_session("msdyn_case_session", {"caseId": "c-1"})
    rec = Recorder(api.workspace)
    handle = api.get_session(session_id)
    handle.title = "VIP"
    handle.can_close = False
    assert rec.take() == [SessionUpdated(session_id, ("title",)), SessionUpdated(session_id, ("can_close",))]
    with pytest.raises(ApmError) as info:
        handle.close()
    assert info.value.code == "cannot_close_session"


def test_session_handle_operations(api):
    s1 = api.create_session("msdyn_case_session", {"caseId": "c-1"})
    s2 = api.create_session("msdyn_case_session", {"caseId": "c-2"})
    first = api.get_session(s1)
    first.request_focus()
    assert first.notification is True
    first.focus()
    assert api.get_focused_session() == first and first.notification is False
    tab_id = first.create_tab("msdyn_search", {"searchText": "x"})
    assert first.get_all_tabs() == ["tab-1", tab_id]  # ids, as the reference's getAllTabs
    assert first.get_tab(tab_id).template_name == "msdyn_search"
    assert first.can_create_tab() is True
    api.get_session(s2).close()
    assert api.get_all_sessions() == ["home", s1]


def test_get_tab_of_another_session_raises_tab_not_found(api):
    api.create_session("msdyn_case_session", {"caseId": "c-1"})
    with pytest.raises(NotFoundError) as info:
        api.get_session("session-1").get_tab(HOME_TAB_ID)
    assert info.value.code == "tab_not_found"


def test_context_round_trip_and_copy(api):
    session = api.get_session(api.create_session("msdyn_case_session", {"caseId": "c-1"}))
    session.update_context({"anchor": {"ticketnumber": "CAS-7"}})
    context = session.get_context()
    context["anchor"]["ticketnumber"] = "changed"
    assert session.get_context()["anchor"] == {"ticketnumber": "CAS-7"}
    assert session.title == "CAS-7"


def test_resolve_slug_reports_unknowns_through_the_workspace_hook():
    reports = []
    api = Apm(Workspace(on_unknown_slug=reports.append))
    session = api.get_session(api.create_session("msdyn_case_session", {"caseId": "c-1", "caseTitle": "Jam"}))
    assert session.resolve_slug("${caseTitle} for {customerName}") == "Jam for "
    assert [(r.session_id, r.unknown) for r in reports] == [(session.session_id, ("customerName",))]
    assert list(api.workspace.slug_reports) == reports
    assert session.resolve_slug("{caseId}") == "c-1"
    assert len(reports) == 1


def test_a_raising_slug_hook_does_not_break_resolution():
    def hook(report):
        raise RuntimeError("boom")

    api = Apm(Workspace(on_unknown_slug=hook))
    assert api.get_focused_session().resolve_slug("a{x}b") == "ab"


def test_resolve_slug_needs_text(api):
    with pytest.raises(ValidationError):
        api.get_focused_session().resolve_slug(None)


def test_tab_handle_properties_and_operations(api):
    api.create_session("msdyn_case_session", {"caseId": "c-1"})
    tab = api.get_tab(api.create_tab("msdyn_search", {"searchText": "x"}))
    assert (tab.title, tab.can_close, tab.template_name, tab.page_type, tab.is_anchor) == (
        "Search",
        True,
        "msdyn_search",
        "search",
        False,
    )
    tab.title = "Find"
    assert tab.title == "Find"
    rec = Recorder(api.workspace)
    tab.refresh()
    api.get_tab("tab-1").focus()
    tab.can_close = False
    assert rec.names() == ["tab.refreshed", "tab.focused", "tab.updated"]
    with pytest.raises(ApmError):
        tab.close()
    tab.can_close = True
    tab.close()
    with pytest.raises(NotFoundError):
        _ = tab.title


def test_handles_compare_equal_by_id(api):
    ws = api.workspace
    assert SessionHandle(ws, "home") == api.get_focused_session()
    assert {SessionHandle(ws, "home"), SessionHandle(ws, "home")} == {SessionHandle(ws, "home")}
    assert TabHandle(ws, HOME_TAB_ID) == api.get_focused_session().get_focused_tab()
    assert SessionHandle(ws, "home") != SessionHandle(Workspace(), "home")
    assert SessionHandle(ws, "home") != TabHandle(ws, "home")
    assert repr(TabHandle(ws, "t")) == "TabHandle('t')"


def test_handle_to_dict_for_the_bridge(api):
    session = api.get_focused_session()
    assert session.to_dict() == {
        "sessionId": "home",
        "templateName": "",
        "isDefault": True,
        "title": "Home",
        "canClose": False,
        "notification": False,
        "tabIds": [HOME_TAB_ID],
        "focusedTabId": HOME_TAB_ID,
    }
    assert session.get_focused_tab().to_dict() == {
        "tabId": HOME_TAB_ID,
        "sessionId": "home",
        "title": "Dashboard",
        "canClose": False,
        "templateName": "msdyn_dashboard",
        "pageType": "dashboard",
        "params": {"dashboardId": "agent-dashboard"},
        "isAnchor": True,
    }


def test_facade_passes_through_topics_open_record_and_subscribe(api):
    got = []
    unsubscribe = api.subscribe("session.created", got.append)
    assert api.get_event_publisher_topic("ON_TAB_CLOSED") == "casework.apm.ON_TAB_CLOSED"
    assert api.open_record("incident", "c-1", "home") == ("session-1", "tab-1")
    unsubscribe()
    assert [e.session_id for e in got] == ["session-1"]
    assert api.can_create_session() is True
    api.focus_session("home")
    api.refresh_tab(HOME_TAB_ID)
    api.focus_tab("tab-1")
    api.close_session("session-1")
    assert api.can_create_tab() is True


def test_module_functions_raise_not_ready_before_install():
    apm.uninstall()
    with pytest.raises(ApmError) as info:
        apm.get_focused_session()
    assert info.value.code == "not_ready"
    with pytest.raises(ApmError):
        apm.current()


def test_install_rejects_anything_but_an_apm():
    with pytest.raises(ValidationError):
        apm.install(Workspace())


def test_module_functions_delegate_to_the_installed_instance(installed):
    assert apm.current() is installed
    session_id = apm.create_session("msdyn_case_session", {"caseId": "c-1"})
    tab_id = apm.create_tab("msdyn_search", {"searchText": "x"}, True, session_id)
    assert apm.get_focused_session().session_id == session_id
    assert apm.get_session(session_id).get_focused_tab().tab_id == tab_id
    assert apm.get_tab(tab_id).session_id == session_id
    assert apm.get_all_sessions() == ["home", session_id]  # ids, as the reference's getAllSessions
    assert apm.can_create_session() and apm.can_create_tab(session_id)
    events = []
    apm.subscribe("*", events.append)
    apm.refresh_tab(tab_id)
    apm.focus_tab("tab-1")
    apm.close_tab(tab_id)
    apm.focus_session("home")
    assert apm.open_record("incident", "c-1", "home") == (session_id, "tab-1")
    apm.close_session(session_id)
    assert apm.get_event_publisher_topic("ON_SESSION_SWITCH") == "casework.apm.ON_SESSION_SWITCH"
    assert [e.name for e in events] == [
        "tab.refreshed",
        "tab.focused",
        "tab.closed",
        "session.focused",
        "tab.focused",
        "session.focused",
        "tab.focused",
        "tab.closed",
        "session.closed",
        "session.focused",
        "tab.focused",
    ]


def test_topics_are_namespaced_by_workspace_instance():
    api = Apm(Workspace(), topic_namespace="ws-42")
    assert api.get_event_publisher_topic("ON_SESSION_SWITCH") == "casework.apm.ws-42.ON_SESSION_SWITCH"
    with pytest.raises(ApmError) as raised:
        api.get_event_publisher_topic("ON_NOTHING")
    assert raised.value.code == "unknown_topic"


def test_parameters_str_pairs_merge_into_the_context_and_explicit_keys_win(api):
    session_id = api.create_session({
        "templateName": "msdyn_case_session",
        "parametersStr": '[["caseId", "c-9"], ["caseTitle", "From pairs"], ["queueId", "q-1"]]',
        "sessionContext": {"caseTitle": "Explicit"},
    })
    context = api.get_session(session_id).get_context()
    assert context["caseId"] == "c-9"
    assert context["queueId"] == "q-1"
    assert context["caseTitle"] == "Explicit"
    tab_id = api.create_tab({"templateName": "msdyn_entityrecord",
                             "parametersStr": '[["entityName", "account"], ["entityId", "a-1"]]'})
    assert api.get_tab(tab_id).to_dict()["params"]["entityId"] == "a-1"


def test_malformed_parameters_str_is_a_clear_input_error(api):
    with pytest.raises(ApmError) as raised:
        api.create_session({"templateName": "msdyn_case_session", "parametersStr": "[[1, 2"})
    assert raised.value.code == "invalid_input"
    assert "parametersStr" in raised.value.message
    assert len(api.get_all_sessions()) == 1
