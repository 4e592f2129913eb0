"""Record forms in the real page: editing, saving (button and Ctrl+S), inline errors, lookups, conflicts between two
browser contexts, refresh on a change saved elsewhere, new-record forms, drafts after a reload and quick create.

One booted page serves most tests (each starts from Home only); the records a test edits are created through the
API by that test, so other modules sharing the database never see them change.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import wait_ready
from tests.e2e.support import RESET_JS, run_python

SHOTS = Path(tempfile.gettempdir()) / "casework-forms-shots"  # pytest-playwright empties test-results/
SHOTS.mkdir(exist_ok=True)


class Api:
    """The records API through a page's browser context (its session cookie and CSRF token)."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base = base_url + "api"
        self.csrf = page.request.get(self.base + "/me").json()["csrfToken"]

    def get(self, path: str) -> dict:
        response = self.page.request.get(self.base + path)
        assert response.ok, response.text()
        return response.json()

    def post(self, path: str, body: dict) -> dict:
        response = self.page.request.post(self.base + path, data=json.dumps(body),
                                          headers={"X-CSRF-Token": self.csrf, "Content-Type": "application/json"})
        assert response.ok, response.text()
        return response.json()

    def account(self, name: str) -> dict:
        return self.post("/accounts", {"name": name, "accountnumber": "T" + uuid.uuid4().hex[:8]})

    def case(self, title: str, customer: dict | None = None) -> dict:
        customer = customer or self.account(f"Forms Customer {uuid.uuid4().hex[:6]}")
        return self.post("/incidents", {"title": title, "customerid": customer["accountid"],
                                        "customeridtype": "account", "prioritycode": 2})


@pytest.fixture
def page(shared_page: Page) -> Iterator[Page]:
    shared_page.evaluate(RESET_JS)
    yield shared_page
    shared_page.evaluate(RESET_JS)


@pytest.fixture
def api(page: Page, live_server) -> Api:
    return Api(page, live_server.url)


def open_record(page: Page, name: str, record_id: str | None, source: str = "HOME") -> None:
    page.evaluate("([name, id, source]) => Microsoft.Apm.openRecord({entityName: name, entityId: id, source})",
                  [name, record_id, source])


def form(page: Page):
    """The record form in the focused tab panel."""
    return page.locator(".tab-panel:not(.is-inactive) .record-form")


def field_input(page: Page, name: str):
    return form(page).locator(f".form-field[data-field='{name}'] :is(input, textarea, select)").first


def focused_tab(page: Page):
    return page.locator(".tab-strip-session:not([hidden]) [role=tab][aria-selected=true]")


def expected_refusal_logged(page: Page, status: int = 412) -> None:
    """Chromium logs every 4xx answer as a console error; the refusal is what these tests provoke, so only those
    lines are taken off the page guard (anything else still fails the test)."""
    guard = page.guard  # type: ignore[attr-defined]
    guard.console_errors[:] = [text for text in guard.console_errors if f"status of {status}" not in text]


def open_case(page: Page, case: dict) -> None:
    open_record(page, "incident", case["incidentid"])
    expect(field_input(page, "title")).to_have_value(case["title"])


def test_editing_marks_the_tab_dirty_and_ctrl_s_saves(page: Page, api: Api) -> None:
    case = api.case("Forms: printer offline")
    open_case(page, case)
    expect(focused_tab(page)).to_contain_text("Forms: printer offline")  # the tab is titled by the record
    expect(form(page).locator(".form-facts")).to_contain_text(case["ticketnumber"])
    title = field_input(page, "title")
    title.fill("Forms: printer on fire")
    expect(focused_tab(page).locator(".tab-dirty")).to_be_visible()
    page.get_by_role("tab", name="Home").click()  # away and back: the form keeps its DOM and its edit
    page.locator("#session-list [role=tab]").nth(1).click()
    expect(title).to_have_value("Forms: printer on fire")
    expect(focused_tab(page).locator(".tab-dirty")).to_be_visible()
    title.focus()
    prevented = page.evaluate_handle("""() => { const seen = {value: null};
      document.querySelector('.tab-panel:not(.is-inactive)').addEventListener('keydown',
        (e) => { if (e.key === 's') setTimeout(() => { seen.value = e.defaultPrevented; }); });
      return seen; }""")
    title.press("Control+s")
    expect(form(page).locator(".form-status")).to_have_text("Saved.")
    expect(focused_tab(page).locator(".tab-dirty")).to_have_count(0)
    assert prevented.evaluate("s => s.value") is True  # the browser's "save page" dialog never opens
    assert api.get(f"/incidents({case['incidentid']})")["title"] == "Forms: printer on fire"
    expect(focused_tab(page)).to_contain_text("Forms: printer on fire")
    page.screenshot(path=f"{SHOTS}/forms-case-saved.png")


