"""The header in the real page: global search (suggestions, both navigation rules, results page), the site map,
the close-session warning with its setting, and the shortcut help.

One booted page (signed in as agent9, whose close-warning setting these tests own) serves the module; each test
starts from Home only. Search uses the seeded "printer" topic.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import RESET_JS, run_python

PAGE_USER = "agent9"  # the module's shared page (tests/e2e/conftest.py)
SHOTS = Path(tempfile.gettempdir()) / "casework-shots" / "header"  # looked at by people, not asserted
CASE = {"templateName": "msdyn_case_session",
        "sessionContext": {"caseId": "c-hdr", "anchor": {"ticketnumber": "CAS-HDR-1"}}}


@pytest.fixture
def page(shared_page: Page) -> Page:
    """The module's page at Home only, with the close warning back on (its default); guard checked per test."""
    shared_page.request.delete(shared_page.url.split("#")[0] + "api/me/settings/closeSessionWarning",
                               headers={"X-CSRF-Token": csrf(shared_page)})
    shared_page.evaluate(RESET_JS)
    run_python(shared_page, "from app import handle\nhandle.services.agent.settings.clear()\nresult = True")
    shared_page.keyboard.press("Escape")
    return shared_page


def csrf(page: Page) -> str:
    return page.request.get(page.url.split("#")[0] + "api/me").json()["csrfToken"]


def server_settings(page: Page) -> dict:
    return page.request.get(page.url.split("#")[0] + "api/me").json()["settings"]


def focused_tab(page: Page) -> dict:
    return run_python(page, "import apm\nresult = apm.get_focused_session().get_focused_tab().to_dict()")


def session_count(page: Page) -> int:
    return page.locator("#session-list [role=tab]").count()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def type_query(page: Page, text: str) -> None:
    page.locator("body").press("/")  # the shortcut focuses the box from anywhere
    box = page.locator("#global-search")
    expect(box).to_be_focused()
    box.fill(text)


# -- global search --------------------------------------------------------------------------------------------------

def test_suggestions_appear_grouped_with_highlighted_matches(page: Page) -> None:
    type_query(page, "printer")
    box = page.locator("#global-search")
    listbox = page.get_by_role("listbox", name="Search suggestions")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.locator("[role=option][data-id]")
    expect(options.first).to_be_visible()
    assert 2 <= options.count() <= 12  # up to 3 of each kind
    marks = listbox.locator("mark")
    expect(marks.first).to_be_visible()
    assert all(re.fullmatch(r"printer\w*", text, re.I) for text in marks.all_inner_texts())
    # highlights are text, never markup
    assert page.evaluate("[...document.querySelectorAll('#global-search-listbox mark')]"
                         ".every((m) => m.children.length === 0)")
    expect(listbox.get_by_role("group", name="Cases")).to_be_visible()
    expect(listbox.get_by_role("group", name="Knowledge articles")).to_be_visible()  # not crowded out by cases
    expect(listbox.get_by_role("option", name=re.compile("See all results"))).to_be_visible()
    box.press("ArrowDown")
    first_id = options.first.get_attribute("id")
    expect(box).to_have_attribute("aria-activedescendant", first_id)
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("ArrowUp")  # up from the first option wraps to the last: "See all results"
    expect(box).to_have_attribute("aria-activedescendant", "global-search-all")
    shot(page, "search-suggestions")
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("Escape")
    expect(box).to_have_value("")


def test_ctrl_k_focuses_search_even_from_a_field_and_typing_slash_there_types(page: Page) -> None:
    box = page.locator("#global-search")
    box.focus()
    box.press_sequentially("a/b")  # "/" types itself in a field
    expect(box).to_have_value("a/b")
    page.locator("#sitemap-button").focus()
    page.keyboard.press("Control+k")
    expect(box).to_be_focused()


def test_opening_a_suggestion_starts_a_new_session_titled_by_the_record(page: Page) -> None:
    type_query(page, "printer")
    option = page.locator("#global-search-listbox [role=option][data-entity=incident]").first
    expect(option).to_be_visible()
    title = option.locator(".search-option-title").inner_text()
    record_id = option.get_attribute("data-id")
    before = session_count(page)
    page.locator("#global-search").press("ArrowDown")
    page.locator("#global-search").press("Enter")
    expect(page.locator("#session-list [role=tab]")).to_have_count(before + 1)
    focused_session = page.locator("#session-list [role=tab][aria-selected=true]")
    expect(focused_session).to_contain_text(title)  # under the case number (issue 15, item 6)
    tab = focused_tab(page)
    assert tab["templateName"] == "msdyn_entityrecord"
    assert tab["params"] == {"entityName": "incident", "entityId": record_id}
    assert tab["isAnchor"] is True
    expect(page.get_by_role("listbox", name="Search suggestions")).to_be_hidden()


