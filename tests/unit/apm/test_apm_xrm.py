"""The Xrm.Navigation call table: openForm and navigateTo land by the multisession rules; dialogs are described."""

from __future__ import annotations

import pytest

from apm import Apm, ApmError, Workspace
from apm.xrm import METHODS, call, page_target


@pytest.fixture
def api() -> Apm:
    return Apm(Workspace())


def focused(api: Apm) -> tuple[str, str]:
    ws = api.workspace
    return ws.focused_session_id, ws.focused_tab_id


def test_open_form_from_home_opens_a_new_session(api):
    opened = call(api, "openForm", [{"entityName": "incident", "entityId": "{C-1}"}])["inline"]
    assert opened["sessionId"] != "home"
    assert api.workspace.session(opened["sessionId"]).template_name == "msdyn_case_session"
    assert api.workspace.tab(opened["tabId"]).record == ("incident", "c-1")
    assert focused(api) == (opened["sessionId"], opened["tabId"])


def test_open_form_from_a_case_session_opens_a_tab_in_it(api):
    case = call(api, "openForm", [{"entityName": "incident", "entityId": "c-1"}])["inline"]
    contact = call(api, "openForm", [{"entityName": "contact", "entityId": "p-1"}])["inline"]
    assert contact["sessionId"] == case["sessionId"] and contact["tabId"] != case["tabId"]


def test_open_form_parameters_fill_a_new_form_and_form_id_is_kept(api):
    params = {"subject": "Call back", "regardingobjectid": "c-1", "regardingobjectidname": "Printer",
              "regardingobjectidtype": "incident"}
    opened = call(api, "openForm", [{"entityName": "task", "formId": "f-1"}, params])["inline"]
    tab = api.workspace.tab(opened["tabId"])
    assert tab.params == {"entityName": "task", "formId": "f-1", "data": params}
    assert tab.record is None  # a new record


def test_quick_create_is_a_dialog_not_a_tab(api):
    answer = call(api, "openForm", [{"entityName": "contact", "useQuickCreateForm": True}, {"firstname": "Ann"}])
    assert answer == {"dialog": {"pageType": "entityrecord", "entityName": "contact", "data": {"firstname": "Ann"},
                                 "quickCreate": True}}
    assert api.workspace.session_ids == ["home"]


@pytest.mark.parametrize(("page_input", "template", "context"), [
    ({"pageType": "entityrecord", "entityName": "account", "entityId": "a-1"}, "msdyn_entityrecord",
     {"entityName": "account", "entityId": "a-1"}),
    ({"pageType": "entitylist", "entityName": "incident", "viewId": "v-1"}, "msdyn_entitylist",
     {"entityName": "incident", "viewId": "v-1"}),
    ({"pageType": "dashboard"}, "msdyn_dashboard", {}),
    ({"pageType": "webresource", "webresourceName": "msdyn_kbsearchpagehost.html", "data": "Contoso"},
     "msdyn_webresource", {"webresourceName": "msdyn_kbsearchpagehost.html", "data": "Contoso"}),
    ({"pageType": "custom", "name": "new_mycustompage", "recordId": "{r-1}"}, "msdyn_custompage",
     {"name": "new_mycustompage", "recordId": "r-1"}),
])
def test_every_page_type_maps_to_a_tab_template(page_input, template, context):
    _, target = page_target(page_input)
    assert (target.template_name, target.app_context) == (template, context)


def test_navigate_to_inline_follows_the_rules_and_dialogs_are_described(api):
    home_list = call(api, "navigateTo", [{"pageType": "entitylist", "entityName": "incident"}, {"target": 1}])
    assert home_list["inline"]["sessionId"] != "home"  # from Home: a new session
    dialog = call(api, "navigateTo", [{"pageType": "entityrecord", "entityName": "task", "data": {"subject": "x"}},
                                      {"target": 2, "title": "New task", "width": {"value": 50, "unit": "%"}}])
    assert dialog["dialog"]["quickCreate"] is True and dialog["dialog"]["title"] == "New task"
    assert dialog["dialog"]["data"] == {"subject": "x"}


@pytest.mark.parametrize(("args", "fragment"), [
    ([{"pageType": "entitylist", "entityName": "incident"}, {"target": 2}], "inline only"),
    ([{"pageType": "form"}], "pageType"),
    ([{"pageType": "entityrecord"}], "entityName"),
    ([{"pageType": "dashboard"}, {"target": 3}], "target"),
    (["incident"], "object"),
])
def test_malformed_navigation_is_an_input_error(api, args, fragment):
    with pytest.raises(ApmError, match=fragment) as caught:
        call(api, "navigateTo", args)
    assert caught.value.code == "invalid_input" and caught.value.error_code == 3
    assert api.workspace.session_ids == ["home"]  # nothing opened


def test_open_form_refuses_what_it_cannot_do(api):
    with pytest.raises(ApmError, match="entityName"):
        call(api, "openForm", [{}])
    with pytest.raises(ApmError, match="useQuickCreateForm"):
        call(api, "openForm", [{"entityName": "contact", "entityId": "p-1", "useQuickCreateForm": True}])
    with pytest.raises(ApmError):
        call(api, "dropTables", [])
    assert set(METHODS) == {"openForm", "navigateTo"}


def test_limits_apply_to_xrm_navigation_too():
    api = Apm(Workspace(max_sessions=2))
    call(api, "openForm", [{"entityName": "incident", "entityId": "c-1"}])
    api.workspace.focus_session("home")
    with pytest.raises(ApmError) as caught:
        call(api, "openForm", [{"entityName": "incident", "entityId": "c-2"}])
    assert caught.value.code == "session_limit_reached"
