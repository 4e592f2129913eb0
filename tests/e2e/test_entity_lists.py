"""Entity list pages (page type ``entitylist``, as the site map opens them) in the real page as agent3: views,
search, lookups as names, rows opening their record by the navigation rules (activities as their own type, queues
as their items), state kept across tabs, sessions and a reload, and refreshed when a record changes elsewhere."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from server.launch import RunningServer
from tests.e2e.support import RESET_JS, list_rows, run_python, search_list
from tests.e2e.test_dashboard import SHOTS, Api, new_case, word

GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


@pytest.fixture
def page(shared_page: Page) -> Page:
    shared_page.evaluate(RESET_JS)
    return shared_page


@pytest.fixture
def api(page: Page, live_server: RunningServer) -> Api:
    return Api(page.context.request, live_server.url)


def open_list(page: Page, entity_name: str, title: str, source: str = "sitemap_view") -> dict:
    """Open a list as the site map does; returns ``{"sessionId", "tabId"}``."""
    return page.evaluate("(input) => Microsoft.Apm.open(input)", {
        "templateName": "msdyn_entitylist", "appContext": {"entityName": entity_name, "title": title},
        "source": source})


def list_in(page: Page, tab_id: str) -> Locator:
    return page.locator(f"#panel-{tab_id} .list-view")


def focused(page: Page) -> dict:
    return run_python(page, """
from app import handle
workspace = handle.services.workspace
tab = workspace.tab(workspace.focused_tab_id)
result = {"session": workspace.focused_session.session_id, "title": workspace.focused_session.title,
          "tab": tab.tab_id, "params": dict(tab.params)}
""")


def session_count(page: Page) -> int:
    return page.evaluate("async () => Microsoft.Apm.getAllSessions().length")


def test_case_list_views_search_and_open_in_a_new_session_from_home(page: Page, api: Api) -> None:
    token = word()
    case = new_case(api, f"{token} resolved one")
    response = page.context.request.post(f"{api.base}api/incidents({case['incidentid']})/resolve",
                                         data={"subject": "Done"},
                                         headers={**api.headers, "If-Match": case["@odata.etag"]})
    assert response.ok, response.text()
    opened = open_list(page, "incident", "Cases")
    cases = list_in(page, opened["tabId"])
    expect(cases.get_by_role("heading", level=1)).to_contain_text("Cases")
    expect(cases.get_by_label("View")).to_have_value("my_active")
    search_list(cases, token)
    expect(cases.locator(".list-empty")).to_be_visible()  # resolved: not among my active cases
    cases.get_by_label("View").select_option(label="Resolved cases")
    expect(list_rows(cases)).to_have_count(1)
    expect(cases.locator("input.list-search")).to_have_value(token)  # a view change keeps the search
    row = list_rows(cases).first
    expect(row.locator("td[data-column='ownerid']")).not_to_have_text(GUID)
    expect(cases.locator("th[data-column='resolvedon']")).to_have_count(0)
    page.screenshot(path=f"{SHOTS}/entity-list-cases.png")
    before = session_count(page)
    row.get_by_role("link").click()  # Home is focused: OPEN_FORM starts a new session
    expect(page.get_by_role("tab", name="Home", exact=True)).to_have_attribute("aria-selected", "false")
    assert session_count(page) == before + 1
    now = focused(page)
    assert now["params"] == {"entityName": "incident", "entityId": case["incidentid"]}
    assert now["title"] == case["ticketnumber"]


def test_activity_rows_open_their_own_type_in_the_focused_session(page: Page, api: Api) -> None:
    token = word()
    call = api.create("phonecalls", {"subject": f"{token} ring back", "phonenumber": "+1 555 0100"})
    page.evaluate("() => Microsoft.Apm.createSession({templateName: 'msdyn_case_session', "
                  "sessionContext: {caseId: 'c-act', anchor: {ticketnumber: 'CAS-ACT'}}})")
    opened = open_list(page, "activitypointer", "Activities")
    activities = list_in(page, opened["tabId"])
    search_list(activities, token)
    expect(list_rows(activities)).to_have_count(1)
    expect(list_rows(activities).first.locator("td[data-column='activitytypecode']")).to_have_text("Phone call")
    session = focused(page)["session"]
    list_rows(activities).first.get_by_role("link").click()  # not Home: a new tab in the focused session
    expect(page.locator(f"#panel-{opened['tabId']}")).to_be_hidden()
    now = focused(page)
    assert now["session"] == session != "home"
    assert now["params"] == {"entityName": "phonecall", "entityId": call["activityid"]}


def test_a_queue_opens_its_items(page: Page, api: Api) -> None:
    queue = api.get("queues?$top=1&$orderby=name asc")["value"][0]
    opened = open_list(page, "queue", "Queues")
    queues = list_in(page, opened["tabId"])
    search_list(queues, queue["name"])
    expect(list_rows(queues).first.locator("td[data-column='name']")).to_have_text(queue["name"])
    list_rows(queues).first.get_by_role("link").click()
    items_tab = focused(page)
    assert items_tab["params"] == {"entityName": "queueitem", "viewId": f"queue:{queue['queueid']}"}
    items = list_in(page, items_tab["tab"])
    expect(items.get_by_role("heading", level=1)).to_contain_text(queue["name"])
    expect(list_rows(items).first).to_be_visible()
    names = set(items.locator("td[data-column='queueid']").all_inner_texts())
    assert names == {queue["name"]}


def test_contacts_show_account_names_and_accounts_sort_by_name(page: Page) -> None:
    contacts = list_in(page, open_list(page, "contact", "Contacts")["tabId"])
    expect(list_rows(contacts).first).to_be_visible()
    accounts_column = contacts.locator("td[data-column='parentcustomerid']")
    expect(accounts_column.first).not_to_have_text("…")
    assert not any(GUID.search(text) for text in accounts_column.all_inner_texts())
    accounts = list_in(page, open_list(page, "account", "Accounts")["tabId"])
    header = accounts.locator("th[data-column='name']")
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(list_rows(accounts).first).to_be_visible()
    ascending = accounts.locator("td[data-column='name']").all_inner_texts()
    assert ascending == sorted(ascending, key=str.lower)
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(list_rows(accounts).first.locator("td[data-column='name']")).not_to_have_text(ascending[0])
    articles = list_in(page, open_list(page, "knowledgearticle", "Knowledge articles")["tabId"])
    expect(articles.get_by_label("View")).to_have_value("published")
    expect(list_rows(articles).first.locator("td[data-column='statecode']")).to_have_text("Published")


def test_list_state_survives_switching_and_a_change_elsewhere_refreshes_it(page: Page, api: Api) -> None:
    token = word()
    made = [new_case(api, f"{token} item {index}") for index in range(3)]
    page.evaluate("() => Microsoft.Apm.createSession({templateName: 'msdyn_case_session', "
                  "sessionContext: {caseId: 'c-state', anchor: {ticketnumber: 'CAS-STATE'}}})")
    opened = open_list(page, "incident", "Cases")
    cases = list_in(page, opened["tabId"])
    search_list(cases, token)
    title = cases.locator("th[data-column='title']")
    title.get_by_role("button").click()
    expect(title).to_have_attribute("aria-sort", "ascending")
    expect(list_rows(cases)).to_have_count(3)
    list_rows(cases).nth(1).locator("input.list-check").check()
    # away to Home; change a case there through the page's record client (as a form in another tab would)
    page.evaluate("async () => Microsoft.Apm.getSession('home').focus()")
    run_python(page, f"""
