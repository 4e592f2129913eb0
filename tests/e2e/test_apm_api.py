"""Microsoft.Apm and `import apm` in the real page: the model, the DOM it renders, events, limits and keys.

One booted page serves the whole module; each test starts from Home only (closed through the API).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import RESET_JS, run_python

CASE = {"templateName": "msdyn_case_session",
        "sessionContext": {"caseId": "c-1", "anchor": {"ticketnumber": "CAS-01001-ABC123"}}}


@pytest.fixture
def page(shared_page: Page) -> Page:
    shared_page.evaluate(RESET_JS)
    return shared_page


def events(page: Page) -> list[str]:
    return page.evaluate("window.__events.splice(0)")


def session_titles(page: Page) -> list[str]:
    return page.locator("#session-list [role=tab] .session-title").all_inner_texts()


def test_create_session_renders_it_focused_with_its_anchor_tab(page: Page) -> None:
    session_id = page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    assert events(page) == ["session.created", "tab.created", "session.focused", "tab.focused"]
    assert session_titles(page) == ["Home", "CAS-01001-ABC123"]
    session_tab = page.get_by_role("tab", name="CAS-01001-ABC123")
    expect(session_tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="Home")).to_have_attribute("aria-selected", "false")
    strip = page.locator(f".tab-strip-session[data-session-id='{session_id}']")
    expect(strip).to_be_visible()
    expect(strip.get_by_role("tab")).to_have_count(1)
    anchor = strip.get_by_role("tab").first
    expect(anchor).to_have_attribute("aria-selected", "true")
    panel = page.locator("#" + anchor.get_attribute("aria-controls"))
    expect(panel).to_have_attribute("role", "tabpanel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("c-1")
    # the anchor tab has no close button; the session has one
    expect(strip.locator(".tab-close").first).to_be_hidden()
    # close buttons are aria-hidden (a tablist owns only tabs): found with include_hidden
    expect(page.get_by_role("button", name="Close session CAS-01001-ABC123", include_hidden=True)).to_be_visible()


def test_create_tab_accepts_a_map_and_focuses_the_new_tab(page: Page) -> None:
    page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    events(page)
    tab_id = page.evaluate("""() => Microsoft.Apm.createTab({templateName: "msdyn_entityrecord",
        appContext: new Map([["entityName", "contact"], ["entityId", "p-7"]]), isFocused: true})""")
    assert events(page) == ["tab.created", "tab.focused"]
    expect(page.locator(f"#tab-{tab_id}")).to_have_attribute("aria-selected", "true")
    expect(page.locator(f"#panel-{tab_id}")).to_contain_text("p-7")
    focused = page.evaluate("() => Microsoft.Apm.getFocusedSession().getFocusedTab().tabId")  # synchronous
    assert focused == tab_id


def test_python_api_in_the_page_drives_the_same_workspace(page: Page) -> None:
    result = run_python(page, "\n".join([
        "import apm",
        "sid = apm.create_session('msdyn_account_session', {'accountId': 'a-1', 'customerName': 'Contoso'})",
        "session = apm.get_focused_session()",
        "result = [sid, session.title, session.resolve_slug('Hello {customerName}'), apm.can_create_session()]",
    ]))
    assert result[1:] == ["Contoso", "Hello Contoso", True]
    assert session_titles(page) == ["Home", "Contoso"]
    from_js = page.evaluate("() => Microsoft.Apm.getFocusedSession().sessionId")
    assert from_js == result[0]


def test_failures_throw_with_code_error_code_and_the_reference_message(page: Page) -> None:
    error = page.evaluate("""() => {
        const home = Microsoft.Apm.getSession("home");
        try { home.close(); return null; } catch (e) {
            return {code: e.code, errorCode: e.errorCode, message: e.message,
                    isApmError: e instanceof Microsoft.Apm.ApmError};
        }
    }""")
    assert error == {"code": "cannot_close_session", "errorCode": 12, "message": "The Home session cannot be closed.",
                     "isApmError": True}
    unknown = page.evaluate("""() => {
        try { Microsoft.Apm.createTab({templateName: "nope_missing"}); return null; } catch (e) { return e.code; }
    }""")
    assert unknown == "template_not_found"
    # code written for the older Promise API keeps working: a throw inside an async function is a rejection
    awaited = page.evaluate("""async () => {
        try { await Microsoft.Apm.createTab({templateName: "nope_missing"}); return null; } catch (e) { return e.code; }
    }""")
    assert awaited == "template_not_found"


def test_session_limit_rejects_and_tells_the_agent_without_closing_anything(page: Page) -> None:
    outcome = page.evaluate("""() => {
        const ids = [];
        for (let i = 0; i < 9; i++) {
            ids.push(Microsoft.Apm.createSession({templateName: "msdyn_case_session",
                sessionContext: {caseId: "limit-" + i}}));
        }
        const can = Microsoft.Apm.canCreateSession();
        try {
            Microsoft.Apm.createSession({templateName: "msdyn_case_session",
                sessionContext: {caseId: "one-more"}});
            return {ids, can, error: null};
        } catch (e) { return {ids, can, error: {code: e.code, message: e.message}}; }
    }""")
    assert len(outcome["ids"]) == 9
    assert outcome["can"] is False
    assert outcome["error"] == {"code": "session_limit_reached",
                                "message": "Maximum sessions reached. Close a session before opening another."}
    expect(page.get_by_role("alert")).to_have_text(  # the notice says the limit (the API keeps its sentence)
        "You already have the most sessions your profile allows: 10 (Home and 9 more). "
        "Close a session before opening another.×")
    assert len(session_titles(page)) == 10


def test_tab_limit_rejects_and_tells_the_agent(page: Page) -> None:
    page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    code = page.evaluate("""() => {
        for (let i = 0; i < 9; i++) {
            Microsoft.Apm.createTab({templateName: "msdyn_entityrecord",
                appContext: {entityName: "contact", entityId: "p-" + i}});
        }
        try {
            Microsoft.Apm.createTab({templateName: "msdyn_entityrecord",
                appContext: {entityName: "contact", entityId: "p-10"}});
            return null;
        } catch (e) { return e.code; }
    }""")
    assert code == "tab_limit_reached"
    expect(page.locator(".notice[data-code=tab_limit_reached]")).to_contain_text(
        "This session already has the most tabs your profile allows: 10. Close a tab in it before opening another.")
    expect(page.locator(".tab-strip-session:not([hidden]) [role=tab]")).to_have_count(10)


def test_request_focus_shows_a_dot_until_the_session_is_focused(page: Page) -> None:
    page.evaluate("(input) => Microsoft.Apm.createSession({...input, isFocused: false})", CASE)
    page.evaluate("() => Microsoft.Apm.getSession(Microsoft.Apm.getAllSessions()[1]).requestFocus()")
    dot = page.locator("#session-list .session-dot").nth(1)
    expect(dot).to_be_visible()
    page.get_by_role("tab", name="CAS-01001-ABC123").click()
    expect(dot).to_be_hidden()


def test_title_and_can_close_setters_update_the_session_bar(page: Page) -> None:
    page.evaluate("""(input) => {
        const id = Microsoft.Apm.createSession(input);
        const session = Microsoft.Apm.getSession(id);
        session.title = "Renamed <b>case</b>";
        session.canClose = false;
    }""", CASE)
    expect(page.get_by_role("tab", name="Renamed <b>case</b>")).to_be_visible()  # text, never markup
    expect(page.locator("#session-list b")).to_have_count(0)
    expect(page.locator("#session-list .session-close:visible")).to_have_count(0)


def test_broadcast_channel_topics_report_switches_and_closes(page: Page) -> None:
    messages = page.evaluate("""async (input) => {
        const A = Microsoft.Apm, got = [];
        const listen = (name) => new BroadcastChannel(A.getEventPublisherTopic(name))
            .onmessage = (e) => got.push([name, e.data]);
        ["ON_SESSION_SWITCH", "ON_SESSION_CLOSED", "ON_TAB_SWITCH"].forEach(listen);
        const id = A.createSession(input);
        A.getSession(id).close();
        const deadline = performance.now() + 5000;
        while (got.filter(([n]) => n !== "ON_TAB_SWITCH").length < 3 && performance.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return {id, got};
    }""", CASE)
    session_messages = [m for m in messages["got"] if m[0] != "ON_TAB_SWITCH"]
    assert session_messages == [
        ["ON_SESSION_SWITCH", {"previousSessionId": "home", "newSessionId": messages["id"]}],
        ["ON_SESSION_CLOSED", {"sessionId": messages["id"]}],
        ["ON_SESSION_SWITCH", {"previousSessionId": messages["id"], "newSessionId": "home"}],
    ]
    with pytest.raises(Exception, match="unknown_topic|Unknown event topic"):
        page.evaluate("() => Microsoft.Apm.getEventPublisherTopic('ON_NOTHING')")


def test_switching_keeps_each_tab_dom_and_scroll_position(page: Page) -> None:
    first = page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    panel_id = page.evaluate("(id) => 'panel-' + Microsoft.Apm.getSession(id).getFocusedTab().tabId", first)
    panel = page.locator("#" + panel_id)
    page.evaluate("""(id) => {
        const panel = document.getElementById(id);
        const filler = document.createElement("div");
        filler.style.height = "4000px";
        const input = document.createElement("input");
        input.id = "typed-draft";
        panel.append(input, filler);
        panel.__marker = "same element";
    }""", panel_id)
    page.fill("#typed-draft", "half-typed note")
    panel.evaluate("(el) => { el.scrollTop = 1234; }")
    page.evaluate("() => Microsoft.Apm.createSession({templateName: 'msdyn_contact_session', "
                  "sessionContext: {contactId: 'p-1', customerName: 'Ana'}})")
    expect(panel).to_be_hidden()
    page.get_by_role("tab", name="CAS-01001-ABC123").click()
    expect(panel).to_be_visible()
    assert panel.evaluate("(el) => [el.__marker, el.scrollTop]") == ["same element", 1234]
    expect(page.locator("#typed-draft")).to_have_value("half-typed note")


def test_only_what_changed_is_rendered_again(page: Page) -> None:
    page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    page.evaluate("""() => document.querySelectorAll('#session-list .session-item, .tab-panel')
        .forEach((el) => { el.__kept = true; })""")
    page.evaluate("() => Microsoft.Apm.createSession({templateName: 'msdyn_contact_session', "
                  "sessionContext: {contactId: 'p-2', customerName: 'Bo'}})")
    kept = page.evaluate("""() => [...document.querySelectorAll('#session-list .session-item, .tab-panel')]
        .map((el) => Boolean(el.__kept))""")
    assert kept.count(False) == 2  # the new session's bar item and its anchor panel
    assert kept.count(True) == len(kept) - 2


def test_keyboard_shortcuts_move_between_and_close_sessions_and_tabs(page: Page) -> None:
    page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    page.evaluate("""() => Microsoft.Apm.createTab({templateName: "msdyn_entityrecord",
        appContext: {entityName: "contact", entityId: "p-3"}})""")
    page.keyboard.press("Alt+Shift+ArrowUp")
    expect(page.get_by_role("tab", name="Home")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Alt+Shift+ArrowDown")
    expect(page.get_by_role("tab", name="CAS-01001-ABC123")).to_have_attribute("aria-selected", "true")
    strip = page.locator(".tab-strip-session:not([hidden])")
    expect(strip.get_by_role("tab")).to_have_count(2)
    page.keyboard.press("Alt+Shift+W")  # closes the focused contact tab
    expect(strip.get_by_role("tab")).to_have_count(1)
    page.keyboard.press("Alt+Shift+W")  # the anchor alone: refused, and said so
    expect(page.locator(".notice[data-code=cannot_close_tab]")).to_be_visible()
    page.keyboard.press("Alt+Shift+X")
    assert session_titles(page) == ["Home"]


def test_arrow_keys_move_within_the_session_list(page: Page) -> None:
    page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    page.get_by_role("tab", name="CAS-01001-ABC123").focus()
    page.keyboard.press("ArrowUp")
    home = page.get_by_role("tab", name="Home")
    expect(home).to_have_attribute("aria-selected", "true")
    expect(home).to_be_focused()
    page.keyboard.press("End")
    expect(page.get_by_role("tab", name="CAS-01001-ABC123")).to_be_focused()


def test_calls_before_the_engine_is_ready_throw_not_ready_naming_the_ready_promise(pages) -> None:
    def queue_early_call(page: Page) -> None:
        page.add_init_script("""
            document.addEventListener("apm:ready", () => { window.__readyEventSeen = true; });
            document.addEventListener("DOMContentLoaded", () => {
                window.__pythonReadyAtCall = Boolean(document.body.dataset.ready);
                try { Microsoft.Apm.getAllSessions(); } catch (e) {
                    window.__early = {code: e.code, errorCode: e.errorCode, message: e.message};
                }
                window.__topic = Microsoft.Apm.getEventPublisherTopic("ON_SESSION_SWITCH");  // needs no engine
                window.__later = Microsoft.Apm.ready.then(() => Microsoft.Apm.createSession({
                    templateName: "msdyn_case_session",
                    sessionContext: {caseId: "early", anchor: {ticketnumber: "CAS-EARLY"}}}));
            });""")

    page = pages.open(before_goto=queue_early_call)
    assert page.evaluate("window.__pythonReadyAtCall") is False
    early = page.evaluate("window.__early")
    assert (early["code"], early["errorCode"]) == ("not_ready", 2)
    assert "Microsoft.Apm.ready" in early["message"]
    assert page.evaluate("window.__topic").endswith(".ON_SESSION_SWITCH")
    assert page.evaluate("window.__later") == "session-1"
    assert page.evaluate("window.__readyEventSeen") is True
    expect(page.get_by_role("tab", name="CAS-EARLY")).to_have_attribute("aria-selected", "true")


def test_refresh_tab_reloads_its_panel_and_says_so(page: Page) -> None:
    # A custom page (the generic panel renders it and counts its loads; record forms reload their record instead)
    page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    tab_id = page.evaluate("""() => Microsoft.Apm.createTab({templateName: "msdyn_custompage",
                                                          appContext: {title: "Loads", name: "loads"}})""")
    events(page)
    page.evaluate("(id) => Microsoft.Apm.refreshTab(id)", tab_id)
    assert events(page) == ["tab.refreshed"]
    expect(page.locator(f"#panel-{tab_id} .panel-loaded")).to_have_text("Refreshed (1×)")


def test_tab_switch_topic_carries_both_session_id_spellings(page: Page) -> None:
    got = page.evaluate("""async (input) => {
        const A = Microsoft.Apm, got = [];
        const channel = new BroadcastChannel(A.getEventPublisherTopic("ON_TAB_SWITCH"));
        const arrived = new Promise((resolve) => { channel.onmessage = (e) => { got.push(e.data); resolve(); }; });
        const sessionId = A.createSession(input);
        await arrived;
        channel.close();
        return {sessionId, tabId: A.getFocusedSession().getFocusedTab().tabId, data: got[0]};
    }""", CASE)
    assert got["data"] == {"previousSessionId": "home", "previousTabId": "home-dashboard",
                           "sessionId": got["sessionId"], "SessionId": got["sessionId"], "tabId": got["tabId"]}


def test_tab_properties_change_the_tab_strip_and_home_keeps_its_title(page: Page) -> None:
    tab_id = page.evaluate("""(input) => {
        Microsoft.Apm.createSession(input);
        const id = Microsoft.Apm.createTab({templateName: "msdyn_entityrecord",
            appContext: new Map().set("entityName", "contact").set("entityId", "p-9")});
        const tab = Microsoft.Apm.getFocusedSession().getTab(id);
        tab.title = "New Tab Title";
        tab.canClose = false;
        return id;
    }""", CASE)
    expect(page.locator(f"#tab-{tab_id}")).to_contain_text("New Tab Title")
    expect(page.locator(f"#tab-{tab_id}").locator("xpath=..").locator(".tab-close")).to_be_hidden()
    assert page.evaluate("(id) => Microsoft.Apm.getFocusedSession().getTab(id).canClose", tab_id) is False
    refused = page.evaluate("""() => {
        try { Microsoft.Apm.getSession("home").title = "Start"; return null; } catch (e) { return [e.code, e.message]; }
    }""")
    assert refused == ["cannot_change_title", "The title of the Home session cannot be changed."]
    assert session_titles(page)[0] == "Home"
