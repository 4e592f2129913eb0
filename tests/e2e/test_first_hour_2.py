"""What a new agent hit in the first hour (issue 15), items 3 to 7, in the real page.

3. Closed and not-mine records are read-only with the reason shown, their fields locked, commands the user cannot
   run hidden or disabled, and edits that cannot be saved are named and dropped once (never a dirty tab for good).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import unquote

from playwright.sync_api import Page, expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import GuardedPages, wait_ready
from tests.e2e.support import Api, run_python

SHOTS = Path("/work/shots/ro")
SIZES = ((1440, 900), (1024, 700))


def shots(page: Page, name: str) -> None:
    """The screen at both sizes the issue names (then back to the size the test ran at)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"))
    if before:
        page.set_viewport_size(before)


def api_of(page: Page, pages: GuardedPages) -> Api:
    return Api(page.context.request, pages.server.url)


def panel(page: Page):
    return page.locator(".tab-panel:not(.is-inactive)")


def focused_tab(page: Page):
    return page.locator(".tab-strip-session:not([hidden]) [role=tab][aria-selected=true]")


def open_record(page: Page, logical: str, record_id: str) -> None:
    page.evaluate("([name, id]) => Microsoft.Apm.openRecord({entityName: name, entityId: id, source: 'HOME'})",
                  [logical, record_id])
    expect(panel(page).locator(f".record-form[data-entity={logical}] .form-title")).not_to_have_text("Loading…")


def field(page: Page, name: str):
    return panel(page).locator(f".form-field[data-field='{name}']").locator("input, select, textarea").first


def read_only(page: Page):
    return panel(page).locator(".form-readonly")


def commands(page: Page):
    return panel(page).get_by_role("group", name="Case actions")


# -- 3. read-only that is read-only ---------------------------------------------------------------------------------

