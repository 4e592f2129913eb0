"""window.Xrm in the real page: openForm / navigateTo by the multisession rules, dialogs, openWebResource, the
settings API (the reference's command that suppresses the close-session dialog, after a reload), and the pages the
reference's tab templates open (web resource, website, a prefilled new form).

One booted page (signed in as agent6, whose settings this module owns) serves the module; each test starts from
Home only.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import RESET_JS, Api, run_python

PAGE_USER = "agent6"  # the module's shared page (tests/e2e/conftest.py)
CASE = {"templateName": "msdyn_case_session",
        "sessionContext": {"caseId": "c-xrm", "anchor": {"ticketnumber": "CAS-XRM-1"}}}
SETTINGS = ("closeSessionWarning", "multisessionLayoutImprovements", "multisessionNavigationImprovements")


def base(page: Page) -> str:
    return page.url.split("#")[0]


@pytest.fixture
def page(shared_page: Page) -> Page:
    """Home only, this agent's settings back to their defaults."""
    token = shared_page.request.get(base(shared_page) + "api/me").json()["csrfToken"]
    for key in SETTINGS:
        shared_page.request.delete(base(shared_page) + "api/me/settings/" + key, headers={"X-CSRF-Token": token})
    run_python(shared_page, "from app import handle\nhandle.services.agent.settings.clear()\nresult = True")
    shared_page.keyboard.press("Escape")
    shared_page.evaluate(RESET_JS)
    return shared_page


def state(page: Page) -> dict:
    return page.evaluate("""() => {
        const A = Microsoft.Apm, focused = A.getFocusedSession();
        return {sessions: A.getAllSessions(), focused: focused.sessionId, tabs: focused.getAllTabs(),
                focusedTab: focused.getFocusedTab().tabId};
    }""")


def a_case(page: Page) -> dict:
    return Api(page.request, base(page)).get("incidents", **{"$top": 1, "$orderby": "ticketnumber asc"})["value"][0]


def test_open_form_from_home_opens_a_session_and_from_a_case_session_a_tab_in_it(page: Page) -> None:
    case = a_case(page)
    resolved = page.evaluate("(id) => Xrm.Navigation.openForm({entityName: 'incident', entityId: id})",
                             case["incidentid"])
    assert resolved is None  # inline: resolves at once, with no value
    after_home = state(page)
    assert len(after_home["sessions"]) == 2 and after_home["focused"] != "home"
    expect(page.locator(f"#panel-{after_home['focusedTab']} .form-title")).to_have_text(case["title"])
    page.evaluate("() => Xrm.Navigation.openForm({entityName: 'task'}, {subject: 'Call the customer back'})")
    after_case = state(page)
    assert after_case["focused"] == after_home["focused"]  # the same session ...
    assert len(after_case["tabs"]) == 2  # ... a new tab in it: a new task form, prefilled
    panel = page.locator(f"#panel-{after_case['focusedTab']}")
    expect(panel.locator(".record-form[data-entity=task]")).to_be_visible()
    expect(panel.get_by_label("Subject")).to_have_value("Call the customer back")


def test_navigate_to_inline_follows_the_rules(page: Page) -> None:
    page.evaluate("() => Xrm.Navigation.navigateTo({pageType: 'entitylist', entityName: 'incident'}, {target: 1})")
    first = state(page)
    assert len(first["sessions"]) == 2 and first["focused"] != "home"  # from Home: a new session
    page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    case_session = state(page)["focused"]
    page.evaluate("() => Xrm.Navigation.navigateTo({pageType: 'dashboard'})")
    inside = state(page)
    assert inside["focused"] == case_session and len(inside["tabs"]) == 2  # from a case session: a tab in it


def test_navigate_to_a_dialog_creates_a_record_and_resolves_with_its_reference(page: Page) -> None:
    page.evaluate("""() => { window.__dialog = Xrm.Navigation.navigateTo(
        {pageType: "entityrecord", entityName: "task", data: {subject: "From a dialog"}},
        {target: 2, position: 1, width: {value: 50, unit: "%"}, title: "New task"}); }""")
    dialog = page.get_by_role("dialog", name="Quick create: Task")
    expect(dialog.get_by_label("Subject")).to_have_value("From a dialog")
    dialog.get_by_role("button", name="Save").click()
    result = page.evaluate("window.__dialog")
    [saved] = result["savedEntityReference"]
    assert (saved["entityType"], saved["name"]) == ("task", "From a dialog")
    assert Api(page.request, base(page)).get(f"tasks({saved['id']})")["subject"] == "From a dialog"
    assert state(page)["sessions"] == ["home"]  # a dialog opens no session
    page.evaluate("""() => { window.__quick = Xrm.Navigation.openForm({entityName: "contact", useQuickCreateForm: true},
        {firstname: "Ann"}); }""")
    quick = page.get_by_role("dialog", name="Quick create: Contact")
    expect(quick.get_by_label("First name")).to_have_value("Ann")
    page.keyboard.press("Escape")
    assert page.evaluate("window.__quick.then((value) => value === undefined)") is True  # closed: nothing saved
    refused = page.evaluate("""() => Xrm.Navigation.navigateTo({pageType: "entitylist", entityName: "task"},
        {target: 2}).then(() => null, (e) => [e.code, e.errorCode, e.message])""")
    assert refused == ["invalid_input", 3, "An entity list opens inline only (navigationOptions.target 1)."]


