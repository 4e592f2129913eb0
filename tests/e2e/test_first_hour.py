"""What a new agent hit in the first hour (issue 15), in the real page with the real record form.

1. A half-typed timeline note, task or phone call is an unsaved change: it marks the tab, the close warning asks,
   and it comes back after a reload.
2. Search results and lookup options show what tells look-alike records apart (case number, customer, status...).
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import GuardedPages, wait_ready
from tests.e2e.support import Api

SHOTS = Path(tempfile.gettempdir()) / "casework-firsthour-shots"
SHOTS.mkdir(exist_ok=True)
SIZES = ((1440, 900), (1024, 700))


def shots(page: Page, name: str) -> None:
    """The screen at both sizes the issue names (then back to the size the test ran at)."""
    before = page.viewport_size
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"))
    if before:
        page.set_viewport_size(before)


def api_of(page: Page, pages: GuardedPages) -> Api:
    return Api(page.context.request, pages.server.url)


def open_case(page: Page, case_id: str) -> None:
    page.evaluate("(id) => Microsoft.Apm.openRecord({entityName: 'incident', entityId: id, source: 'HOME'})", case_id)
    expect(panel(page).locator(".tl-items[data-loaded]")).to_be_attached()


def panel(page: Page):
    return page.locator(".tab-panel:not(.is-inactive)")


def focused_tab(page: Page):
    return page.locator(".tab-strip-session:not([hidden]) [role=tab][aria-selected=true]")


def focused_session(page: Page):
    return page.locator("[id^='session-'][aria-selected=true]")


def close_button(page: Page, session_dom_id: str):
    title = page.evaluate("(id) => Microsoft.Apm.getSession(id).title", session_dom_id.removeprefix("session-"))
    return page.get_by_role("button", name=f"Close session {title}", include_hidden=True)


# -- 1. timeline drafts are unsaved changes ------------------------------------------------------------------------

def test_a_half_typed_timeline_note_marks_the_tab_warns_on_close_and_survives_a_reload(pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    case = api.new_case("First hour: timeline draft")
    open_case(page, case["incidentid"])
    expect(focused_tab(page).locator(".tab-dirty")).to_have_count(0)
    panel(page).get_by_role("button", name="+ Note").click()
    expect(focused_tab(page).locator(".tab-dirty")).to_have_count(0)  # an empty draft loses nothing
    panel(page).get_by_label("Text (required)").fill("Customer will send the serial number")
    expect(focused_tab(page).locator(".tab-dirty")).to_be_visible()
    shots(page, "timeline-draft-dirty")
    assert_accessible(page)

    # closing the session asks first
    session_id = focused_session(page).get_attribute("id")
    close_button(page, session_id).click()
    dialog = page.get_by_role("dialog", name="Close this session?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("unsaved changes")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator(f"#{session_id}")).to_have_count(1)

    # Escape closes the draft but keeps the text: still unsaved, and a reload brings it back, open
    panel(page).get_by_label("Text (required)").press("Escape")
    expect(panel(page).locator("form.tl-draft")).to_be_hidden()
    expect(focused_tab(page).locator(".tab-dirty")).to_be_visible()
    page.reload()
    wait_ready(page)
    expect(panel(page).locator("form.tl-draft")).to_be_visible()
    expect(panel(page).get_by_label("Text (required)")).to_have_value("Customer will send the serial number")
    expect(focused_tab(page).locator(".tab-dirty")).to_be_visible()

    # saved: the tab is clean and nothing comes back after the next reload
    panel(page).get_by_label("Text (required)").press("Control+Enter")
    expect(panel(page).locator("form.tl-draft")).to_be_hidden()
    expect(panel(page).locator(".tl-item[data-type=note]").first).to_contain_text("serial number")
    expect(focused_tab(page).locator(".tab-dirty")).to_have_count(0)
    page.reload()
    wait_ready(page)
    expect(panel(page).locator(".tl-items[data-loaded]")).to_be_attached()
    expect(panel(page).locator("form.tl-draft")).to_be_hidden()
    expect(focused_tab(page).locator(".tab-dirty")).to_have_count(0)


def test_a_timeline_task_draft_in_a_hidden_tab_counts_as_unsaved_before_it_is_shown(pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    case = api.new_case("First hour: hidden draft")
    open_case(page, case["incidentid"])
    panel(page).get_by_role("button", name="+ Task").click()
    panel(page).get_by_label("Subject (required)").fill("Ship the adapter")
    case_session = focused_session(page).get_attribute("id")
    page.evaluate("() => Microsoft.Apm.getSession(Microsoft.Apm.getAllSessions()[0]).focus()")  # Home
    page.reload()
    wait_ready(page)
    # the case's tab is not mounted yet; its session still counts as unsaved
    close_button(page, case_session).click()
    dialog = page.get_by_role("dialog", name="Close this session?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    page.locator(f"#{case_session}").click()
    expect(panel(page).get_by_label("Subject (required)")).to_have_value("Ship the adapter")
    expect(focused_tab(page).locator(".tab-dirty")).to_be_visible()


# -- 2. look-alike search rows and lookup options ------------------------------------------------------------------

def two_look_alike_cases(api: Api, title: str) -> list[dict]:
    accounts = [api.post("accounts", {"name": f"{name} {uuid.uuid4().hex[:4]}",
                                      "accountnumber": "F" + uuid.uuid4().hex[:8]})
                for name in ("Tailspin", "Wingtip")]
    return [api.post("incidents", {"title": title, "customerid": account["accountid"],
                                    "customeridtype": "account", "prioritycode": 2}) for account in accounts]


def test_look_alike_cases_are_told_apart_in_search_results_and_the_regarding_lookup(pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    title = f"Cancel an order {uuid.uuid4().hex[:6]}"
    cases = two_look_alike_cases(api, title)
    numbers = [case["ticketnumber"] for case in cases]

    page.evaluate("(q) => Microsoft.Apm.createTab({templateName: 'msdyn_search', appContext: {searchText: q}})", title)
    results = panel(page).locator(".search-result")
    expect(results).to_have_count(2)
    for number in numbers:  # each row says which case it is, its customer, status and owner
        row = results.filter(has_text=number)
        expect(row).to_have_count(1)
        expect(row.locator(".search-result-facts")).to_contain_text("In progress")
        expect(row.locator(".search-result-facts")).to_contain_text("Owner Agent 3 Patel")
    expect(results.filter(has_text="Tailspin")).to_have_count(1)
    expect(results.filter(has_text="Wingtip")).to_have_count(1)
    shots(page, "search-results-facts")
    assert_accessible(page)

    page.evaluate("() => Microsoft.Apm.openRecord({entityName: 'task', source: 'CREATE_RECORD'})")
    regarding = panel(page).locator(".form-field[data-field='regardingobjectid'] input").first
    regarding.click()
    regarding.press_sequentially(title.split()[-1], delay=20)
    listbox = page.locator("#" + regarding.get_attribute("aria-controls"))
    options = listbox.locator(".lookup-option")
    expect(options).to_have_count(2)
    for number in numbers:
        expect(options.filter(has_text=number)).to_have_count(1)
    shots(page, "regarding-lookup-facts")
    assert_accessible(page)
    options.filter(has_text=numbers[1]).dispatch_event("mousedown")
    expect(regarding).to_have_value(title)
    expect(listbox).to_be_hidden()
