"""The agent dashboard on Home, in the real page as agent3: the three lists show the agent's data; search, filter,
sort and paging work; picking a queue item; deleting with a confirmation; list state survives switching tabs,
sessions and a reload; a record changed elsewhere refreshes the lists at once.

Every test creates the records it needs through the API, with a unique word in their titles, and searches the
list for that word: the shared e2e database holds other tests' records too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from server.launch import RunningServer, sign_in
from tests.e2e.support import RESET_JS, home_list, list_rows, run_python, search_list

SHOTS = "/tmp/lists-shots"


class Api:
    """The records API as a signed-in user (a Playwright request context with the CSRF header)."""

    def __init__(self, request, base: str) -> None:
        self.request = request
        self.base = base
        me = request.get(base + "api/me").json()
        self.me = me["user"]["systemuserid"]
        self.headers = {"X-CSRF-Token": me["csrfToken"]}

    def get(self, path: str) -> dict:
        response = self.request.get(self.base + "api/" + path)
        assert response.ok, response.text()
        return response.json()

    def status(self, path: str) -> int:
        return self.request.get(self.base + "api/" + path).status

    def create(self, entity_set: str, body: dict) -> dict:
        response = self.request.post(f"{self.base}api/{entity_set}", data=body, headers=self.headers)
        assert response.status == 201, response.text()
        return response.json()

    def patch(self, entity_set: str, key: str, record: dict, changes: dict) -> dict:
        response = self.request.patch(f"{self.base}api/{entity_set}({record[key]})", data=changes,
                                      headers={**self.headers, "If-Match": record["@odata.etag"]})
        assert response.ok, response.text()
        return response.json()


def word() -> str:
    """A unique searchable word."""
    return "Zq" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def supervisor_api(browser: Browser, live_server: RunningServer) -> Iterator[Api]:
    context = browser.new_context()
    sign_in(context, live_server.url, "supervisor")
    yield Api(context.request, live_server.url)
    context.close()


RESET_LISTS = """
from app import handle
for page in handle.services.host.pages.values():
    for view in getattr(page, "lists", {}).values():
        view._change(view.spec.default_state())
result = True
"""


@pytest.fixture
def page(shared_page: Page) -> Page:
    """The module's page, on Home, its lists back to their default state."""
    shared_page.evaluate(RESET_JS)
    run_python(shared_page, RESET_LISTS)
    return shared_page


@pytest.fixture
def api(page: Page, live_server: RunningServer) -> Api:
    return Api(page.context.request, live_server.url)


def first_customer(api: Api) -> dict:
    return api.get("accounts?$top=1&$orderby=name asc")["value"][0]


def new_case(api: Api, title: str, **fields) -> dict:
    account = first_customer(api)
    return api.create("incidents", {"title": title, "customerid": account["accountid"], "customeridtype": "account",
                                    **fields})


def titles(lst: Locator) -> list[str]:
    return lst.locator("tbody tr[data-id] td:nth-child(2)").all_inner_texts()


def saved_scroll(page: Page, name: str) -> int:
    return run_python(page, "from app import handle\n"
                      f"result = handle.services.host.page('home-dashboard').view_state()['lists']['{name}']['scroll']")


def focus_home(page: Page) -> None:
    page.evaluate("async () => Microsoft.Apm.getSession('home').focus()")


def open_other_session(page: Page) -> str:
    return page.evaluate("() => Microsoft.Apm.createSession({templateName: 'msdyn_case_session', "
                         "sessionContext: {caseId: 'c-lists', anchor: {ticketnumber: 'CAS-LISTS'}}})")