def test_the_reference_settings_command_suppresses_the_close_dialog_after_a_reload(page: Page) -> None:
    page.evaluate("() => Xrm.Utility.getGlobalContext().saveSettingValue('msdyn_SuppressSessionCloseWarning', true)")
    page.reload()
    page.wait_for_selector("body[data-ready]", state="attached")
    context = "Xrm.Utility.getGlobalContext()"
    assert page.evaluate(f"{context}.getCurrentAppSetting('msdyn_SuppressSessionCloseWarning')") is True
    assert page.evaluate(f"{context}.getCurrentAppSetting('msdyn_NoSuchSetting')") is None
    session_id = page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    page.evaluate("(sid) => Microsoft.Apm.getSession(sid).updateContext({activeItem: 'conversation'})", session_id)
    page.get_by_role("button", name="Close session CAS-XRM-1", include_hidden=True).click()
    expect(page.locator(f"#session-{session_id}")).to_have_count(0)
    expect(page.get_by_role("dialog", name="Close this session?")).to_have_count(0)


def test_the_legacy_layout_setting_is_stored_and_the_page_says_it_is_gone(page: Page) -> None:
    page.evaluate("() => Xrm.Utility.getGlobalContext()"
                  ".saveSettingValue('msdyn_MultisessionLayoutImprovements', false)")
    expect(page.locator(".notice[data-code=legacy_layout_removed]")).to_contain_text(
        "only the multisession layout")
    me = page.request.get(base(page) + "api/me").json()
    assert me["settings"]["multisessionLayoutImprovements"] is False
    assert page.evaluate("Xrm.Utility.getGlobalContext()"
                         ".getCurrentAppSetting('msdyn_MultisessionLayoutImprovements')") is False


def test_open_web_resource_opens_a_new_browser_window(page: Page) -> None:
    with page.context.expect_page() as opened:
        page.evaluate("() => Xrm.Navigation.openWebResource('msdyn_kbsearchpagehost.html', "
                      "{height: 400, width: 600}, 'printer')")
    window = opened.value
    window.wait_for_load_state()
    assert window.url.endswith("/webresources/msdyn_kbsearchpagehost.html?data=printer")
    expect(window.get_by_label("Search knowledge articles")).to_have_value("printer")
    window.close()


def test_a_web_resource_tab_gets_its_data_and_reloads_when_refocused(page: Page) -> None:
    page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    # msdyn_knowledgesearch is a plain web resource tab (msdyn_omnichannel_kbsearch is the workspace's own
    # knowledge page now, components.knowledge)
    tab_id = page.evaluate("""() => Microsoft.Apm.createTab({templateName: "msdyn_knowledgesearch",
        appContext: new Map().set("data", "printer"), isFocused: true})""")
    frame_element = page.locator(f"#panel-{tab_id} iframe")
    expect(frame_element).to_have_attribute("data-loads", "1")
    assert "allow-same-origin" in frame_element.get_attribute("sandbox")  # our own content
    frame = page.frame_locator(f"#panel-{tab_id} iframe")
    expect(frame.get_by_label("Search knowledge articles")).to_have_value("printer")
    expect(frame.locator("#kb-status")).to_contain_text("printer")
    anchor = page.evaluate("() => Microsoft.Apm.getFocusedSession().getAllTabs()[0]")
    page.evaluate("(id) => Microsoft.Apm.focusTab(id)", anchor)
    page.evaluate("(id) => Microsoft.Apm.focusTab(id)", tab_id)
    expect(frame_element).to_have_attribute("data-loads", "2")  # back to its initial state, as the reference says


def test_a_website_tab_is_sandboxed_away_from_the_workspace(page: Page) -> None:
    tab_id = page.evaluate("""() => Microsoft.Apm.createTab({templateName: "msdyn_website", appContext: {
        url: "/webresources/msdyn_kbsearchpagehost.html?data=", data: "fax machine", title: "Site"}})""")
    frame_element = page.locator(f"#panel-{tab_id} iframe")
    expect(frame_element).to_have_attribute("data-loads", "1")
    assert frame_element.get_attribute("src") == "/webresources/msdyn_kbsearchpagehost.html?data=fax%20machine"
    assert "allow-same-origin" not in frame_element.get_attribute("sandbox")
    assert page.evaluate("(id) => document.querySelector(`#panel-${id} iframe`).contentDocument", tab_id) is None
    frame = page.frame_locator(f"#panel-{tab_id} iframe")
    expect(frame.locator("#kb-status")).to_contain_text("not available in a sandboxed frame")
    refused = page.evaluate("""() => { try { Microsoft.Apm.createTab({templateName: "msdyn_website",
        appContext: {url: "http://plain.example.com/"}}); return null; } catch (e) { return e.code; } }""")
    assert refused == "invalid_template"


def test_an_entity_record_tab_with_data_opens_a_prefilled_new_form(page: Page) -> None:
    case = a_case(page)
    page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    tab_id = page.evaluate("""(caseRecord) => {
        const formParams = {subject: "Follow up " + caseRecord.ticketnumber, actualdurationminutes: 30,
            prioritycode: 2, regardingobjectid: caseRecord.incidentid, regardingobjectidname: caseRecord.title,
            regardingobjectidtype: "incident"};
        const appContext = new Map().set("entityName", "task").set("formId", "d5b4a1b2-0000-0000-0000-000000000001")
            .set("data", JSON.stringify(formParams));
        return Microsoft.Apm.createTab({templateName: "msdyn_entityrecord", appContext, isFocused: true});
    }""", case)
    panel = page.locator(f"#panel-{tab_id}")
    expect(panel.get_by_label("Subject")).to_have_value("Follow up " + case["ticketnumber"])
    expect(panel.get_by_role("combobox", name="Regarding")).to_have_value(case["title"])
    expect(page.locator(".notice[data-code=prefill_unknown_field]")).to_contain_text("actualdurationminutes")
