"""The case flow in the real page: the timeline and the case actions, as form extensions in a record form host.

The extensions run in ``testkits.form_host`` (tests/pagekits; the form host contract over a record read from the API),
enabled in the page through Python; the real record form calls the same extensions with itself as the host.
One booted page serves the module (agent3); each test creates the case and records it uses through the API.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import RESET_JS, Api, run_python

SCREENSHOTS = Path("/tmp/caseflow-screenshots")



@pytest.fixture(scope="module")
def api(_module_page: Page, live_server) -> Api:
    return Api(_module_page.context.request, live_server.url)


@pytest.fixture
def page(shared_page: Page) -> Page:
    shared_page.evaluate(RESET_JS)
    run_python(shared_page, "from app import handle\nfrom testkits import form_host\n"
                            "form_host.enable(handle.host)\nresult = True")
    return shared_page


def open_record(page: Page, logical: str, record_id: str) -> object:
    """Open a record as from Home (a new session); returns its form panel once the record has loaded."""
    session_id, tab_id = run_python(page, (
        "from app import handle\nfrom apm.navigation import NavSource\n"
        f"result = list(handle.services.open_record({logical!r}, {record_id!r}, NavSource.HOME, title='Case'))"))
    panel = page.locator(f"#panel-{tab_id}")
    expect(panel.locator(".testkit-form")).to_be_visible()
    expect(panel.locator(".testkit-fields")).not_to_be_empty()
    panel.session_id = session_id  # type: ignore[attr-defined]
    panel.tab_id = tab_id  # type: ignore[attr-defined]
    return panel


def items(panel) -> object:
    return panel.locator(".tl-item")


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


# -- timeline -----------------------------------------------------------------------------------------------------

def test_timeline_lists_activities_newest_first_pages_and_filters(page: Page, api: Api) -> None:
    case = api.new_case("Timeline paging")
    case_id = case["incidentid"]
    made = []
    kinds = ["tasks", "annotations", "phonecalls", "emails"]
    for n in range(12):
        record = api.add(kinds[n % 4], case_id, f"Item {n:02d}", f"Details of item {n:02d}")
        made.append(record.get("activityid") or record.get("annotationid"))
    panel = open_record(page, "incident", case_id)
    expect(items(panel)).to_have_count(10)  # one page
    assert panel.locator(".tl-item").evaluate_all("els => els.map(e => e.dataset.id)") == made[::-1][:10]
    first = items(panel).first
    expect(first.locator(".tl-open")).to_have_text("Item 11")
    expect(first.locator(".tl-type")).to_have_text("Email")
    expect(first.locator(".tl-text")).to_have_text("Details of item 11")
    expect(first.locator("time")).to_have_text("just now")
    assert first.locator("time").get_attribute("title").endswith(" UTC")
    expect(first.locator(".tl-owner")).not_to_be_empty()
    expect(panel.locator(".tl-group-title").first).to_have_text("Today")
    shot(page, "timeline")

    more = panel.get_by_role("button", name="Load more")
    expect(more).to_be_visible()
    more.click()
    expect(items(panel)).to_have_count(12)
    expect(more).to_be_hidden()
    assert panel.locator(".tl-item").evaluate_all("els => els.map(e => e.dataset.id)") == made[::-1]

    panel.get_by_role("button", name="Notes", exact=True).click()
    expect(panel.get_by_role("button", name="Notes", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(items(panel)).to_have_count(3)
    assert set(panel.locator(".tl-item").evaluate_all("els => els.map(e => e.dataset.type)")) == {"note"}
    panel.get_by_role("button", name="Phone calls").click()
    expect(items(panel)).to_have_count(3)
    expect(items(panel).first.locator(".tl-open")).to_have_text("Item 10")
    panel.get_by_role("button", name="All", exact=True).click()
    expect(items(panel)).to_have_count(12)


def test_adding_a_note_a_task_and_a_phone_call_shows_them_on_top_at_once(page: Page, api: Api) -> None:
    case_id = api.new_case("Timeline adding")["incidentid"]
    api.add("tasks", case_id, "Older task")
    panel = open_record(page, "incident", case_id)
    expect(items(panel)).to_have_count(1)

    panel.get_by_role("button", name="+ Note").click()
    draft = panel.locator("form.tl-draft")
    expect(draft).to_be_visible()
    text = panel.get_by_label("Text (required)")
    expect(text).to_be_focused()
    page.keyboard.press("Control+Enter")  # empty: refused inline
    expect(draft.locator(".tl-field-error").filter(has_text="Write the note's text.")).to_be_visible()
    text.fill("Customer <b>confirmed</b> the fix\nsecond line")
    text.press("Control+Enter")
    expect(draft).to_be_hidden()
    expect(items(panel)).to_have_count(2)
    top = items(panel).first
    expect(top).to_have_attribute("data-type", "note")
    # no subject: the start of the text is its title, shown literally (never as markup)
    expect(top.locator(".tl-open")).to_have_text("Customer <b>confirmed</b> the fix second line")
    expect(top.locator("b")).to_have_count(0)

    panel.get_by_role("button", name="+ Task").click()
    subject = panel.get_by_label("Subject (required)")
    expect(subject).to_be_focused()
    panel.get_by_label("Description").fill("Ship a replacement")
    subject.press("Enter")  # no subject yet: refused, what was typed stays
    expect(panel.get_by_text("A task needs a subject.")).to_be_visible()
    expect(subject).to_have_attribute("aria-invalid", "true")
    expect(panel.get_by_label("Description")).to_have_value("Ship a replacement")
    subject.fill("Send replacement part")
    subject.press("Enter")
    expect(items(panel).first.locator(".tl-open")).to_have_text("Send replacement part")
    expect(items(panel).first).to_have_attribute("data-type", "task")

    panel.get_by_role("button", name="+ Phone call").click()
    panel.get_by_label("Subject (required)").fill("Called the customer")
    panel.get_by_label("Phone number").fill("+1 555 0199")
    panel.get_by_label("Phone number").press("Enter")
    expect(items(panel).first.locator(".tl-open")).to_have_text("Called the customer")
    expect(items(panel)).to_have_count(4)
    expect(panel.locator(".tl-announce")).to_have_text("Phone call added to the timeline.")  # said, not toasted
    shot(page, "timeline-added")

    on_server = api.timeline(case_id)
    assert [(row["type"], row["subject"]) for row in on_server] == [
        ("phonecall", "Called the customer"), ("task", "Send replacement part"), ("note", None),
        ("task", "Older task")]
    assert on_server[2]["text"] == "Customer <b>confirmed</b> the fix\nsecond line"
    call = api.get(f"phonecalls({on_server[0]['id']})")
    assert call["phonenumber"] == "+1 555 0199" and call["regardingobjectid"] == case_id


def test_timeline_follows_changes_made_elsewhere_in_the_page(page: Page, api: Api) -> None:
    case_id = api.new_case("Timeline live")["incidentid"]
    panel = open_record(page, "incident", case_id)
    expect(panel.locator(".tl-status")).to_have_text("Nothing on the timeline yet.")
    run_python(page, (
        "import asyncio\nfrom app import handle\n"
        "asyncio.ensure_future(handle.services.client.create('appointments', {'subject': 'Site visit', "
        f"'regardingobjectid': {case_id!r}, 'regardingobjecttypecode': 'incident'}}))\nresult = True"))
    expect(items(panel)).to_have_count(1)
    expect(items(panel).first.locator(".tl-open")).to_have_text("Site visit")


def test_opening_an_activity_opens_a_new_tab_in_the_focused_session(page: Page, api: Api) -> None:
    case_id = api.new_case("Timeline opening")["incidentid"]
    task = api.add("tasks", case_id, "Check the logs")
    api.add("annotations", case_id, "Long note", "First paragraph.\n\n" + "More words here. " * 20)
    panel = open_record(page, "incident", case_id)
    expect(items(panel)).to_have_count(2)
    sessions_before = page.evaluate("Microsoft.Apm.getAllSessions().length")

    note_button = items(panel).first.locator(".tl-open")
    expect(note_button).to_have_attribute("aria-expanded", "false")
    note_button.click()  # a note expands inline
    expect(items(panel).first.locator(".tl-open")).to_have_attribute("aria-expanded", "true")
    expect(items(panel).first.locator(".tl-text")).to_have_class("tl-text is-expanded")

    panel.get_by_role("button", name="Check the logs", exact=True).click()
    focused = run_python(page, (
        "from app import handle\nws = handle.services.workspace\ntab = ws.tab(ws.focused_tab_id)\n"
        "result = {'session': ws.focused_session_id, 'tabs': len(ws.focused_session.tab_ids), "
        "'params': dict(tab.params)}"))
    assert focused["session"] == panel.session_id  # the case's own session, not a new one
    assert focused["tabs"] == 2
    assert focused["params"]["entityName"] == "task" and focused["params"]["entityId"] == task["activityid"]
    assert page.evaluate("Microsoft.Apm.getAllSessions().length") == sessions_before


# -- case actions -------------------------------------------------------------------------------------------------

def commands(panel) -> object:
    return panel.get_by_role("group", name="Case actions")


def test_resolve_validates_resolves_and_leaves_the_case_read_only(page: Page, api: Api) -> None:
    case_id = api.new_case("Resolve me")["incidentid"]
    api.add("tasks", case_id, "Earlier work")
    panel = open_record(page, "incident", case_id)
    expect(items(panel)).to_have_count(1)
    resolve = commands(panel).get_by_role("button", name="Resolve case")
    expect(resolve).not_to_have_attribute("aria-disabled", "true")
    resolve.click()
    dialog = page.get_by_role("dialog", name="Resolve case")
    expect(dialog).to_be_visible()
    subject = dialog.get_by_label("Resolution (required)")
    expect(subject).to_be_focused()
    dialog.get_by_role("button", name="Resolve").click()  # empty: stays open, says why
    expect(dialog.get_by_text("Enter a resolution.")).to_be_visible()
    expect(subject).to_have_attribute("aria-invalid", "true")
    subject.fill("Replaced the fuser unit")
    dialog.get_by_label("Status reason").select_option(label="Information provided")
    dialog.get_by_label("Description").fill("Customer confirmed printing works.")
    shot(page, "resolve-dialog")
    dialog.get_by_role("button", name="Resolve").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#notices .notice[data-code=case_resolved]")).to_have_text("Case resolved.×")

    on_server = api.get(f"incidents({case_id})")
    assert (on_server["statecode"], on_server["statuscode"], on_server["resolution"]) == (
        1, 1000, "Replaced the fuser unit")
    top = items(panel).first
    expect(top).to_have_attribute("data-type", "incidentresolution")
    expect(top.locator(".tl-open")).to_have_text("Replaced the fuser unit")
    expect(items(panel)).to_have_count(2)
    for name in ("Resolve case", "Cancel case"):  # an agent has no Assign or Route at all
        button = commands(panel).get_by_role("button", name=name)
        expect(button).to_have_attribute("aria-disabled", "true")
        expect(button).to_have_attribute("title", "This case is resolved: it is read-only.")
    expect(commands(panel)).to_have_attribute("data-state", "resolved")
    shot(page, "resolved")
    resolve.focus()  # still reachable by keyboard, but does nothing but say why
    page.keyboard.press("Enter")
    expect(page.locator("#notices .notice[data-code=case_action_disabled]")).to_contain_text("read-only")
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_cancel_asks_then_cancels(page: Page, api: Api) -> None:
    case_id = api.new_case("Cancel me")["incidentid"]
    panel = open_record(page, "incident", case_id)
    commands(panel).get_by_role("button", name="Cancel case").click()
    dialog = page.get_by_role("dialog", name="Cancel case")
    dialog.get_by_role("button", name="Keep case").click()
    expect(dialog).to_be_hidden()
    assert api.get(f"incidents({case_id})")["statecode"] == 0
    commands(panel).get_by_role("button", name="Cancel case").click()
    dialog = page.get_by_role("dialog", name="Cancel case")
    dialog.get_by_label("Status reason").select_option(label="Merged")
    dialog.get_by_role("button", name="Cancel case").click()
    expect(page.locator("#notices .notice[data-code=case_cancelled]")).to_be_visible()
    on_server = api.get(f"incidents({case_id})")
    assert (on_server["statecode"], on_server["statuscode"]) == (2, 2000)
    expect(commands(panel)).to_have_attribute("data-state", "cancelled")
    expect(commands(panel).get_by_role("button", name="Resolve case")).to_have_attribute(
        "title", "This case is cancelled: it is read-only.")


def test_an_agent_gets_no_assign_or_route_and_the_server_refuses_them_anyway(page: Page, api: Api) -> None:
    case = api.new_case("Agents cannot route")
    case_id = case["incidentid"]
    panel = open_record(page, "incident", case_id)
    expect(commands(panel).get_by_role("button", name="Resolve case")).to_be_visible()
    expect(commands(panel).get_by_role("button", name="Assign")).to_be_hidden()
    expect(commands(panel).get_by_role("button", name="Route to queue")).to_be_hidden()
    queue = api.get("queues", **{"$top": 1})["value"][0]
    for action, body in (("assign", {"ownerid": api.user_id}), ("route", {"queueid": queue["queueid"]})):
        refused = api.request.post(f"{api.base}incidents({case_id})/{action}", data=body,
                                   headers={"X-CSRF-Token": api.csrf, "If-Match": case["@odata.etag"]})
        assert refused.status == 403, refused.text()
    on_server = api.get(f"incidents({case_id})")
    assert (on_server["ownerid"], on_server["queueid"], on_server["@odata.etag"]) == (
        case["ownerid"], case["queueid"], case["@odata.etag"])


def test_a_supervisor_assigns_and_routes(pages, api: Api) -> None:
    supervisor_page = pages.open(user="supervisor")
    run_python(supervisor_page, "from app import handle\nfrom testkits import form_host\n"
                                "form_host.enable(handle.host)\nresult = True")
    case_id = api.new_case("Route and assign")["incidentid"]
    queue = api.get("queues", **{"$orderby": "name asc", "$top": 1})["value"][0]
    agent5 = api.get("systemusers", **{"$filter": "domainname eq 'agent5'"})["value"][0]
    panel = open_record(supervisor_page, "incident", case_id)

    commands(panel).get_by_role("button", name="Route to queue").click()
    dialog = supervisor_page.get_by_role("dialog", name="Route to queue")
    dialog.get_by_label("Queue").select_option(label=queue["name"])
    dialog.get_by_role("button", name="Route").click()
    expect(supervisor_page.locator("#notices .notice[data-code=case_routed]")).to_contain_text(queue["name"])
    assert api.get(f"incidents({case_id})")["queueid"] == queue["queueid"]

    commands(panel).get_by_role("button", name="Assign").click()
    dialog = supervisor_page.get_by_role("dialog", name="Assign case")
    search = dialog.get_by_role("combobox", name="User")
    expect(search).to_be_focused()
    dialog.get_by_role("button", name="Assign").click()  # nobody picked: refused inline
    expect(dialog.get_by_text("Pick a user from the list.")).to_be_visible()
    search.fill("agent1")
    expect(dialog.get_by_role("listbox")).to_have_attribute("aria-busy", "false")
    logins = dialog.locator(".ca-user-login").all_inner_texts()
    assert logins[:2] == ["agent1", "agent10"] and all("agent1" in login for login in logins), logins
    search.press("ArrowDown")
    expect(dialog.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    search.fill(agent5["fullname"])
    dialog.get_by_role("option", name=agent5["fullname"]).click()
    dialog.get_by_role("button", name="Assign").click()
    expect(supervisor_page.locator("#notices .notice[data-code=case_assigned]")).to_have_text(
        f"Case assigned to {agent5['fullname']}.×")
    assert api.get(f"incidents({case_id})")["ownerid"] == agent5["systemuserid"]
    expect(panel.locator(".kv[data-field=ownerid] dd")).to_have_text(agent5["systemuserid"])


def test_resolve_after_someone_else_changed_the_case_overwrites_nothing(page: Page, api: Api) -> None:
    case = api.new_case("Conflict on resolve")
    case_id = case["incidentid"]
    panel = open_record(page, "incident", case_id)
    theirs = api.patch(f"incidents({case_id})", {"title": "Renamed by a colleague"}, case["@odata.etag"])

    commands(panel).get_by_role("button", name="Resolve case").click()
    dialog = page.get_by_role("dialog", name="Resolve case")
    dialog.get_by_label("Resolution (required)").fill("My resolution")
    dialog.get_by_role("button", name="Resolve").click()
    expect(page.locator("#notices .notice[data-code=case_conflict]")).to_contain_text("nothing was overwritten")
    on_server = api.get(f"incidents({case_id})")
    assert (on_server["statecode"], on_server["title"], on_server["@odata.etag"]) == (
        0, "Renamed by a colleague", theirs["@odata.etag"])
    assert [row["type"] for row in api.timeline(case_id)] == []  # no resolution was written
    expect(panel.locator(".testkit-form .panel-title")).to_have_text("Renamed by a colleague")  # their version
    shot(page, "conflict")

    commands(panel).get_by_role("button", name="Resolve case").click()  # with the current version it works
    dialog = page.get_by_role("dialog", name="Resolve case")
    dialog.get_by_label("Resolution (required)").fill("My resolution")
    dialog.get_by_role("button", name="Resolve").click()
    expect(page.locator("#notices .notice[data-code=case_resolved]")).to_be_visible()
    assert api.get(f"incidents({case_id})")["statecode"] == 1


def test_an_action_waits_for_the_form_to_save_and_stops_when_it_does_not(page: Page, api: Api) -> None:
    case_id = api.new_case("Unsaved edits")["incidentid"]
    panel = open_record(page, "incident", case_id)
    run_python(page, "from testkits import form_host as kit\n"
                     f"kit.HOSTS[{panel.tab_id!r}].ensure_saved_answer = False\nresult = True")
    commands(panel).get_by_role("button", name="Resolve case").click()
    expect(panel).to_have_attribute("data-ensure-saved-calls", "1")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert api.get(f"incidents({case_id})")["statecode"] == 0


def test_a_draft_the_server_refuses_keeps_its_text_and_says_why(page: Page, api: Api, pages) -> None:
    case = api.new_case("Deleted under the agent")
    panel = open_record(page, "incident", case["incidentid"])
    supervisor, _guard = pages.new_context(user="supervisor")
    boss = Api(supervisor.request, api.base.removesuffix("api/"))
    response = boss.request.delete(boss.base + f"incidents({case['incidentid']})",
                                   headers={"X-CSRF-Token": boss.csrf, "If-Match": case["@odata.etag"]})
    assert response.status == 204

    panel.get_by_role("button", name="+ Note").click()
    text = panel.get_by_label("Text (required)")
    text.fill("Typed before the case vanished")
    text.press("Control+Enter")
    error = panel.locator(".tl-form-error")
    expect(error).to_have_text("objectid names no existing incident.")
    expect(text).to_have_value("Typed before the case vanished")
    expect(panel.locator("form.tl-draft")).to_be_visible()
    text.press("Escape")  # closes the draft; the add button gets the focus back
    expect(panel.locator("form.tl-draft")).to_be_hidden()
    expect(panel.get_by_role("button", name="+ Note")).to_be_focused()


def test_accounts_have_a_timeline_but_no_case_actions(page: Page, api: Api) -> None:
    account = api.post("accounts", {"name": "Timeline Test Ltd", "accountnumber": "TL-" + uuid.uuid4().hex[:8]})
    panel = open_record(page, "account", account["accountid"])
    expect(panel.get_by_role("group", name="Case actions")).to_have_count(0)
    expect(panel.locator(".tl-status")).to_have_text("Nothing on the timeline yet.")
    panel.get_by_role("button", name="+ Task").click()
    subject = panel.get_by_label("Subject (required)")
    subject.fill("Send the renewal offer")
    subject.press("Enter")
    expect(items(panel).first.locator(".tl-open")).to_have_text("Send the renewal offer")
    rows = api.get(f"accounts({account['accountid']})/timeline")["value"]
    assert [(row["type"], row["subject"]) for row in rows] == [("task", "Send the renewal offer")]
    task = api.get(f"tasks({rows[0]['id']})")
    assert (task["regardingobjectid"], task["regardingobjecttypecode"]) == (account["accountid"], "account")