def test_field_errors_show_inline_and_keep_what_was_typed(page: Page, api: Api) -> None:
    case = api.case("Forms: inline errors")
    open_case(page, case)
    title = field_input(page, "title")
    title.fill("")
    subject = field_input(page, "subject")
    subject.fill("s" * 101)
    form(page).locator(".form-save").click()
    error = form(page).locator(".form-field[data-field='title'] .field-error")
    expect(error).to_have_text("Case title is required.")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_attribute("aria-describedby", error.get_attribute("id"))
    expect(form(page).locator(".form-field[data-field='subject'] .field-error")).to_contain_text("at most 100")
    expect(title).to_be_focused()
    assert api.get(f"/incidents({case['incidentid']})")["title"] == "Forms: inline errors"  # nothing sent

    # A refusal only the server knows about: shown on the field it names, as a notice, and the text stays.
    title.fill("Forms: inline errors, fixed")
    subject.fill("Refused by the server")
    page.route("**/api/incidents(*", lambda route: route.fulfill(
        status=422, content_type="application/json",
        body=json.dumps({"error": {"code": "validation_failed", "message": "subject is not allowed here.",
                                   "details": {"field": "subject"}}})) if route.request.method == "PATCH"
        else route.continue_())
    try:
        page.keyboard.press("Control+s")
        expect(form(page).locator(".form-field[data-field='subject'] .field-error")).to_have_text(
            "subject is not allowed here.")
        expect(page.locator("#notices .notice[data-code='validation_failed']")).to_be_visible()
    finally:
        page.unroute("**/api/incidents(*")
        expected_refusal_logged(page, 422)
    expect(subject).to_have_value("Refused by the server")
    expect(title).to_have_value("Forms: inline errors, fixed")
    page.screenshot(path=f"{SHOTS}/forms-errors.png")
    form(page).locator(".form-save").click()
    expect(form(page).locator(".form-status")).to_have_text("Saved.")
    saved = api.get(f"/incidents({case['incidentid']})")
    assert (saved["title"], saved["subject"]) == ("Forms: inline errors, fixed", "Refused by the server")


def test_lookup_searches_as_you_type_and_its_link_opens_a_tab_in_the_session(page: Page, api: Api) -> None:
    marker = uuid.uuid4().hex[:6]
    account = api.account(f"Quokka{marker} Industries")
    case = api.case("Forms: change customer")
    open_case(page, case)
    customer = field_input(page, "customerid")
    expect(customer).to_have_attribute("role", "combobox")
    expect(customer).to_have_value(case_customer_name(api, case))  # names, never ids
    customer.click()
    customer.press_sequentially(f"quokka{marker}", delay=20)
    listbox = page.locator("#" + customer.get_attribute("aria-controls"))
    option = listbox.get_by_role("option", name=f"Quokka{marker} Industries")
    expect(option).to_be_visible()
    expect(customer).to_have_attribute("aria-expanded", "true")
    customer.press("ArrowDown")
    customer.press("ArrowUp")
    expect(customer).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    page.screenshot(path=f"{SHOTS}/forms-lookup.png")
    customer.press("Enter")
    expect(listbox).to_be_hidden()
    expect(customer).to_have_value(f"Quokka{marker} Industries")
    customer.press("Control+s")
    expect(form(page).locator(".form-status")).to_have_text("Saved.")
    saved = api.get(f"/incidents({case['incidentid']})")
    assert (saved["customerid"], saved["customeridtype"]) == (account["accountid"], "account")

    strip = page.locator(".tab-strip-session:not([hidden])")
    expect(strip.get_by_role("tab")).to_have_count(1)
    sessions_before = page.locator("#session-list [role=tab]").count()
    form(page).locator(".form-field[data-field='customerid'] .lookup-open").click()
    expect(strip.get_by_role("tab")).to_have_count(2)  # a new tab in the focused session
    assert page.locator("#session-list [role=tab]").count() == sessions_before
    expect(focused_tab(page)).to_contain_text(f"Quokka{marker} Industries")
    expect(field_input(page, "name")).to_have_value(f"Quokka{marker} Industries")


