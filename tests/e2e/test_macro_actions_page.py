"""Macro actions in the real page (issue 18): "Clone current record" and "Clone input record" open a new, unsaved
form of the same entity prefilled with the source record's fields and titled as the step says, run through
``Microsoft.ProductivityMacros.runMacro``."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.e2e.conftest import GuardedPages
from tests.e2e.support import Api, run_python


def open_case(page: Page, case_id: str) -> str:
    _, tab_id = run_python(page, (
        "from app import handle\nfrom apm.navigation import NavSource\n"
        f"result = list(handle.services.open_record('incident', {case_id!r}, NavSource.HOME, title='Case'))"))
    expect(page.locator(f"#panel-{tab_id} .record-form, #panel-{tab_id} form").first).to_be_visible()
    return tab_id


def test_clone_steps_open_prefilled_unsaved_forms(pages: GuardedPages) -> None:
    page = pages.open()
    api = Api(page.context.request, pages.server.url)
    admin_context, _ = pages.new_context("admin")
    admin = Api(admin_context.request, pages.server.url)
    other = api.new_case("Clone source elsewhere", description="Second source text", productname="Fax 9")
    name = f"Clone twice {uuid.uuid4().hex[:6]}"
    admin.post("macros", {"name": name, "description": "e2e", "definition": {"schema": 1, "steps": [
        {"action": "start"},
        {"action": "clone_current_record", "fields": {"recordTitle": "Copy of ${anchor.title}"}},
        {"action": "clone_input_record", "fields": {"entityName": "incident", "entityId": other["incidentid"],
                                                    "recordTitle": "Second copy"}}]}})
    case = api.new_case("Clone source case", description="The scanner jams on every page.", productname="Scan 5",
                        prioritycode=1)
    source_tab = open_case(page, case["incidentid"])
    before = len(api.get("incidents", **{"$filter": "startswith(title,'Copy of Clone source')"})["value"])

    message = page.evaluate("(n) => Microsoft.ProductivityMacros.runMacro(n)", name)
    assert message == f'Macro "{name}" ran: 3 steps done.'

    tabs = page.evaluate("""() => Microsoft.Apm.getFocusedSession().getAllTabs()""")
    assert len(tabs) == 3 and tabs[0] == source_tab

    def field(tab_id: str, name: str):
        return page.locator(f"#panel-{tab_id} .form-field[data-field='{name}'] :is(input, textarea, select)").first

    first, second = tabs[1:]
    expect(field(first, "title")).to_have_value("Copy of Clone source case")
    expect(field(first, "description")).to_have_value("The scanner jams on every page.")
    expect(field(first, "productname")).to_have_value("Scan 5")
    expect(field(first, "prioritycode")).to_have_value("1")
    expect(field(first, "customerid")).to_have_value(api.first_account()["name"])  # the name, never the id
    expect(field(second, "title")).to_have_value("Second copy")
    expect(field(second, "description")).to_have_value("Second source text")
    # not saved: no new case on the server
    after = api.get("incidents", **{"$filter": "startswith(title,'Copy of Clone source')"})["value"]
    assert len(after) == before == 0


def test_cloning_with_no_record_in_the_focused_tab_fails_the_step_with_a_reason(pages: GuardedPages) -> None:
    page = pages.open()
    admin_context, _ = pages.new_context("admin")
    admin = Api(admin_context.request, pages.server.url)
    name = f"Clone nothing {uuid.uuid4().hex[:6]}"
    admin.post("macros", {"name": name, "description": "e2e", "definition": {"schema": 1, "steps": [
        {"action": "start"}, {"action": "clone_current_record", "fields": {"recordTitle": "Copy"}}]}})
    failure = page.evaluate("""(n) => Microsoft.ProductivityMacros.runMacro(n).then(
        () => "resolved", (error) => "rejected: " + error)""", name)
    assert failure.startswith(f'rejected: Macro "{name}" stopped at step ')
    assert "no saved record to clone" in failure


def test_omnichannel_steps_link_the_case_and_send_the_article_into_the_conversation(pages: GuardedPages) -> None:
    """Two contexts (as tests/e2e/test_conversation_workspace.py): a customer on /chat, agent5 in the workspace."""
    agent = pages.open("", user="agent5")  # General support, the demo chat queue
    presence = agent.get_by_label("Presence")
    expect(presence).to_be_enabled()
    presence.select_option("Available")
    expect(agent.locator("#presence")).to_have_attribute("data-presence", "available")
    try:
        api = Api(agent.context.request, pages.server.url)
        admin_context, _ = pages.new_context("admin")
        admin = Api(admin_context.request, pages.server.url)
        case = api.new_case("Macro conversation case")
        name = f"Send article {uuid.uuid4().hex[:6]}"
        admin.post("macros", {"name": name, "description": "e2e", "definition": {"schema": 1, "steps": [
            {"action": "start"},
            {"action": "kb_search", "fields": {"searchString": "printer offline"}},
            {"action": "send_kb_article", "fields": {}},
            {"action": "link_conversation", "fields": {"entityName": "incident", "entityId": case["incidentid"],
                                                       "primaryName": case["title"]}}]}})

        customer = pages.open("chat", user=None, ready=False)
        customer.wait_for_selector("body[data-ready]", state="attached")
        customer.get_by_label("Your name").fill("Mara Macro")
        customer.get_by_label("How can we help?").fill("My printer shows offline")
        customer.get_by_role("button", name="Start chat").click()
        agent.locator(".offer-card").get_by_role("button", name="Accept").click()
        expect(agent.locator(".conversation-page:visible .transcript li")).to_have_count(1)
        conversation_id = agent.evaluate("Microsoft.Omnichannel.getConversationId()")

        message = agent.evaluate("(n) => Microsoft.ProductivityMacros.runMacro(n)", name)
        assert message == f'Macro "{name}" ran: 4 steps done.'
        sent = customer.locator("#transcript li").nth(1).locator(".text")
        expect(sent).to_contain_text("Print")
        expect(sent).to_contain_text(pages.server.url.rstrip("/") + "/#knowledgearticle/")
        expect(agent.locator(".conversation-page:visible .transcript li")).to_have_count(2)
        assert api.get(f"conversations({conversation_id})")["incidentid"] == case["incidentid"]
    finally:
        agent.evaluate("Microsoft.CIFramework.setPresence('Offline')")
