"""What a new agent hit in the first hour (issue 15, the rest of items 13, 11 and 7), in the real page.

13. The contact form lists the customer's open cases; quick create prefills Regarding and orders priorities like
    the case form; the reopen offer names the closed workspace's sessions and shows local time.
11. Supervisors and admins land on a home that fits the role (queues, unassigned, high priority, agents' load).
7.  The timeline's "+ Task" takes a due date and a priority; activities are completed from the timeline.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import GuardedPages, wait_ready
from tests.e2e.support import Api, unique_word

SHOTS = Path("/work/shots/first2") if Path("/work/shots").is_dir() else Path("/tmp/casework-firsthour4-shots")
SHOTS.mkdir(parents=True, exist_ok=True)
SIZES = ((1440, 900), (1024, 700))


def shots(page: Page, name: str, sizes: tuple[tuple[int, int], ...] = SIZES) -> None:
    """The screen at the sizes the issue names (then back to the size the test ran at)."""
    before = page.viewport_size
    for width, height in sizes:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"))
    if before:
        page.set_viewport_size(before)


def api_of(page: Page, pages: GuardedPages) -> Api:
    return Api(page.context.request, pages.server.url)


def panel(page: Page):
    return page.locator(".tab-panel:not(.is-inactive)")


# -- 13. The reopen offer ----------------------------------------------------------------------------------------------

def test_the_reopen_offer_names_the_sessions_and_shows_local_time(pages: GuardedPages) -> None:
    # A zone far from UTC, so local time and UTC cannot agree by accident.
    context, _ = pages.new_context(timezone_id="Asia/Kolkata", locale="en-GB")
    closed = context.new_page()
    closed.goto(pages.server.url)
    wait_ready(closed)
    closed.evaluate("""async () => {
      await Microsoft.Apm.createSession({templateName: 'msdyn_case_session',
                                         sessionContext: {caseTitle: 'Printer jam'}});
    }""")
    expect(closed.locator(".session-bar")).to_contain_text("Printer jam")
    closed.close(run_before_unload=True)
    fresh = context.new_page()
    fresh.goto(pages.server.url)
    wait_ready(fresh)
    offer = fresh.get_by_role("status", name="Reopen a workspace")
    expect(offer).to_contain_text("Printer jam")
    text = offer.locator(".reopen-text").first.inner_text()
    assert "UTC" not in text and "session" not in text, text
    saved_at = fresh.evaluate("""() => {
      const key = Object.keys(localStorage).filter((k) => k.includes(':')).map((k) => [k, localStorage.getItem(k)])
        .map(([k, v]) => { try { return JSON.parse(v).saved_at; } catch (e) { return null; } })
        .filter((s) => typeof s === 'string').sort().pop();
      return key;
    }""")
    assert saved_at, "a saved workspace in localStorage"
    hour, minute = int(saved_at[11:13]), int(saved_at[14:16])
    local = (hour * 60 + minute + 330) % 1440  # Asia/Kolkata is UTC+05:30
    assert f"{local // 60:02}:{local % 60:02}" in text, (text, saved_at)
    assert_accessible(fresh, ".reopen-offer")
    shots(fresh, "reopen-offer")


# -- 13. The contact's open cases; quick create from a record --------------------------------------------------------

def open_record(page: Page, name: str, record_id: str) -> None:
    page.evaluate("([name, id]) => Microsoft.Apm.openRecord({entityName: name, entityId: id, source: 'HOME'})",
                  [name, record_id])


def test_the_contact_form_lists_the_contacts_open_cases(pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    word = unique_word()
    contact = api.post("contacts", {"firstname": "Ada", "lastname": f"Cases{word}"})
    made = [api.post("incidents", {"title": f"{title} {word}", "customerid": contact["contactid"],
                                   "customeridtype": "contact", **extra})
            for title, extra in (("Broken hinge", {}), ("Late refund", {"statuscode": 2}))]
    api.new_case(f"Someone else's {word}")  # another customer's case: not listed
    open_record(page, "contact", contact["contactid"])
    cases = panel(page).get_by_role("region", name=re.compile("Open cases"))
    expect(cases).to_contain_text("(2)")
    rows = cases.locator(".cc-item")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(made[1]["ticketnumber"])  # newest first
    expect(rows.nth(0)).to_contain_text(f"Late refund {word}")
    expect(rows.nth(0).locator(".cc-case-status")).to_have_text("On hold")
    expect(rows.nth(1)).to_contain_text(f"Broken hinge {word}")
    expect(rows.nth(1).locator(".cc-case-status")).to_have_text("In progress")
    expect(cases).not_to_contain_text("Someone else")
    assert_accessible(page, ".tab-panel:not(.is-inactive) .contact-cases")
    shots(page, "contact-cases")
    rows.nth(1).get_by_role("button").click()
    expect(panel(page).locator(".form-title")).to_have_text(f"Broken hinge {word}")


def test_quick_create_from_a_case_prefills_regarding_and_lists_priorities_high_first(pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    word = unique_word()
    case = api.new_case(f"Quick regarding {word}")
    open_record(page, "incident", case["incidentid"])
    expect(panel(page).locator(".form-title")).to_have_text(f"Quick regarding {word}")
    page.locator("#quick-create-button").click()
    page.get_by_role("menu", name="Quick create").get_by_role("menuitem", name="Task").click()
    dialog = page.locator("dialog.quick-create-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("combobox", name="Regarding")).to_have_value(f"Quick regarding {word}")
    priority = dialog.get_by_label("Priority")
    expect(priority.locator("option")).to_have_text(["High", "Normal", "Low"])  # as on the case form
    expect(priority).to_have_value("1")  # Normal stays the default
    assert_accessible(page, "dialog.quick-create-dialog")
    shots(page, "quick-create-task")
    dialog.get_by_label("Subject").fill(f"Call back {word}")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    # The dialog closes as the save starts; the notice says the server has the task.
    expect(page.locator("#notices .notice[data-code='quick_create_saved']")).to_contain_text(f"Call back {word}")
    tasks = api.get("tasks", **{"$filter": f"subject eq 'Call back {word}'"})["value"]
    assert len(tasks) == 1 and tasks[0]["regardingobjectid"] == case["incidentid"], tasks


# -- 11. A home that fits the role ---------------------------------------------------------------------------------

def api_count(api: Api, entity_set: str, filter_text: str) -> int:
    return api.get(entity_set, **{"$filter": filter_text, "$top": 1, "$count": "true"})["@odata.count"]


def test_supervisors_land_on_a_team_home_with_queues_load_unassigned_and_high_priority(pages: GuardedPages) -> None:
    page = pages.open(user="supervisor")
    api = api_of(page, pages)
    newest = api.get("incidents", **{"$filter": "ownerid eq null and statecode eq 0", "$top": 3,
                                      "$orderby": "createdon desc"})["value"]
    home = page.locator("#panel-home-dashboard")
    expect(home.get_by_role("heading", level=1)).to_have_text("Team dashboard")
    expect(home.locator(".list-view[data-list='cases']")).to_have_count(0)  # no "My active cases" of their own
    queues_tile = home.get_by_role("region", name="Team queues")
    load_tile = home.get_by_role("region", name="Agents' open load")
    queues = api.get("queues", **{"$orderby": "name asc", "$top": 20})["value"]
    expect(queues_tile.locator("tbody tr")).to_have_count(len(queues))
    for queue in queues[:3]:
        row = queues_tile.locator(f"tbody tr[data-id='{queue['queueid']}']")
        items = api_count(api, "queueitems", f"queueid eq {queue['queueid']}")
        waiting = api_count(api, "queueitems", f"queueid eq {queue['queueid']} and workerid eq null")
        expect(row.locator("td")).to_have_text([str(items), str(waiting)])
        expect(row.get_by_role("button")).to_have_text(queue["name"])
    agent3 = api.get("systemusers", **{"$filter": "domainname eq 'agent3'"})["value"][0]
    load = api_count(api, "incidents", f"ownerid eq {agent3['systemuserid']} and statecode eq 0")
    expect(load_tile.locator(f"tbody tr[data-id='{agent3['systemuserid']}'] td")).to_have_text([str(load)])
    counts = [int(text) for text in load_tile.locator("tbody td").all_inner_texts()]
    assert counts == sorted(counts, reverse=True), counts  # busiest first
    unassigned_list = home.locator(".list-view[data-list='unassigned']")
    expect(unassigned_list.locator(".list-count")).to_contain_text(
        str(api_count(api, "incidents", "ownerid eq null and statecode eq 0")))
    high = home.locator(".list-view[data-list='high']")
    expect(high.locator(".list-count")).to_contain_text(
        str(api_count(api, "incidents", "prioritycode eq 1 and statecode eq 0")))
    expect(unassigned_list.locator("tbody tr[data-id]").first).to_have_attribute("data-id", newest[0]["incidentid"])
    assert_accessible(page, "#panel-home-dashboard")
    shots(page, "team-home")
    # an agent keeps the agent dashboard
    agent = pages.open()
    expect(agent.locator("#panel-home-dashboard").get_by_role("heading", level=1)).to_have_text("Agent dashboard")
    expect(agent.locator("#panel-home-dashboard .team-tiles")).to_have_count(0)


# -- 7. Tasks on the timeline ------------------------------------------------------------------------------------------

def test_the_timeline_task_takes_due_date_and_priority_and_items_complete_from_the_timeline(
        pages: GuardedPages) -> None:
    page = pages.open()
    api = api_of(page, pages)
    word = unique_word()
    case = api.new_case(f"Timeline tasks {word}")
    call = api.add("phonecalls", case["incidentid"], f"Call back {word}")
    open_record(page, "incident", case["incidentid"])
    timeline = panel(page).locator(".timeline")
    expect(timeline.locator(".tl-item")).to_have_count(1)
    timeline.get_by_role("button", name="+ Task").click()
    draft = timeline.locator("form.tl-draft")
    expect(draft.get_by_label("Due (optional)")).to_be_visible()
    expect(draft.get_by_label("Priority").locator("option")).to_have_text(["High", "Normal", "Low"])
    draft.get_by_label("Subject (required)").fill(f"Send parts {word}")
    draft.get_by_label("Due (optional)").fill("2026-12-24T15:30")
    draft.get_by_label("Priority").select_option(label="High")
    assert_accessible(page, ".tab-panel:not(.is-inactive) .timeline")
    shots(page, "timeline-task-draft")
    draft.get_by_role("button", name="Save").click()
    expect(draft).to_be_hidden()
    tasks = api.get("tasks", **{"$filter": f"subject eq 'Send parts {word}'"})["value"]
    assert len(tasks) == 1, tasks
    local_due = page.evaluate("() => new Date('2026-12-24T15:30').toISOString()")
    assert tasks[0]["prioritycode"] == 2 and tasks[0]["scheduledend"][:16] == local_due[:16], tasks[0]
    # complete the phone call from the timeline
    row = timeline.locator(f".tl-item[data-id='{call['activityid']}']")
    row.get_by_role("button", name=f"Mark Call back {word} complete").click()
    expect(row.locator(".tl-state")).to_have_text("Completed")
    expect(row.locator(".tl-complete")).to_have_count(0)
    assert api.get(f"phonecalls({call['activityid']})")["statecode"] == 1
    shots(page, "timeline-completed")