def case_customer_name(api: Api, case: dict) -> str:
    return api.get(f"/accounts({case['customerid']})")["name"]


def test_escape_in_a_lookup_closes_the_list_and_keeps_the_value(page: Page, api: Api) -> None:
    case = api.case("Forms: escape")
    open_case(page, case)
    customer = field_input(page, "customerid")
    name = case_customer_name(api, case)
    customer.click()
    customer.press_sequentially("Forms Customer", delay=10)
    listbox = page.locator("#" + customer.get_attribute("aria-controls"))
    expect(listbox.get_by_role("option").first).to_be_visible()
    customer.press("Escape")
    expect(listbox).to_be_hidden()
    customer.press("Escape")
    expect(customer).to_have_value(name)
    expect(focused_tab(page).locator(".tab-dirty")).to_have_count(0)


def test_a_change_saved_elsewhere_refreshes_the_form_or_offers_a_review(page: Page, api: Api) -> None:
    case = api.case("Forms: refresh me")
    open_case(page, case)
    write = """
from app import handle
from components.pages import spawn
async def change():
    client = handle.services.client
    record = await client.get("incidents", "{id}")
    await client.update("incidents", record, {changes}, key="incidentid")
spawn(change())
result = 1
"""
    # Another tab of this workspace saves the case (every write goes through the page's client and its bus).
    run_python(page, write.replace("{id}", case["incidentid"]).replace("{changes}", '{"prioritycode": 1}'))
    expect(field_input(page, "prioritycode")).to_have_value("1")
    expect(form(page).locator(".form-facts")).to_contain_text("High")

    field_input(page, "title").fill("Forms: my unsaved edit")
    run_python(page, write.replace("{id}", case["incidentid"]).replace("{changes}", '{"subject": "Theirs"}'))
    banner = form(page).locator(".form-banner")
    expect(banner).to_contain_text("Someone else saved this record")
    expect(field_input(page, "title")).to_have_value("Forms: my unsaved edit")  # not blocked, not lost
    banner.get_by_role("button", name="Review and reload").click()
    conflict = form(page).locator(".form-conflict")
    expect(conflict.locator("tr[data-field='subject']")).to_contain_text("Theirs")
    conflict.get_by_role("button", name="Keep mine and re-apply").click()
    expect(form(page).locator(".form-status")).to_have_text("Saved.")
    saved = api.get(f"/incidents({case['incidentid']})")
    assert (saved["title"], saved["subject"], saved["prioritycode"]) == ("Forms: my unsaved edit", "Theirs", 1)


def test_a_record_the_server_does_not_answer_for_says_so_in_its_tab(page: Page, api: Api) -> None:
    case = api.case("Forms: unreachable")
    record_url = f"**/api/incidents({case['incidentid']})"
    page.route(record_url, lambda route: route.abort("connectionrefused"))
    try:
        open_record(page, "incident", case["incidentid"])
        expect(form(page).locator(".form-error")).to_have_text(
            "The server did not answer. Check the connection, then reopen the record.")
        expect(form(page).locator(".form-title")).to_have_text("Case")  # not stuck on "Loading…"
    finally:
        page.unroute(record_url)
    guard = page.guard  # type: ignore[attr-defined]
    guard.console_errors[:] = [text for text in guard.console_errors if "ERR_CONNECTION_REFUSED" not in text]


def test_a_new_record_form_creates_the_record_in_the_same_tab(page: Page, api: Api) -> None:
    open_record(page, "contact", None, "CREATE_RECORD")
    expect(form(page).locator(".form-title")).to_have_text("New contact")
    first = field_input(page, "firstname")
    first.fill("Grace")
    form(page).locator(".form-save").click()
    expect(form(page).locator(".form-field[data-field='lastname'] .field-error")).to_have_text(
        "Last name is required.")
    field_input(page, "lastname").fill(f"Hopper{uuid.uuid4().hex[:4]}")
    last_name = field_input(page, "lastname").input_value()
    page.keyboard.press("Control+s")
    expect(form(page).locator(".form-title")).to_have_text(f"Grace {last_name}")
    expect(focused_tab(page)).to_contain_text(f"Grace {last_name}")
    expect(page.locator(".tab-strip-session:not([hidden]) [role=tab]")).to_have_count(1)  # the same tab
    found = api.get(f"/contacts?$filter=lastname eq '{last_name}'")["value"]
    assert len(found) == 1 and found[0]["firstname"] == "Grace"
    expect(form(page).locator(".form-status")).to_have_text("Saved.")
    field_input(page, "jobtitle").fill("Rear admiral")  # the saved record is edited from now on (PATCH)
    expect(form(page).locator(".form-status")).to_have_text("")  # "Saved." was about the record before this edit
    page.keyboard.press("Control+s")
    expect(form(page).locator(".form-status")).to_have_text("Saved.")
    assert api.get(f"/contacts({found[0]['contactid']})")["jobtitle"] == "Rear admiral"