def test_results_page_filters_and_opens_a_result_in_the_focused_session(page: Page) -> None:
    page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    case_session = page.evaluate("async () => Microsoft.Apm.getFocusedSession().sessionId")
    type_query(page, "printer")
    expect(page.get_by_role("listbox", name="Search suggestions")).to_be_visible()
    page.locator("#global-search").press("Enter")  # no option chosen: the results page
    results_tab = focused_tab(page)
    assert results_tab["templateName"] == "msdyn_search"
    assert results_tab["params"] == {"searchType": 0, "searchText": "printer"}
    assert results_tab["sessionId"] == case_session  # a page loads in the focused session (a new tab: anchor)
    panel = page.locator(f"#panel-{results_tab['tabId']}")
    results = panel.locator(".search-result")
    expect(results.first).to_be_visible()
    expect(panel.locator(".search-result mark").first).to_be_visible()
    expect(panel.get_by_role("status")).to_contain_text("for “printer”")
    assert results.count() == 20
    expect(panel.get_by_role("button", name="Load more results")).to_be_visible()
    shot(page, "search-results")
    panel.get_by_role("button", name="Knowledge articles").click()
    expect(panel.get_by_role("button", name="Knowledge articles")).to_have_attribute("aria-pressed", "true")
    expect(panel.get_by_role("status")).to_contain_text("in knowledge articles")
    kinds = set(panel.locator(".search-result-open").evaluate_all("(els) => els.map((e) => e.dataset.entity)"))
    assert kinds == {"knowledgearticle"}
    view_state = run_python(page, f"from app import handle\nresult = handle.services.host.page("
                                  f"{results_tab['tabId']!r}).view_state()")
    assert view_state["query"] == "printer" and view_state["entity"] == "knowledgearticle"
    first = panel.locator(".search-result-open").first
    record_id = first.get_attribute("data-id")
    sessions = session_count(page)
    first.click()
    opened = focused_tab(page)
    assert opened["tabId"] != results_tab["tabId"]  # loads in the focused session, beside the results (kept)
    assert page.locator(f"#panel-{results_tab['tabId']} .search-result").count() > 0
    assert opened["sessionId"] == case_session
    assert opened["params"] == {"entityName": "knowledgearticle", "entityId": record_id}
    assert session_count(page) == sessions


def test_see_all_results_from_home_opens_a_tab_in_home(page: Page) -> None:
    type_query(page, "printer offline")
    page.get_by_role("option", name=re.compile("See all results")).click()
    tab = focused_tab(page)
    assert (tab["sessionId"], tab["templateName"]) == ("home", "msdyn_search")
    assert tab["params"]["searchText"] == "printer offline"
    panel = page.locator(f"#panel-{tab['tabId']}")
    expect(panel.locator(".search-result").first).to_be_visible()
    panel.get_by_role("searchbox", name="Search for").fill("modem")  # search again: the tab shows the new query
    panel.get_by_role("button", name="Search", exact=True).click()
    again = focused_tab(page)
    assert (again["tabId"], again["params"]["searchText"], again["title"]) == (tab["tabId"], "modem", "Search: modem")


# -- site map -------------------------------------------------------------------------------------------------------

VIEWS = [("Cases", "incident"), ("Accounts", "account"), ("Contacts", "contact"), ("Activities", "activitypointer"),
         ("Knowledge articles", "knowledgearticle"), ("Queues", "queue")]


def test_sitemap_menu_keyboard(page: Page) -> None:
    button = page.locator("#sitemap-button")
    button.focus()
    button.press("Enter")
    menu = page.get_by_role("menu", name="Site map")
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    items = menu.get_by_role("menuitem")
    assert items.all_inner_texts() == [label for label, _ in VIEWS] + ["Agent dashboard", "My calendar"]
    expect(items.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("End")
    expect(items.last).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.first).to_be_focused()  # wraps
    page.keyboard.press("ArrowUp")
    expect(items.last).to_be_focused()
    page.keyboard.press("Home")
    expect(items.first).to_be_focused()
    shot(page, "sitemap")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")
    page.locator("body").press("Alt+m")
    expect(menu).to_be_visible()
    expect(items.first).to_be_focused()
    page.keyboard.press("Escape")


