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