def test_a_resolved_case_is_read_only_keeps_its_status_reason_and_drops_an_unsavable_draft_once(
        pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    case = api.new_case(f"Read-only: resolved {uuid.uuid4().hex[:6]}")
    case_id = case["incidentid"]
    open_record(page, "incident", case_id)
    expect(read_only(page)).to_be_hidden()
    field(page, "title").fill("Typed before someone resolved it")
    expect(focused_tab(page).locator(".tab-dirty")).to_be_visible()
    api.post(f"incidents({case_id})/resolve", {"subject": "Fixed on the phone"}, etag=case["@odata.etag"])

    page.reload()  # the draft comes back, the case is resolved now: the edit cannot be saved
    wait_ready(page)
    expect(read_only(page)).to_have_text("Read-onlyResolved")
    banner = panel(page).locator(".form-banner")
    expect(banner).to_contain_text("read-only (Resolved), so your unsaved changes to Case title were not kept")
    expect(focused_tab(page).locator(".tab-dirty")).to_have_count(0)
    expect(field(page, "title")).to_have_value(case["title"])
    expect(field(page, "title")).not_to_be_editable()
    expect(field(page, "prioritycode")).to_be_disabled()
    status_reason = field(page, "statuscode")
    expect(status_reason).to_be_disabled()
    expect(status_reason.locator("option:checked")).to_have_text("Problem solved")  # not blank
    expect(panel(page).locator(".form-save")).to_be_hidden()
    for name in ("Resolve case", "Cancel case"):
        expect(commands(page).get_by_role("button", name=name)).to_have_attribute("aria-disabled", "true")
    shots(page, "resolved-case-read-only")
    assert_accessible(page)

    # Ctrl+S says why in the form's status, and no notice piles up on top
    field(page, "description").press("Control+s")
    expect(panel(page).locator(".form-status")).to_have_text("Read-only: Resolved.")
    expect(page.locator("#notices .notice")).to_have_count(0)

    page.reload()  # the dropped draft is gone for good
    wait_ready(page)
    expect(read_only(page)).to_be_visible()
    expect(panel(page).locator(".form-banner")).to_be_hidden()
    expect(focused_tab(page).locator(".tab-dirty")).to_have_count(0)


def test_another_agents_case_says_whose_it_is_and_an_agent_gets_no_assign_or_route(pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    other = api.get("incidents", **{"$top": 1, "$filter": f"ownerid ne {api.user_id} and ownerid ne null "
                                                          "and statecode eq 0"})["value"][0]
    owner = api.get(f"systemusers({other['ownerid']})")["fullname"]
    open_record(page, "incident", other["incidentid"])
    expect(read_only(page)).to_have_text(f"Read-onlyOwned by {owner}")
    expect(field(page, "title")).not_to_be_editable()
    expect(field(page, "caseorigincode")).to_be_disabled()
    expect(panel(page).locator(".form-save")).to_be_hidden()
    resolve = commands(page).get_by_role("button", name="Resolve case")
    expect(resolve).to_have_attribute("aria-disabled", "true")
    expect(resolve).to_have_attribute("title", f"Owned by {owner}: only the owner, a supervisor or an admin can "
                                               "change this case.")
    expect(commands(page).get_by_role("button", name="Assign")).to_be_hidden()
    expect(commands(page).get_by_role("button", name="Route to queue")).to_be_hidden()
    shots(page, "other-agents-case-read-only")
    assert_accessible(page)

    # my own case: editable, resolve enabled, still no assign for an agent
    mine = api.new_case(f"Read-only: mine {uuid.uuid4().hex[:6]}")
    open_record(page, "incident", mine["incidentid"])
    expect(read_only(page)).to_be_hidden()
    expect(field(page, "title")).to_be_editable()
    expect(commands(page).get_by_role("button", name="Resolve case")).not_to_have_attribute("aria-disabled", "true")
    expect(commands(page).get_by_role("button", name="Assign")).to_be_hidden()


def test_knowledge_articles_for_agents_and_sent_emails_are_read_only_with_the_reason(pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    article = api.get("knowledgearticles", **{"$top": 1})["value"][0]
    open_record(page, "knowledgearticle", article["knowledgearticleid"])
    expect(read_only(page)).to_have_text("Read-onlyOnly supervisors and admins edit knowledge articles")
    expect(field(page, "title")).not_to_be_editable()
    expect(panel(page).locator(".form-save")).to_be_hidden()
    assert_accessible(page)

    sent = api.post("emails", {"subject": f"Sent {uuid.uuid4().hex[:6]}", "statecode": 1, "statuscode": 2})
    open_record(page, "email", sent["activityid"])
    expect(read_only(page)).to_have_text("Read-onlyCompleted")
    expect(field(page, "subject")).not_to_be_editable()
    shots(page, "sent-email-read-only")
    assert_accessible(page)


def test_a_supervisor_may_edit_an_agents_case_and_sees_assign_and_route(pages: GuardedPages) -> None:
    page = pages.open(user="supervisor")
    api = api_of(page, pages)
    other = api.get("incidents", **{"$top": 1, "$filter": f"ownerid ne {api.user_id} and ownerid ne null "
                                                          "and statecode eq 0"})["value"][0]
    open_record(page, "incident", other["incidentid"])
    expect(field(page, "title")).to_be_editable()
    expect(read_only(page)).to_be_hidden()
    expect(commands(page).get_by_role("button", name="Assign")).to_be_visible()
    expect(commands(page).get_by_role("button", name="Route to queue")).to_be_visible()


def test_resolving_names_the_activities_still_open(pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    case = api.new_case(f"Read-only: open work {uuid.uuid4().hex[:6]}")
    api.add("tasks", case["incidentid"], "Send the replacement")
    api.add("phonecalls", case["incidentid"], "Call back on Monday")
    open_record(page, "incident", case["incidentid"])
    commands(page).get_by_role("button", name="Resolve case").click()
    dialog = page.get_by_role("dialog", name="Resolve case")
    expect(dialog.locator(".ca-open-activities")).to_have_text(
        "2 activities are still open on this case: Send the replacement (task), Call back on Monday (phone call).")
    shots(page, "resolve-open-activities")
    assert_accessible(page)


# -- 4. notices ----------------------------------------------------------------------------------------------------

def overlaps(a: dict | None, b: dict | None) -> bool:
    assert a and b
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_a_success_notice_fades_in_its_colour_an_error_stays_and_neither_covers_the_primary_actions(
        pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    case = api.new_case(f"Notices {uuid.uuid4().hex[:6]}")
    open_record(page, "incident", case["incidentid"])
    commands(page).get_by_role("button", name="Resolve case").click()
    dialog = page.get_by_role("dialog", name="Resolve case")
    dialog.get_by_label("Resolution (required)").fill("Done")
    dialog.get_by_role("button", name="Resolve").click()
    success = page.locator("#notices .notice[data-code=case_resolved]")
    expect(success).to_have_attribute("data-kind", "success")
    expect(success).to_have_attribute("role", "status")
    colour = success.evaluate("(n) => getComputedStyle(n).backgroundColor")
    assert colour == "rgb(234, 245, 236)", colour  # the success green, not the warning yellow
    commands(page).get_by_role("button", name="Resolve case").focus()  # disabled: says why, an error-kind notice
    page.keyboard.press("Enter")
    refusal = page.locator("#notices .notice[data-code=case_action_disabled]")
    expect(refusal).to_have_attribute("data-kind", "error")
    for box in (panel(page).locator(".form-header"), panel(page).locator(".tl-add"),
                panel(page).locator(".form-toolbar")):
        for notice in (success, refusal):
            assert not overlaps(notice.bounding_box(), box.bounding_box())
    shots(page, "notices-success-and-error")
    assert_accessible(page)
    expect(success).to_have_count(0, timeout=12_000)  # faded by itself
    expect(refusal).to_be_visible()  # an error stays until dismissed
    refusal.get_by_role("button", name="Dismiss").click()
    expect(refusal).to_have_count(0)

    # on Home, the lists' search boxes stay clear of notices too (three of them, the most shown at once)
    page.evaluate("() => Microsoft.Apm.getSession(Microsoft.Apm.getAllSessions()[0]).focus()")
    run_python(page, "from app import handle\nfor i in range(3):\n"
                     "    handle.services.notify(f'Refused {i}', f'refused_{i}')\nresult = True")
    expect(page.locator("#notices .notice")).to_have_count(3)
    for search in page.locator("#panel-home-dashboard input.list-search").all():
        for notice in page.locator("#notices .notice").all():
            assert not overlaps(notice.bounding_box(), search.bounding_box())
    shots(page, "notices-home")


def test_a_limit_notice_says_the_limit(pages: GuardedPages) -> None:
    page = pages.open()
    page.evaluate("""() => {
        for (let i = 0; i < 9; i++) {
            Microsoft.Apm.createSession({templateName: "msdyn_case_session", sessionContext: {caseId: "limit-" + i}});
        }
        try { Microsoft.Apm.createSession({templateName: "msdyn_case_session", sessionContext: {caseId: "x"}}); }
        catch (e) { return e.code; }
    }""")
    notice = page.locator("#notices .notice[data-code=session_limit_reached]")
    expect(notice).to_contain_text("the most sessions your profile allows: 10 (Home and 9 more)")
    expect(notice).to_have_attribute("data-kind", "error")
    shots(page, "notice-limit")


# -- 5. Owner and Queue "Open" links --------------------------------------------------------------------------------

def test_owner_and_queue_open_links_show_a_user_card_and_a_queue_page(pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    case = api.get("incidents", **{"$top": 1, "$filter": "ownerid ne null and statecode eq 0"})["value"][0]
    owner = api.get(f"systemusers({case['ownerid']})")
    open_record(page, "incident", case["incidentid"])

    owner_field = panel(page).locator(".form-field[data-field='ownerid']")
    owner_field.get_by_role("link", name=f"Open {owner['fullname']}").click()
    card = panel(page).locator(".card-user")
    expect(card.locator(".card-title")).to_have_text(owner["fullname"])
    expect(card).to_have_attribute("aria-busy", "false")
    open_cases = api.get("incidents", **{"$filter": f"ownerid eq {owner['systemuserid']} and statecode eq 0",
                                         "$count": "true", "$top": 1})["@odata.count"]
    facts = card.locator(".card-facts")
    expect(facts).to_contain_text("RoleAgent")
    expect(facts).to_contain_text(f"Open cases{open_cases}")
    if owner.get("internalemailaddress"):
        expect(facts).to_contain_text(owner["internalemailaddress"])
    expect(panel(page)).not_to_contain_text("msdyn_entityrecord")  # no developer page
    expect(focused_tab(page)).to_contain_text(owner["fullname"])
    shots(page, "user-card")
    assert_accessible(page)

    queued = api.get("queueitems", **{"$top": 1, "$orderby": "enteredon asc"})["value"][0]
    case = api.get(f"incidents({queued['objectid']})")
    queue = api.get(f"queues({queued['queueid']})")
    open_record(page, "incident", case["incidentid"])
    queue_field = panel(page).locator(".form-field[data-field='queueid']")
    queue_field.get_by_role("link", name=f"Open {queue['name']}").click()
    queue_page = panel(page).locator(".card-queue")
    expect(queue_page.locator(".card-title")).to_have_text(queue["name"])
    expect(queue_page).to_have_attribute("aria-busy", "false")
    expect(queue_page.get_by_role("heading", name="Members")).to_be_visible()
    oldest = queued  # the oldest item of all is the oldest of its queue
    items = queue_page.locator(".card-items tbody tr")
    expect(items.first).to_contain_text(oldest["title"])  # oldest first
    expect(panel(page)).not_to_contain_text("msdyn_entityrecord")
    shots(page, "queue-page")
    assert_accessible(page)
    items.first.get_by_role("link").click()  # a queued case opens its form
    expect(panel(page).locator(".record-form[data-entity=incident] .form-title")).to_have_text(oldest["title"])


# -- 6. the session bar ----------------------------------------------------------------------------------------------

def session_item(page: Page, session_id: str):
    return page.locator(f".session-item[data-session-id='{session_id}']")


def focused_session_id(page: Page) -> str:
    return page.evaluate("() => Microsoft.Apm.getFocusedSession().sessionId")


def test_case_sessions_show_number_and_title_mark_unsaved_edits_and_have_their_icon(pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    case = api.new_case(f"Printer offline {uuid.uuid4().hex[:6]}")
    open_record(page, "incident", case["incidentid"])  # opened by id only: the session learns the case on load
    session_id = focused_session_id(page)
    item = session_item(page, session_id)
    expect(item.locator(".session-title")).to_have_text(case["ticketnumber"])
    expect(item.locator(".session-subtitle")).to_have_text(case["title"])
    expect(item.get_by_role("tab")).to_have_attribute("title", f"{case['ticketnumber']} · {case['title']}")
    expect(item).to_have_attribute("data-kind", "case")
    expect(session_item(page, "home")).to_have_attribute("data-kind", "home")
    icons = {page.locator(".session-item[data-kind=case] .session-icon").evaluate(
                 "(n) => getComputedStyle(n).maskImage || getComputedStyle(n).webkitMaskImage"),
             session_item(page, "home").locator(".session-icon").evaluate(
                 "(n) => getComputedStyle(n).maskImage || getComputedStyle(n).webkitMaskImage")}
    assert any("icons/case.svg" in icon for icon in icons) and any("icons/home.svg" in icon for icon in icons), icons

    expect(item.locator(".session-dirty")).to_be_hidden()
    field(page, "description").fill("Half-typed")
    expect(item.locator(".session-dirty")).to_be_visible()
    expect(item.get_by_role("tab")).to_have_attribute("aria-description", "Unsaved changes")
    shots(page, "session-bar-dirty")
    assert_accessible(page, "#session-bar")
    field(page, "description").fill("")
    expect(item.locator(".session-dirty")).to_be_hidden()


def test_a_saved_new_case_stops_being_new_case_also_after_a_reload(pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    account = api.first_account()
    page.evaluate("() => Microsoft.Apm.openRecord({entityName: 'incident', source: 'HOME', title: 'New case'})")
    session_id = focused_session_id(page)
    expect(session_item(page, session_id).locator(".session-title")).to_have_text("New case")
    title = f"Scanner jams {uuid.uuid4().hex[:6]}"
    field(page, "title").fill(title)
    customer = panel(page).locator(".form-field[data-field='customerid'] input").first
    customer.click()
    customer.press_sequentially(account["name"][:6], delay=20)
    option = page.locator("#" + customer.get_attribute("aria-controls")).locator(".lookup-option").filter(
        has_text=account["name"]).first
    option.dispatch_event("mousedown")
    expect(customer).to_have_value(account["name"])
    panel(page).locator(".form-save").click()
    expect(panel(page).locator(".record-form .form-title")).to_have_text(title)
    saved = api.get("incidents", **{"$filter": f"title eq '{title}'"})["value"][0]
    item = session_item(page, session_id)
    expect(item.locator(".session-title")).to_have_text(saved["ticketnumber"])
    expect(item.locator(".session-subtitle")).to_have_text(title)
    page.reload()
    wait_ready(page)
    expect(session_item(page, session_id).locator(".session-title")).to_have_text(saved["ticketnumber"])
    expect(session_item(page, session_id).locator(".session-subtitle")).to_have_text(title)


def test_the_session_bar_collapses_to_icons_and_stays_collapsed_after_a_reload(pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    case = api.new_case(f"Collapse {uuid.uuid4().hex[:6]}")
    open_record(page, "incident", case["incidentid"])
    toggle = page.get_by_role("button", name="Collapse the session bar")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    wide = page.locator("#session-bar").bounding_box()["width"]
    toggle.click()
    expand = page.get_by_role("button", name="Expand the session bar")
    expect(expand).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".session-item .session-title").first).to_be_hidden()
    narrow = page.locator("#session-bar").bounding_box()["width"]
    assert narrow < 80 < wide, (narrow, wide)
    item = session_item(page, focused_session_id(page))
    expect(item.get_by_role("tab")).to_have_attribute("title", f"{case['ticketnumber']} · {case['title']}")
    shots(page, "session-bar-collapsed")
    assert_accessible(page, "#session-bar")
    page.wait_for_function("async () => (await (await fetch('/api/me')).json()).settings.sessionBarCollapsed"
                           " === true", polling=200)  # saved on the server before the reload
    page.reload()
    wait_ready(page)
    expect(page.get_by_role("button", name="Expand the session bar")).to_be_visible()
    expect(page.locator("#app")).to_have_class(re.compile(r"\bsessions-collapsed\b"))
    page.get_by_role("button", name="Expand the session bar").click()
    expect(page.locator(".session-item .session-title").first).to_be_visible()


# -- 7. lists (part) ---------------------------------------------------------------------------------------------------

def order_of(url: str) -> str:
    """The ``$orderby`` a list request asked for."""
    return unquote(url).split("orderby=")[-1].split("&")[0].replace("+", " ")


def test_list_filters_keep_their_labels_clear_all_at_once_and_equal_keys_come_newest_first(
        pages: GuardedPages) -> None:
    from tests.e2e.support import home_list, list_rows, search_list

    page = pages.open()
    api = api_of(page, pages)
    token = "Zq" + uuid.uuid4().hex[:6]
    made = [api.new_case(f"{token} case {i}", prioritycode=1) for i in range(3)]
    cases = home_list(page, "cases")
    search_list(cases, token)
    expect(list_rows(cases)).to_have_count(3)
    priority = cases.get_by_label("Filter by Priority")
    priority.select_option(label="Priority: High")
    expect(priority.locator("option:checked")).to_have_text("Priority: High")  # not just "High"
    clear_all = cases.get_by_role("button", name="Clear all")
    expect(clear_all).to_be_visible()

    # sorted by priority (all equal here), the rows come in the list's own order: newest first
    with page.expect_request(lambda r: "/api/incidents" in r.url
                             and order_of(r.url).startswith("prioritycode")) as sorted_request:
        cases.locator("th[data-column='prioritycode']").get_by_role("button").click()
    assert order_of(sorted_request.value.url) == "prioritycode asc,createdon desc", sorted_request.value.url
    newest_first = [case["title"] for case in sorted(made, key=lambda c: c["createdon"], reverse=True)]
    expect(list_rows(cases).locator("td[data-column='title']")).to_have_text(newest_first)
    shots(page, "list-filter-labels")
    assert_accessible(page, "#panel-home-dashboard")

    clear_all.click()
    expect(clear_all).to_be_hidden()
    expect(cases.locator("input.list-search")).to_have_value("")
    expect(priority.locator("option:checked")).to_have_text("Priority: all")


def test_list_search_finds_cases_by_customer_name_and_customer_sorts_by_name(pages: GuardedPages) -> None:
    from tests.e2e.support import home_list, list_rows, search_list

    page = pages.open()
    api = api_of(page, pages)
    token = "Zq" + uuid.uuid4().hex[:6]
    customers = [api.post("accounts", {"name": f"{name} {token}", "accountnumber": f"{token}{n}"})
                 for n, name in enumerate(("Alder Bakery", "Zephyr Freight"))]
    # the titles say nothing of the customer: only the Customer column does
    for n, customer in enumerate(customers):
        api.post("incidents", {"title": f"Case {n} for {token[::-1]}", "customerid": customer["accountid"],
                               "customeridtype": "account"})
    cases = home_list(page, "cases")
    search_list(cases, token)
    expect(list_rows(cases)).to_have_count(2)
    customer_cells = list_rows(cases).locator("td[data-column='customerid']")
    expect(customer_cells).to_have_text([f"Zephyr Freight {token}", f"Alder Bakery {token}"])  # newest first

    with page.expect_request(lambda r: "/api/incidents" in r.url
                             and order_of(r.url).startswith("customeridname")) as sorted_request:
        cases.locator("th[data-column='customerid']").get_by_role("button").click()
    assert order_of(sorted_request.value.url) == "customeridname asc,createdon desc", sorted_request.value.url
    expect(customer_cells).to_have_text([f"Alder Bakery {token}", f"Zephyr Freight {token}"])
    shots(page, "list-customer-sort")
    search_list(cases, f"zephyr freight {token}")  # any case, as the other columns search
    expect(customer_cells).to_have_text([f"Zephyr Freight {token}"])
    assert_accessible(page, "#panel-home-dashboard")


def test_an_overdue_activity_is_marked_in_words(pages: GuardedPages) -> None:
    from tests.e2e.support import home_list, list_rows, search_list

    page = pages.open()
    api = api_of(page, pages)
    case = api.new_case(f"Overdue {uuid.uuid4().hex[:6]}")
    token = "Zq" + uuid.uuid4().hex[:6]
    api.post("tasks", {"subject": f"{token} late", "scheduledend": "2020-01-01T09:00:00Z",
                       "regardingobjectid": case["incidentid"], "regardingobjecttypecode": "incident"})
    api.post("tasks", {"subject": f"{token} later", "scheduledend": "2999-01-01T09:00:00Z",
                       "regardingobjectid": case["incidentid"], "regardingobjecttypecode": "incident"})
    activities = home_list(page, "activities")
    search_list(activities, token)
    expect(list_rows(activities)).to_have_count(2)
    late = list_rows(activities).filter(has_text=f"{token} late")
    expect(late.locator("td[data-column='scheduledend'] .list-overdue-badge")).to_have_text("Overdue")
    later = list_rows(activities).filter(has_text=f"{token} later")
    expect(later.locator(".list-overdue-badge")).to_have_count(0)
    shots(page, "list-overdue")
    assert_accessible(page, "#panel-home-dashboard")
