"""What an agent does all day, end to end on the real pages (dashboard, case form, timeline, case actions, search),
and the promise that record text never becomes markup anywhere it is shown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from server.launch import RunningServer, sign_in
from tests.e2e.a11y import assert_accessible
from tests.e2e.support import RESET_JS, Api, home_list, list_rows, search_list, unique_word


@pytest.fixture(scope="module")
def supervisor(browser: Browser, live_server: RunningServer) -> Iterator[Api]:
    context = browser.new_context()
    sign_in(context, live_server.url, "supervisor")
    yield Api(context.request, live_server.url)
    context.close()


@pytest.fixture
def page(shared_page: Page) -> Page:
    shared_page.evaluate(RESET_JS)
    return shared_page


@pytest.fixture
def api(page: Page, live_server: RunningServer) -> Api:
    return Api(page.context.request, live_server.url)


def focused_panel(page: Page) -> Locator:
    return page.locator(".tab-panel:not(.is-inactive)")


def loaded_form(page: Page, title: str) -> Locator:
    form = focused_panel(page).locator(".record-form")
    expect(form.locator(".form-title")).to_have_text(title)
    expect(form.locator(".tl-items[data-loaded='1']")).to_be_attached()
    return form


def test_pick_from_the_queue_edit_add_a_note_and_resolve(page: Page, api: Api, supervisor: Api) -> None:
    token = unique_word()
    case = supervisor.new_case(f"{token} printer jams on every job", description="Reported by phone")
    queue = supervisor.get("queues", **{"$top": 1})["value"][0]
    supervisor.post("queueitems", {"queueid": queue["queueid"], "objectid": case["incidentid"],
                                   "objecttypecode": "incident", "title": case["title"]})
    # pick it from "Cases available to work on": it opens in a new session on the real case form
    available, mine = home_list(page, "queue"), home_list(page, "cases")
    search_list(available, token)
    expect(list_rows(available)).to_have_count(1)
    list_rows(available).first.locator("input.list-check").check()
    available.get_by_role("button", name="Pick").click()
    expect(page.locator("#session-list [role=tab][aria-selected=true]")).to_contain_text(case["ticketnumber"])
    form = loaded_form(page, case["title"])

    # edit: the tab shows the unsaved marker; Ctrl+S saves it
    title = form.get_by_label("Case title")
    title.fill(f"{token} printer jams on every duplex job")
    expect(page.locator(".tab-item.is-focused .tab-dirty")).to_be_visible()
    title.press("Control+s")
    expect(page.locator(".tab-item.is-focused .tab-dirty")).to_have_count(0)
    assert api.get(f"incidents({case['incidentid']})")["title"] == f"{token} printer jams on every duplex job"

    # a note on the timeline
    form.get_by_role("button", name="+ Note").click()
    form.get_by_label("Text (required)").fill("Customer sent a photo of the jam")
    form.get_by_label("Text (required)").press("Control+Enter")
    expect(form.locator(".tl-item").first).to_have_attribute("data-type", "note")

    # resolve
    form.get_by_role("group", name="Case actions").get_by_role("button", name="Resolve case").click()
    dialog = page.get_by_role("dialog", name="Resolve case")
    dialog.get_by_label("Resolution (required)").fill("Replaced the duplex unit")
    dialog.get_by_role("button", name="Resolve").click()
    expect(dialog).to_be_hidden()
    expect(form.locator(".tl-item").first).to_have_attribute("data-type", "incidentresolution")
    stored = api.get(f"incidents({case['incidentid']})")
    assert (stored["statecode"], stored["ownerid"], stored["resolution"]) == (1, api.user_id,
                                                                           "Replaced the duplex unit")
    notes = api.get("annotations", **{"$filter": f"objectid eq {case['incidentid']}"})["value"]
    assert [n["notetext"] for n in notes] == ["Customer sent a photo of the jam"]
    # Home's lists followed every step: resolved cases leave "My active cases" and the queue
    page.evaluate(RESET_JS)
    search_list(mine, token)
    expect(mine.locator(".list-empty")).to_be_visible()
    search_list(available, token)
    expect(list_rows(available)).to_have_count(0)


MARKUP = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script><b>bold</b>'


def test_record_text_is_never_markup_anywhere_it_shows(page: Page, api: Api) -> None:
    token = unique_word()
    title = f"{token} {MARKUP}"
    case = api.new_case(title, description=f"Description {MARKUP}", subject=f"S{MARKUP}"[:100],
                        productname=f"P{MARKUP}"[:100])
    api.post("annotations", {"subject": f"Note {MARKUP}", "notetext": f"Body {MARKUP}",
                             "objectid": case["incidentid"], "objecttypecode": "incident"})

    def nothing_ran() -> None:
        assert page.evaluate("() => window.__xss") is None
        assert page.locator("#app img[src='x'], #app b, #app script").count() == 0

    # the dashboard list
    mine = home_list(page, "cases")
    search_list(mine, token)
    expect(list_rows(mine).first.locator("td[data-column='title']")).to_have_text(title)
    nothing_ran()
    # global search: the suggestions and the results page
    box = page.locator("#global-search")
    box.fill(token)
    suggestions = page.get_by_role("listbox")
    expect(suggestions).to_contain_text(MARKUP)
    nothing_ran()
    box.press("Enter")
    results = focused_panel(page)
    expect(results).to_contain_text(MARKUP)
    nothing_ran()
    page.evaluate(RESET_JS)
    # the case form (header, fields), its tab and the timeline, opened from Home
    list_rows(mine).first.locator("a.list-open").click()
    form = loaded_form(page, title)
    expect(form.get_by_label("Case title")).to_have_value(title)
    expect(form.get_by_role("textbox", name="Description", exact=True)).to_have_value(f"Description {MARKUP}")
    expect(page.locator(".tab-item.is-focused .tab-title")).to_have_text(title)
    expect(form.locator(".tl-item").first).to_contain_text(f"Note {MARKUP}")
    nothing_ran()
    # a list view from the site map
    page.locator("#sitemap-button").click()
    page.get_by_role("menuitem", name="Cases").click()
    cases_view = focused_panel(page).locator(".list-view")
    search_list(cases_view, token)
    expect(list_rows(cases_view).first).to_contain_text(title)
    nothing_ran()


def test_dashboard_and_case_form_have_no_serious_accessibility_violations(page: Page, api: Api) -> None:
    case = api.new_case(f"{unique_word()} router drops wifi")
    expect(list_rows(home_list(page, "cases")).first).to_be_visible()
    assert_accessible(page)
    page.evaluate("(id) => Microsoft.Apm.openRecord({entityName: 'incident', entityId: id, source: 'HOME'})",
                  case["incidentid"])
    loaded_form(page, case["title"])
    assert_accessible(page)