def test_the_three_lists_show_the_agents_own_data_with_names_and_labels(page: Page, api: Api) -> None:
    token = word()
    account = first_customer(api)
    case = new_case(api, f"{token} printer jams", prioritycode=1)
    task = api.create("tasks", {"subject": f"{token} call back", "regardingobjectid": case["incidentid"],
                                "regardingobjecttypecode": "incident", "prioritycode": 2})
    cases, activities, queue = home_list(page, "cases"), home_list(page, "activities"), home_list(page, "queue")
    expect(page.locator("#panel-home-dashboard [role=grid]")).to_have_count(3)
    search_list(cases, token)
    expect(list_rows(cases)).to_have_count(1)
    row = list_rows(cases).first
    expect(row.locator("td[data-column='title']")).to_have_text(f"{token} printer jams")
    expect(row.locator("td[data-column='customerid']")).to_have_text(account["name"])  # a name, not a GUID
    expect(row.locator("td[data-column='prioritycode']")).to_have_text("High")
    expect(row.locator("td[data-column='statuscode']")).to_have_text("In progress")
    expect(cases.locator(".list-count")).to_have_text("(1)")
    expect(cases.locator(".list-pager-label")).to_have_text("1–1 of 1")
    search_list(activities, token)
    expect(list_rows(activities)).to_have_count(1)
    activity = list_rows(activities).first
    expect(activity.locator("td[data-column='activitytypecode']")).to_have_text("Task")
    expect(activity.locator("td[data-column='regardingobjectid']")).to_have_text(f"{token} printer jams")
    expect(activity.get_by_role("link")).to_have_text(task["subject"])
    # queue items nobody picked: the seed has many; the count is on the heading
    expect(list_rows(queue).first).to_be_visible()
    assert int(queue.locator(".list-count").inner_text().strip("()").replace(",", "")) >= 1
    # the other user's cases are not in My active cases
    search_list(cases, "")
    expect(list_rows(cases).first).to_be_visible()
    ids = list_rows(cases).evaluate_all("(rows) => rows.map((r) => r.dataset.id)")
    owners = {r["ownerid"] for r in api.get("incidents?$top=50&$filter=" + " or ".join(
        f"incidentid eq {i}" for i in ids[:20]))["value"]}
    assert owners == {api.me}
    page.screenshot(path=f"{SHOTS}/dashboard.png")


def test_search_filter_sort_and_paging(page: Page, api: Api) -> None:
    token = word()
    for index in range(26):
        new_case(api, f"{token} case {index:02d}", prioritycode=1 if index < 3 else 3)
    cases = home_list(page, "cases")
    search_list(cases, token)
    expect(cases.locator(".list-count")).to_have_text("(26)")
    cases.locator("select.list-size").select_option("25")
    expect(cases.locator(".list-pager-label")).to_have_text("1–25 of 26")
    expect(list_rows(cases)).to_have_count(25)
    cases.get_by_role("button", name="Next page").click()
    expect(cases.locator(".list-pager-label")).to_have_text("26–26 of 26")
    expect(list_rows(cases)).to_have_count(1)
    expect(cases.get_by_role("button", name="Next page")).to_be_disabled()
    cases.get_by_role("button", name="Previous page").click()
    expect(cases.locator(".list-pager-label")).to_have_text("1–25 of 26")
    # sort by title: ascending, then descending (aria-sort follows)
    title_header = cases.locator("th[data-column='title']")
    title_header.get_by_role("button").click()
    expect(title_header).to_have_attribute("aria-sort", "ascending")
    expect(list_rows(cases).first.locator("td[data-column='title']")).to_have_text(f"{token} case 00")
    title_header.get_by_role("button").click()
    expect(title_header).to_have_attribute("aria-sort", "descending")
    expect(list_rows(cases).first.locator("td[data-column='title']")).to_have_text(f"{token} case 25")
    expect(cases.locator("th[data-column='createdon']")).to_have_attribute("aria-sort", "none")
    # a column filter narrows the search result
    cases.get_by_label("Filter by Priority").select_option(label="Priority: High")
    expect(cases.locator(".list-pager-label")).to_have_text("1–3 of 3")
    assert titles(cases) == [f"{token} case 02", f"{token} case 01", f"{token} case 00"]
    cases.get_by_label("Filter by Priority").select_option(label="Priority: all")
    expect(cases.locator(".list-count")).to_have_text("(26)")
    # a search without match says so, and keeps the text
    search_list(cases, token + "nothing")
    expect(cases.locator(".list-empty")).to_have_text("No records match your search or filters.")
    expect(cases.locator("input.list-search")).to_have_value(token + "nothing")