@pytest.mark.parametrize(("label", "logical"), VIEWS)
def test_sitemap_views_open_a_new_tab_in_the_focused_session(page: Page, label: str, logical: str) -> None:
    session_id = page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    page.locator("#sitemap-button").click()
    page.get_by_role("menuitem", name=label, exact=True).click()
    tab = focused_tab(page)
    assert tab["sessionId"] == session_id and tab["isAnchor"] is False
    assert tab["templateName"] == "msdyn_entitylist"
    assert tab["params"] == {"entityName": logical}
    assert tab["title"] == label
    app_context = run_python(page, f"import apm\nresult = apm.current().workspace.tab({tab['tabId']!r}).app_context")
    assert app_context == {"entityName": logical, "title": label}
    expect(page.locator(f"#tab-{tab['tabId']}")).to_be_focused()


def test_sitemap_dashboard_opens_a_new_tab_in_the_focused_session(page: Page) -> None:
    session_id = page.evaluate("(input) => Microsoft.Apm.createSession(input)", CASE)
    page.locator("#sitemap-button").click()
    page.get_by_role("menuitem", name="Agent dashboard").click()
    tab = focused_tab(page)
    assert (tab["sessionId"], tab["templateName"], tab["title"]) == (session_id, "msdyn_dashboard", "Agent dashboard")
    assert tab["params"] == {"dashboardId": "agent-dashboard"}


# -- close-session warning ------------------------------------------------------------------------------------------

def open_case(page: Page, case_id: str) -> str:
    return page.evaluate("(input) => Microsoft.Apm.createSession(input)",
                         {**CASE, "sessionContext": {"caseId": case_id, "anchor": {"ticketnumber": case_id}}})


def make_dirty(page: Page, session_id: str) -> None:
    """Give the session's anchor a page holding unsaved edits (what a form does when the agent types)."""
    run_python(page, f"""
from app import handle
from components.pages import Page
services = handle.services
tab_id = services.workspace.session({session_id!r}).tab_ids[0]
probe = Page(services, tab_id)
services.host.pages[tab_id] = probe
probe.set_dirty(True)
result = services.host.dirty_tabs({session_id!r})
""")


def close_button(page: Page, title: str):
    return page.get_by_role("button", name=f"Close session {title}", include_hidden=True)


def warning(page: Page):
    return page.get_by_role("dialog", name="Close this session?")


def test_a_session_without_edits_or_active_item_closes_at_once(page: Page) -> None:
    session_id = open_case(page, "CAS-CLEAN")
    close_button(page, "CAS-CLEAN").click()
    expect(page.locator(f"#session-{session_id}")).to_have_count(0)
    expect(warning(page)).to_have_count(0)


def test_unsaved_changes_ask_first_cancel_keeps_confirm_closes(page: Page) -> None:
    session_id = open_case(page, "CAS-DIRTY")
    make_dirty(page, session_id)
    expect(page.locator(f"#session-{session_id}")).to_have_count(1)
    close_button(page, "CAS-DIRTY").click()
    dialog = warning(page)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("unsaved changes")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    shot(page, "close-warning")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(page.locator(f"#session-{session_id}")).to_have_count(1)
    page.locator(f"#session-{session_id}").click()
    page.keyboard.press("Alt+Shift+X")  # the shortcut asks too
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.locator(f"#session-{session_id}")).to_have_count(1)
    close_button(page, "CAS-DIRTY").click()
    dialog.get_by_role("button", name="Close session").click()
    expect(page.locator(f"#session-{session_id}")).to_have_count(0)
    assert server_settings(page).get("closeSessionWarning", True) is True  # not suppressed


def tab_item(page: Page, tab_id: str):
    return page.locator(f".tab-item[data-tab-id='{tab_id}']")


def test_a_tab_with_unsaved_changes_asks_before_closing_a_clean_one_closes_at_once(page: Page) -> None:
    session_id = open_case(page, "CAS-TABS")
    tab_ids = page.evaluate("""async () => {
      const ids = [];
      for (const [entityName, title] of [["contact", "Contacts"], ["task", "Tasks"]]) {
        ids.push(await Microsoft.Apm.createTab({templateName: "msdyn_entitylist",
                                                appContext: {entityName, title}}));
      }
      return ids;
    }""")
    dirty_tab, clean_tab = tab_ids
    run_python(page, f"""
from app import handle
from components.pages import Page
services = handle.services
probe = Page(services, {dirty_tab!r})
services.host.pages[{dirty_tab!r}] = probe
probe.set_dirty(True)
result = True
""")
    tab_item(page, clean_tab).locator(".tab-close").click()
    expect(tab_item(page, clean_tab)).to_have_count(0)
    dialog = page.get_by_role("dialog", name="Close this tab?")
    tab_item(page, dirty_tab).locator(".tab").click()
    page.keyboard.press("Alt+Shift+W")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("unsaved changes")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(tab_item(page, dirty_tab)).to_have_count(1)
    tab_item(page, dirty_tab).locator(".tab-close").click()
    dialog.get_by_role("button", name="Close tab").click()
    expect(tab_item(page, dirty_tab)).to_have_count(0)
    expect(page.locator(f"#session-{session_id}")).to_have_count(1)  # the session stays


