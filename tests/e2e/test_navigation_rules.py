"""Every row of the multisession navigation table, in the page, through Microsoft.Apm (one test per row).

Rows open a record (or a view, dashboard or page) from a named place; the result is a new session, a new tab in
the focused session, or the page loading in the focused session (the focused tab navigates in place when it may).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.support import RESET_JS

STATE_JS = """() => {
  const A = Microsoft.Apm;
  const focused = A.getFocusedSession();
  return {sessions: A.getAllSessions().length, focused: focused.sessionId, tabs: focused.getAllTabs(),
          focusedTab: focused.getFocusedTab().tabId};
}"""


@pytest.fixture
def page(shared_page: Page) -> Page:
    shared_page.evaluate(RESET_JS)
    return shared_page


def state(page: Page) -> dict:
    return page.evaluate(STATE_JS)


def open_record(page: Page, source: str, entity: str = "incident", record_id: str | None = "c-42") -> dict:
    return page.evaluate("(input) => Microsoft.Apm.openRecord(input)",
                         {"entityName": entity, "entityId": record_id, "source": source})


def open_page(page: Page, source: str, template: str, context: dict) -> dict:
    return page.evaluate("(input) => Microsoft.Apm.open(input)",
                         {"templateName": template, "appContext": context, "source": source})


def in_case_session(page: Page) -> dict:
    page.evaluate("() => Microsoft.Apm.createSession({templateName: 'msdyn_case_session', "
                  "sessionContext: {caseId: 'c-1', anchor: {ticketnumber: 'CAS-01001-AAAAAA'}}})")
    return state(page)


def assert_new_session(page: Page, before: dict, opened: dict) -> None:
    after = state(page)
    assert after["sessions"] == before["sessions"] + 1
    assert after["focused"] == opened["sessionId"] != before["focused"]
    assert after["tabs"] == [opened["tabId"]]  # the record is the new session's anchor


def assert_new_tab_in_focused_session(page: Page, before: dict, opened: dict) -> None:
    after = state(page)
    assert after["sessions"] == before["sessions"]
    assert after["focused"] == before["focused"] == opened["sessionId"]
    assert after["tabs"] == [*before["tabs"], opened["tabId"]]
    assert after["focusedTab"] == opened["tabId"]


def test_open_record_from_home_opens_a_new_session(page: Page) -> None:
    before = state(page)
    assert before["focused"] == "home"
    assert_new_session(page, before, open_record(page, "HOME"))


def test_open_record_from_global_search_opens_a_new_session(page: Page) -> None:
    before = in_case_session(page)
    assert_new_session(page, before, open_record(page, "GLOBAL_SEARCH", record_id="c-77"))


def test_open_record_from_retrieved_search_records_opens_in_the_focused_session(page: Page) -> None:
    before = in_case_session(page)
    search = open_page(page, "SITEMAP_PAGE", "msdyn_search", {"searchText": "printer"})
    assert search["sessionId"] == before["focused"]
    with_search = state(page)
    opened = open_record(page, "SEARCH_RESULTS", record_id="c-88")
    after = state(page)
    assert after["sessions"] == with_search["sessions"]
    assert opened == {"sessionId": before["focused"], "tabId": search["tabId"]}  # the results tab navigated
    assert after["tabs"] == with_search["tabs"]
    panel = page.locator(f"#panel-{search['tabId']}")
    assert "c-88" in panel.inner_text()


def test_open_record_from_quick_create_notification_opens_a_new_session(page: Page) -> None:
    before = in_case_session(page)
    assert_new_session(page, before, open_record(page, "QUICK_CREATE_NOTIFICATION", "contact", "p-5"))


def test_create_new_record_opens_a_new_session(page: Page) -> None:
    before = in_case_session(page)
    assert_new_session(page, before, open_record(page, "CREATE_RECORD", "incident", None))


def test_open_record_from_timeline_opens_a_new_tab_in_the_focused_session(page: Page) -> None:
    before = in_case_session(page)
    assert_new_tab_in_focused_session(page, before, open_record(page, "TIMELINE", "task", "t-1"))


def test_open_record_from_form_lookup_opens_a_new_tab_in_the_focused_session(page: Page) -> None:
    before = in_case_session(page)
    assert_new_tab_in_focused_session(page, before, open_record(page, "FORM_LOOKUP", "account", "a-1"))


def test_open_view_from_site_map_opens_a_new_tab_in_the_focused_session(page: Page) -> None:
    before = in_case_session(page)
    opened = open_page(page, "SITEMAP_VIEW", "msdyn_entitylist", {"entityName": "incident"})
    assert_new_tab_in_focused_session(page, before, opened)


def test_open_dashboard_from_site_map_opens_a_new_tab_in_the_focused_session(page: Page) -> None:
    before = in_case_session(page)
    opened = open_page(page, "SITEMAP_DASHBOARD", "msdyn_dashboard", {"dashboardId": "agent-dashboard"})
    assert_new_tab_in_focused_session(page, before, opened)


def test_page_from_site_map_loads_in_the_focused_session(page: Page) -> None:
    before = in_case_session(page)
    opened = open_page(page, "SITEMAP_PAGE", "msdyn_knowledgesearch", {"searchText": "refund"})
    after = state(page)
    assert after["sessions"] == before["sessions"]
    assert opened["sessionId"] == before["focused"] == after["focused"]
    assert after["focusedTab"] == opened["tabId"]


def test_open_form_from_home_opens_a_new_session(page: Page) -> None:
    before = state(page)
    assert_new_session(page, before, open_record(page, "OPEN_FORM", "account", "a-9"))


def test_open_form_from_a_case_session_opens_a_new_tab_in_it(page: Page) -> None:
    before = in_case_session(page)
    assert_new_tab_in_focused_session(page, before, open_record(page, "OPEN_FORM", "account", "a-9"))


def test_navigate_to_from_home_opens_a_new_session(page: Page) -> None:
    before = state(page)
    assert_new_session(page, before, open_record(page, "NAVIGATE_TO", "contact", "p-9"))


def test_navigate_to_from_a_case_session_opens_a_new_tab_in_it(page: Page) -> None:
    before = in_case_session(page)
    assert_new_tab_in_focused_session(page, before, open_record(page, "NAVIGATE_TO", "contact", "p-9"))


def test_opening_a_record_that_is_already_open_focuses_its_tab(page: Page) -> None:
    first = open_record(page, "HOME", "incident", "c-42")
    page.evaluate("() => Microsoft.Apm.getSession('home').focus()")
    before = state(page)
    again = open_record(page, "GLOBAL_SEARCH", "incident", "c-42")
    assert again == first
    assert state(page)["sessions"] == before["sessions"]