def test_keyboard_moves_selects_and_opens(page: Page, api: Api) -> None:
    token = word()
    made = [new_case(api, f"{token} key {index}") for index in range(3)]
    cases = home_list(page, "cases")
    search_list(cases, token)
    expect(list_rows(cases)).to_have_count(3)
    list_rows(cases).first.locator("td[data-column='ticketnumber']").click()  # a cell, not the name's link
    expect(list_rows(cases).first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    expect(list_rows(cases).nth(2)).to_be_focused()
    # Shift extends the selection from the clicked row to the focused one
    assert list_rows(cases).evaluate_all("(rs) => rs.map((r) => r.getAttribute('aria-selected'))") == ["true"] * 3
    page.keyboard.press("Space")
    expect(list_rows(cases).nth(2)).to_have_attribute("aria-selected", "false")
    page.keyboard.press("Control+a")
    expect(list_rows(cases).locator("input:checked")).to_have_count(3)
    expect(cases.locator("thead input.list-check")).to_be_checked()
    page.keyboard.press("Control+a")
    expect(list_rows(cases).locator("input:checked")).to_have_count(0)
    # Enter opens the focused case in a new session titled from the record
    newest_first = sorted(made, key=lambda c: c["createdon"], reverse=True)
    page.keyboard.press("Home")
    page.keyboard.press("Enter")
    expect(page.get_by_role("tab", name="Home", exact=True)).to_have_attribute("aria-selected", "false")
    focused = page.evaluate("async () => { const s = Microsoft.Apm.getFocusedSession(); "
                            "return [s.sessionId, s.title, (await s.getFocusedTab()).tabId]; }")
    assert focused[0] != "home"
    assert focused[1] == newest_first[0]["ticketnumber"]  # the case session's title slug: the anchor's number


def _own_queue(api: Api, supervisor_api: Api) -> dict:
    """A queue the page's agent is a member of (agents list and pick the items of their own queues only)."""
    queue_id = api.get("queueitems?$top=1")["value"][0]["queueid"]
    return supervisor_api.get(f"queues({queue_id})")


def test_pick_a_queue_item_assigns_it_and_opens_its_case(page: Page, api: Api, supervisor_api: Api) -> None:
    token = word()
    case = new_case(supervisor_api, f"{token} available case")
    queue = _own_queue(api, supervisor_api)
    item = supervisor_api.create("queueitems", {"queueid": queue["queueid"], "objectid": case["incidentid"],
                                                "objecttypecode": "incident", "title": case["title"]})
    available, mine = home_list(page, "queue"), home_list(page, "cases")
    search_list(mine, token)
    expect(mine.locator(".list-empty")).to_be_visible()
    search_list(available, token)
    expect(list_rows(available)).to_have_count(1)
    expect(list_rows(available).first.locator("td[data-column='queueid']")).to_have_text(queue["name"])
    expect(available.get_by_role("button", name="Pick")).to_be_disabled()
    list_rows(available).first.locator("input.list-check").check()
    available.get_by_role("button", name="Pick").click()
    # the case opens in a new session titled from the case
    expect(page.locator("#session-list [role=tab][aria-selected=true]")).to_contain_text(case["ticketnumber"])
    stored = api.get(f"queueitems({item['queueitemid']})")
    assert stored["workerid"] == api.me
    assert api.get(f"incidents({case['incidentid']})")["ownerid"] == api.me
    focus_home(page)
    expect(list_rows(mine)).to_have_count(1)  # My active cases shows it: the bus refreshed the list
    expect(list_rows(mine).first.locator("td[data-column='title']")).to_have_text(case["title"])
    expect(list_rows(available)).to_have_count(0)


def test_an_item_someone_else_picks_leaves_my_available_list_live(page: Page, api: Api, supervisor_api: Api,
                                                                 live_server: RunningServer,
                                                                 browser: Browser) -> None:
    # Another agent's pick reaches this page by push (record.changed), so the list drops the item without a reload
    # and nobody clicks Pick on a taken item. The race that is left (both click at once) answers 409
    # already_picked with "Someone else…", covered in tests/unit/casework/test_listview.py and the server tests.
    token = word()
    case = new_case(supervisor_api, f"{token} contested case")
    queue = _own_queue(api, supervisor_api)
    item = supervisor_api.create("queueitems", {"queueid": queue["queueid"], "objectid": case["incidentid"],
                                                "objecttypecode": "incident", "title": case["title"]})
    available = home_list(page, "queue")
    search_list(available, token)
    expect(list_rows(available)).to_have_count(1)
    other = browser.new_context()
    sign_in(other, live_server.url, "agent6")  # a member of agent3's queue
    agent6 = Api(other.request, live_server.url)
    response = other.request.post(f"{live_server.url}api/queueitems({item['queueitemid']})/pick",
                                  headers={**agent6.headers, "If-Match": item["@odata.etag"]})
    assert response.ok
    other.close()
    expect(list_rows(available)).to_have_count(0)
    expect(page.get_by_role("tab", name="Home", exact=True)).to_have_attribute("aria-selected", "true")


def test_delete_activities_after_confirming(page: Page, api: Api) -> None:
    token = word()
    tasks = [api.create("tasks", {"subject": f"{token} task {i}"}) for i in range(2)]
    activities = home_list(page, "activities")
    search_list(activities, token)
    expect(list_rows(activities)).to_have_count(2)
    # agents may not delete cases: the cases list offers no Delete
    expect(home_list(page, "cases").locator("[data-action='delete']")).to_have_count(0)
    activities.locator("thead input.list-check").check()
    activities.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete 2 records?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(list_rows(activities)).to_have_count(2)
    list_rows(activities).first.locator("td[data-column='activitytypecode']").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    expect(dialog).to_be_visible()
    page.screenshot(path=f"{SHOTS}/dashboard-delete-confirm.png")
    dialog.get_by_role("button", name="Delete").click()
    expect(list_rows(activities)).to_have_count(0)
    for task in tasks:
        assert api.status(f"tasks({task['activityid']})") == 404


def test_list_state_survives_switching_tabs_and_sessions(page: Page, api: Api) -> None:
    token = word()
    for index in range(30):
        api.create("tasks", {"subject": f"{token} scroll {index:02d}"})
    activities, cases = home_list(page, "activities"), home_list(page, "cases")
    search_list(activities, token)
    expect(activities.locator(".list-count")).to_have_text("(30)")
    activities.locator("th[data-column='subject']").get_by_role("button").click()
    expect(activities.locator("th[data-column='subject']")).to_have_attribute("aria-sort", "ascending")
    cases.locator("select.list-size").select_option("25")  # agent3 has a couple of hundred active cases
    cases.get_by_role("button", name="Next page").click()
    expect(cases.locator(".list-pager-label")).to_contain_text("26–")
    scroller = activities.locator(".list-scroll")
    list_rows(activities).nth(5).locator("input.list-check").check()
    scroller.evaluate("(el) => { el.scrollTop = 200; }")
    assert saved_scroll(page, "activities") == 200  # the list's state has it (what a reload brings back)
    before = page.evaluate("() => document.querySelectorAll('#panel-home-dashboard tbody tr').length")
    marker = activities.evaluate("(el) => { el.dataset.keep = 'same-dom'; return true; }")
    open_other_session(page)
    expect(page.locator("#panel-home-dashboard")).to_be_hidden()
    focus_home(page)
    expect(activities).to_have_attribute("data-keep", "same-dom")  # the very same DOM, not rebuilt
    assert marker
    expect(activities.locator("input.list-search")).to_have_value(token)
    expect(activities.locator("th[data-column='subject']")).to_have_attribute("aria-sort", "ascending")
    expect(list_rows(activities).nth(5)).to_have_attribute("aria-selected", "true")
    assert scroller.evaluate("(el) => el.scrollTop") == 200
    expect(cases.locator(".list-pager-label")).to_contain_text("26–50 of")
    assert page.evaluate("() => document.querySelectorAll('#panel-home-dashboard tbody tr').length") == before


def test_a_change_made_elsewhere_refreshes_the_lists_at_once(page: Page, api: Api) -> None:
    token = word()
    case = new_case(api, f"{token} before")
    cases = home_list(page, "cases")
    search_list(cases, token)
    expect(list_rows(cases).first.locator("td[data-column='title']")).to_have_text(f"{token} before")
    # visible list: a write through the page's record client (as a form in another tab does) shows at once
    run_python(page, f"""
from app import handle
client = handle.services.client
record = await client.get("incidents", "{case['incidentid']}")
await client.update("incidents", record, {{"title": "{token} after", "prioritycode": 1}})
result = True
""")
    expect(list_rows(cases).first.locator("td[data-column='title']")).to_have_text(f"{token} after")
    expect(list_rows(cases).first.locator("td[data-column='prioritycode']")).to_have_text("High")
    # hidden list: a change while another session is in front shows when Home comes back
    open_other_session(page)
    run_python(page, f"""
from app import handle
client = handle.services.client
record = await client.get("incidents", "{case['incidentid']}")
await client.update("incidents", record, {{"title": "{token} while away"}})
result = True
""")
    focus_home(page)
    expect(list_rows(cases).first.locator("td[data-column='title']")).to_have_text(f"{token} while away")


def test_view_state_comes_back_after_a_reload(page: Page, api: Api) -> None:
    token = word()
    new_case(api, f"{token} restored", prioritycode=1)
    cases = home_list(page, "cases")
    search_list(cases, token)
    cases.get_by_label("Filter by Priority").select_option(label="Priority: High")
    cases.locator("th[data-column='title']").get_by_role("button").click()
    expect(cases.locator("th[data-column='title']")).to_have_attribute("aria-sort", "ascending")
    expect(list_rows(cases)).to_have_count(1)
    page.wait_for_function("(token) => Object.keys(localStorage).some((k) => k.startsWith('casework.restore') "
                           "&& localStorage.getItem(k).includes(token))", arg=token)
    page.reload()
    page.wait_for_selector("body[data-ready]", state="attached", timeout=60_000)
    cases = home_list(page, "cases")
    expect(cases.locator("input.list-search")).to_have_value(token)
    expect(cases.get_by_label("Filter by Priority")).to_have_value("0")
    expect(cases.locator("th[data-column='title']")).to_have_attribute("aria-sort", "ascending")
    expect(list_rows(cases)).to_have_count(1)