from app import handle
client = handle.services.client
record = await client.get("incidents", "{made[0]['incidentid']}")
await client.update("incidents", record, {{"title": "{token} item 9 renamed"}})
result = True
""")
    page.evaluate(f"async () => Microsoft.Apm.getSession('{opened['sessionId']}').focus()")
    expect(list_rows(cases).last.locator("td[data-column='title']")).to_have_text(f"{token} item 9 renamed")
    expect(cases.locator("input.list-search")).to_have_value(token)
    expect(title).to_have_attribute("aria-sort", "ascending")
    # "item 1" (second before the rename, first now) kept its selection
    expect(list_rows(cases).nth(0).locator("td[data-column='title']")).to_have_text(f"{token} item 1")
    expect(list_rows(cases).nth(0)).to_have_attribute("aria-selected", "true")
    expect(list_rows(cases).locator("input:checked")).to_have_count(1)


def test_entity_list_state_comes_back_after_a_reload(page: Page, api: Api) -> None:
    token = word()
    new_case(api, f"{token} after reload")
    opened = open_list(page, "incident", "Cases")
    cases = list_in(page, opened["tabId"])
    cases.get_by_label("View").select_option(label="All active cases")
    search_list(cases, token)
    expect(list_rows(cases)).to_have_count(1)
    page.wait_for_function("(token) => Object.keys(localStorage).some((k) => k.startsWith('casework.restore') "
                           "&& localStorage.getItem(k).includes(token))", arg=token)
    page.reload()
    page.wait_for_selector("body[data-ready]", state="attached", timeout=60_000)
    cases = list_in(page, opened["tabId"])
    expect(cases.get_by_label("View")).to_have_value("all_active")
    expect(cases.locator("input.list-search")).to_have_value(token)
    expect(list_rows(cases)).to_have_count(1)