def test_quick_create_saves_and_its_notice_opens_the_record_in_a_new_session(page: Page, api: Api) -> None:
    marker = uuid.uuid4().hex[:6]
    api.account(f"Wombat{marker} Ltd")
    button = page.locator("#quick-create-button")
    expect(button).to_have_attribute("aria-haspopup", "menu")
    button.click()
    menu = page.get_by_role("menu", name="Quick create")
    expect(menu.get_by_role("menuitem")).to_have_text(["Case", "Account", "Contact", "Task", "Phone call"])
    expect(menu.get_by_role("menuitem", name="Case")).to_be_focused()
    page.screenshot(path=f"{SHOTS}/forms-quick-create-menu.png")
    page.keyboard.press("Enter")
    dialog = page.locator("dialog.quick-create-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator(".form-field[data-field='title'] .field-error")).to_have_text("Case title is required.")
    dialog.get_by_label("Case title").fill(f"Quick case {marker}")
    customer = dialog.get_by_role("combobox", name="Customer")
    customer.press_sequentially(f"wombat{marker}", delay=20)
    dialog.get_by_role("option", name=f"Wombat{marker} Ltd").click()
    expect(customer).to_have_value(f"Wombat{marker} Ltd")
    page.screenshot(path=f"{SHOTS}/forms-quick-create.png")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    notice = page.locator("#notices .notice[data-code='quick_create_saved']")
    expect(notice).to_contain_text(f"Case created: Quick case {marker}")
    found = api.get(f"/incidents?$filter=title eq 'Quick case {marker}'")["value"]
    assert len(found) == 1 and found[0]["customeridtype"] == "account"
    sessions_before = page.locator("#session-list [role=tab]").count()
    notice.get_by_role("link", name="Open").click()
    expect(page.locator("#session-list [role=tab]")).to_have_count(sessions_before + 1)  # a new session
    expect(field_input(page, "title")).to_have_value(f"Quick case {marker}")


def test_concurrent_edits_in_two_browsers_conflict_and_keep_mine_saves_both(pages, live_server) -> None:
    first = pages.open()
    second = pages.open()
    api = Api(first, live_server.url)
    case = api.case("Forms: concurrent")
    for page in (first, second):
        open_case(page, case)
    field_input(first, "subject").fill("Set by the first agent")
    field_input(second, "title").fill("Forms: concurrent, retitled by the second")
    field_input(second, "productname").fill("Printer 9000")
    first.keyboard.press("Control+s")
    expect(form(first).locator(".form-status")).to_have_text("Saved.")
    second.keyboard.press("Control+s")
    conflict = form(second).locator(".form-conflict")
    expect(conflict).to_be_visible()
    expect(conflict.locator("tr[data-field='subject'] td").first).to_have_text("Set by the first agent")
    expect(conflict.locator("tr[data-field='title'] td").nth(1)).to_have_text(
        "Forms: concurrent, retitled by the second")
    expect(field_input(second, "title")).to_have_value("Forms: concurrent, retitled by the second")  # not lost
    second.screenshot(path=f"{SHOTS}/forms-conflict.png")
    conflict.get_by_role("button", name="Keep mine and re-apply").click()
    expect(form(second).locator(".form-status")).to_have_text("Saved.")
    expect(conflict).to_have_count(0)
    saved = api.get(f"/incidents({case['incidentid']})")
    assert (saved["subject"], saved["title"], saved["productname"]) == (
        "Set by the first agent", "Forms: concurrent, retitled by the second", "Printer 9000")
    expect(field_input(second, "subject")).to_have_value("Set by the first agent")
    expected_refusal_logged(second)


def test_reload_theirs_drops_my_edits_only_when_asked(pages, live_server) -> None:
    first = pages.open()
    second = pages.open()
    api = Api(first, live_server.url)
    case = api.case("Forms: reload theirs")
    for page in (first, second):
        open_case(page, case)
    field_input(first, "title").fill("Forms: theirs wins")
    first.keyboard.press("Control+s")
    expect(form(first).locator(".form-status")).to_have_text("Saved.")
    field_input(second, "title").fill("Forms: mine")
    second.keyboard.press("Control+s")
    conflict = form(second).locator(".form-conflict")
    expect(conflict.locator("tr.is-collision[data-field='title']")).to_be_visible()
    conflict.get_by_role("button", name="Reload theirs").click()
    expect(field_input(second, "title")).to_have_value("Forms: theirs wins")
    expect(focused_tab(second).locator(".tab-dirty")).to_have_count(0)
    assert api.get(f"/incidents({case['incidentid']})")["title"] == "Forms: theirs wins"
    expected_refusal_logged(second)


def test_unsaved_edits_and_a_half_filled_new_form_come_back_after_a_reload(pages, live_server) -> None:
    page = pages.open()
    api = Api(page, live_server.url)
    case = api.case("Forms: draft")
    open_case(page, case)
    field_input(page, "description").fill("Typed before the reload")
    expect(focused_tab(page).locator(".tab-dirty")).to_be_visible()
    open_record(page, "account", None, "CREATE_RECORD")
    expect(form(page).locator(".form-title")).to_have_text("New account")
    field_input(page, "name").fill("Half-filled account")
    page.reload()
    wait_ready(page)
    expect(field_input(page, "name")).to_have_value("Half-filled account")
    expect(focused_tab(page).locator(".tab-dirty")).to_be_visible()
    page.evaluate("() => Microsoft.Apm.getSession(Microsoft.Apm.getAllSessions()[1]).focus()")  # the case's session
    expect(field_input(page, "description")).to_have_value("Typed before the reload")
    expect(focused_tab(page).locator(".tab-dirty")).to_be_visible()


EXTENSION = """
import js
from browser.dom import h, on
from components.form_extensions import extend_form
from components.pages import spawn

js.window.eval("window.__ext = {records: [], saved: [], disposed: 0}")


def install_test_extension(host):
    button = h("button", {"type": "button", "class": "button-secondary", "id": "ext-action"}, "Ext action")
    host.toolbar.appendChild(button)
    host.side.appendChild(h("section", {"class": "ext-side"}, "Extension of " + host.entity.logical))

    async def act():
        js.window.__ext.saved.push(await host.ensure_saved())

    on(button, "click", lambda _event: spawn(act()))
    host.on_record(lambda record: js.window.__ext.records.push(record["name"]))
    host.add_disposer(lambda: js.window.eval("window.__ext.disposed += 1"))
    js.window.__ext.recordId = host.record_id or ""


extend_form(("account",), install_test_extension)
result = 1
"""

REMOVE_EXTENSION = """
from components import form_extensions
form_extensions._EXTENSIONS[:] = [e for e in form_extensions._EXTENSIONS if e[1].__name__ != "install_test_extension"]
result = 1
"""


def test_form_extensions_get_the_host_contract(page: Page, api: Api) -> None:
    account = api.account(f"Extended {uuid.uuid4().hex[:6]}")
    run_python(page, EXTENSION)
    try:
        open_record(page, "account", account["accountid"])
        expect(field_input(page, "name")).to_have_value(account["name"])
        expect(form(page).locator(".form-toolbar #ext-action")).to_be_visible()
        expect(form(page).locator(".form-side .ext-side")).to_have_text("Extension of account")
        page.wait_for_function("() => window.__ext.records.length === 1")
        assert page.evaluate("window.__ext.records") == [account["name"]]
        field_input(page, "name").fill(account["name"] + " (renamed)")
        form(page).locator("#ext-action").click()  # an action saves pending edits first
        page.wait_for_function("() => window.__ext.saved.length === 1")
        assert page.evaluate("window.__ext.saved") == [True]
        assert api.get(f"/accounts({account['accountid']})")["name"] == account["name"] + " (renamed)"
        assert page.evaluate("window.__ext.records") == [account["name"], account["name"] + " (renamed)"]
        page.evaluate("async () => { const tab = Microsoft.Apm.getFocusedSession(); "
                      "tab.canClose = true; await tab.close(); }")
        page.wait_for_function("() => window.__ext.disposed === 1")
    finally:
        run_python(page, REMOVE_EXTENSION)