def test_page_scripts_close_without_asking(page: Page) -> None:
    session_id = open_case(page, "CAS-API")
    make_dirty(page, session_id)
    page.evaluate("async (sid) => Microsoft.Apm.getSession(sid).close()", session_id)
    expect(page.locator(f"#session-{session_id}")).to_have_count(0)
    expect(warning(page)).to_have_count(0)


def test_active_item_asks_and_dont_ask_again_persists_across_reload(page: Page) -> None:
    session_id = open_case(page, "CAS-LIVE")
    page.evaluate("async (sid) => Microsoft.Apm.getSession(sid).updateContext({activeItem: 'conversation'})",
                  session_id)
    close_button(page, "CAS-LIVE").click()
    dialog = warning(page)
    expect(dialog).to_contain_text("an active item")
    dialog.get_by_label("Don't ask again").check()
    dialog.get_by_role("button", name="Close session").click()
    expect(page.locator(f"#session-{session_id}")).to_have_count(0)
    page.wait_for_function("async () => await Microsoft.Apm.getSettingValue('msdyn_SuppressSessionCloseWarning')")
    assert server_settings(page)["closeSessionWarning"] is False
    page.reload()
    page.wait_for_selector("body[data-ready]", state="attached")
    assert page.evaluate("Microsoft.Apm.getSettingValue('msdyn_SuppressSessionCloseWarning')") is True
    session_id = open_case(page, "CAS-LIVE2")
    page.evaluate("async (sid) => Microsoft.Apm.getSession(sid).updateContext({activeItem: 'conversation'})",
                  session_id)
    make_dirty(page, session_id)
    close_button(page, "CAS-LIVE2").click()
    expect(page.locator(f"#session-{session_id}")).to_have_count(0)
    expect(warning(page)).to_have_count(0)


def test_save_setting_value_from_page_script_turns_the_warning_off_and_on(page: Page) -> None:
    api = "Microsoft.Apm"
    assert page.evaluate(f"{api}.getSettingValue('msdyn_SuppressSessionCloseWarning')") is False
    page.evaluate(f"{api}.saveSettingValue('msdyn_SuppressSessionCloseWarning', true)")
    assert server_settings(page)["closeSessionWarning"] is False  # saved before the Promise resolved
    session_id = open_case(page, "CAS-SUP")
    make_dirty(page, session_id)
    close_button(page, "CAS-SUP").click()
    expect(page.locator(f"#session-{session_id}")).to_have_count(0)
    expect(warning(page)).to_have_count(0)
    page.evaluate(f"{api}.saveSettingValue('msdyn_SuppressSessionCloseWarning', false)")
    assert server_settings(page)["closeSessionWarning"] is True
    session_id = open_case(page, "CAS-SUP2")
    make_dirty(page, session_id)
    close_button(page, "CAS-SUP2").click()
    expect(warning(page)).to_be_visible()
    page.keyboard.press("Escape")
    errors = page.evaluate(f"""async () => {{
      const out = [];
      for (const args of [["msdyn_Unknown", true], ["msdyn_SuppressSessionCloseWarning", "yes"]]) {{
        try {{ await {api}.saveSettingValue(...args); out.push("resolved"); }}
        catch (e) {{ out.push(e.name + ":" + e.code); }}
      }}
      try {{ await {api}.getSettingValue("nope"); }} catch (e) {{ out.push(e.name + ":" + e.code); }}
      return out;
    }}""")
    assert errors == ["ApmError:invalid_input"] * 3


# -- shortcut help --------------------------------------------------------------------------------------------------

def test_question_mark_opens_the_shortcut_help_and_escape_closes_it(page: Page) -> None:
    page.locator("body").press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    rows = dialog.locator("tbody tr")
    for keys in ("Ctrl+K", "Alt+M", "Alt+Shift+X", "?"):
        expect(rows.filter(has=page.locator("kbd", has_text=re.compile(f"^{re.escape(keys)}$")))).to_have_count(1)
    shot(page, "shortcut-help")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    type_query(page, "")
    page.locator("#global-search").press_sequentially("what?")  # "?" types itself in a field
    expect(page.locator("#global-search")).to_have_value("what?")
    expect(dialog).to_have_count(0)
