"""The developer console in the real page: opened from the site map and Ctrl+Shift+P by a supervisor, it runs
Python in the page's interpreter (apm creates a tab, top-level await reads a case through the records client),
shows tracebacks as text, completes names, and keeps its history per user across a reload.

One booted page (signed in as the supervisor) serves the module; each test closes the console tabs it opened.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.support import RESET_JS, run_python

PAGE_USER = "supervisor"
SHOTS = Path(tempfile.gettempdir()) / "casework-shots" / "console"  # looked at by people, not asserted


@pytest.fixture
def page(shared_page: Page) -> Page:
    shared_page.evaluate(RESET_JS)
    shared_page.keyboard.press("Escape")
    return shared_page


def open_console(page: Page):
    page.locator("body").press("Control+Shift+P")
    panel = page.locator(".console-page")
    expect(panel).to_be_visible()
    expect(panel.locator(".console-input")).to_be_focused()
    return panel


def run(panel, source: str, entries_before: int | None = None):
    """Put ``source`` in the input as pasted and run it (Ctrl+Enter); wait for the echo; return the entries and
    the index of the echo."""
    output = panel.locator(".console-entry")
    before = output.count() if entries_before is None else entries_before
    box = panel.locator(".console-input")
    box.fill(source)  # as pasted; Control+Enter runs it whatever its shape
    box.press("Control+Enter")
    expect(box).to_have_value("")
    expect(box).not_to_have_attribute("readonly", "", timeout=30_000)  # the first input loads packages
    expect(output.nth(before)).to_have_class("console-entry console-in")
    return output, before


def handle_tabs(page: Page) -> list[str]:
    return run_python(page, "from app import handle\nresult = list(handle.workspace.focused_session.tab_ids)")


def test_console_drives_the_workspace_with_apm_and_reads_a_case_with_await(page: Page):
    panel = open_console(page)
    output, before = run(panel, 'tab = apm.create_tab({"templateName": "msdyn_search", '
                                '"appContext": {"searchText": "printer"}})\ntab')
    expect(output.nth(before + 1)).to_have_class("console-entry console-value")
    tab_id = output.nth(before + 1).inner_text().strip("'")
    assert tab_id in handle_tabs(page)
    page.keyboard.press("Control+Shift+P")  # the open console comes back, not a second one
    panel = page.locator(".console-page")
    expect(panel.locator(".console-input")).to_be_focused()
    assert page.locator(".console-page").count() == 1
    output, before = run(panel, 'cases = await client.list("incidents", top=1)\nprint(cases.records[0]["title"])')
    expect(output.nth(before + 1)).to_have_class("console-entry console-out")
    assert output.nth(before + 1).inner_text().strip()


def test_a_traceback_is_shown_as_text_and_the_console_goes_on(page: Page):
    panel = open_console(page)
    output, before = run(panel, "1 / 0")
    error = output.nth(before + 1)
    expect(error).to_have_class("console-entry console-error")
    assert "ZeroDivisionError: division by zero" in error.inner_text()
    assert error.locator("*").count() == 0  # text only
    output, before = run(panel, "'<b>x</b>'")
    assert output.nth(before + 1).inner_text() == "'<b>x</b>'"
    assert panel.locator(".console-output b").count() == 0


def test_multi_line_blocks_run_on_the_empty_line(page: Page):
    panel = open_console(page)
    box = panel.locator(".console-input")
    before = panel.locator(".console-entry").count()
    box.press_sequentially("for i in range(3):")
    box.press("Enter")  # an open block: a new, indented line, nothing runs
    expect(box).to_have_value("for i in range(3):\n    ")
    box.press_sequentially("print(i * 10)")
    box.press("Enter")
    box.press("Enter")  # the empty line ends the block
    entries = panel.locator(".console-entry")
    expect(entries.nth(before + 1)).to_have_text("0\n10\n20")


def test_tab_completes_names_and_lists_several(page: Page):
    panel = open_console(page)
    box = panel.locator(".console-input")
    box.fill("")
    box.press_sequentially("handle.work")
    box.press("Tab")
    expect(box).to_have_value("handle.workspace")
    box.fill("")
    box.press_sequentially("apm.create_")
    box.press("Tab")
    candidates = panel.locator(".console-candidates")
    expect(candidates).to_be_visible()
    expect(candidates).to_contain_text("apm.create_session(")
    expect(candidates).to_contain_text("apm.create_tab(")
    box.press("Escape")
    expect(candidates).to_be_hidden()
    box.fill("")


def test_history_walks_with_up_down_and_survives_a_reload(page: Page):
    panel = open_console(page)
    run(panel, "marker_one = 1")
    run(panel, "marker_two = 2")
    box = panel.locator(".console-input")
    box.press_sequentially("typing")
    box.press("ArrowUp")
    expect(box).to_have_value("marker_two = 2")
    box.press("ArrowUp")
    expect(box).to_have_value("marker_one = 1")
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(box).to_have_value("typing")
    box.fill("")
    page.reload()
    page.wait_for_selector("body[data-ready]", state="attached")
    panel = open_console(page)
    box = panel.locator(".console-input")
    box.press("ArrowUp")
    expect(box).to_have_value("marker_two = 2")
    box.fill("")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1440, 900), (1024, 700)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"console-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 800})
    assert_accessible(page, ".tab-panel:not(.is-inactive)")


def test_the_site_map_lists_the_console_for_supervisors(page: Page):
    page.locator("#sitemap-button").click()
    item = page.get_by_role("menuitem", name="Python console")
    expect(item).to_be_visible()
    item.click()
    expect(page.locator(".tab-panel:not(.is-inactive) .console-page")).to_be_visible()


def test_agents_get_neither_the_entry_nor_the_shortcut(pages):
    agent_page = pages.open(user="agent4")
    agent_page.locator("#sitemap-button").click()
    expect(agent_page.get_by_role("menuitem", name="Cases")).to_be_visible()
    assert agent_page.get_by_role("menuitem", name="Python console").count() == 0
    agent_page.keyboard.press("Escape")
    agent_page.locator("body").press("Control+Shift+P")
    assert agent_page.locator(".console-input").count() == 0


def test_requests_reaches_our_api_with_the_session_cookie(page: Page):
    panel = open_console(page)
    output, before = run(panel, 'r = requests.get(base_url + "api/incidents?$top=1")\n'
                                'print(r.status_code, r.json()["value"][0]["ticketnumber"])')
    answer = output.nth(before + 1)
    expect(answer).to_have_class("console-entry console-out")
    assert answer.inner_text().startswith("200 ")
    output, before = run(panel, 'import urllib.request, json\n'
                                'json.load(urllib.request.urlopen(base_url + "api/me"))["user"]["domainname"]')
    expect(output.nth(before + 1)).to_have_text("'supervisor'")


def test_micropip_installs_the_bundled_wheel_offline_and_an_absent_one_fails_clearly(page: Page):
    panel = open_console(page)
    output, before = run(panel, 'await micropip.install("tabulate")\n'
                                'import tabulate\nprint(tabulate.tabulate([["a", 1]], headers=["k", "v"]))')
    answer = output.nth(before + 1)
    expect(answer).to_have_class("console-entry console-out", timeout=30_000)
    assert answer.inner_text().split("\n")[0].split() == ["k", "v"]
    output, before = run(panel, 'await micropip.install("casework-no-such-package")')
    error = output.nth(before + 1)
    expect(error).to_have_class("console-entry console-error", timeout=15_000)
    assert "ValueError: Can't fetch metadata for 'casework-no-such-package'" in error.inner_text()


def test_a_named_snippet_is_saved_on_the_server_and_runs_again_after_a_reload(page: Page):
    panel = open_console(page)
    box = panel.locator(".console-input")
    box.fill('print("snippet says", 6 * 7)')
    panel.locator(".console-snippet-name").fill("answer")
    panel.get_by_role("button", name="Save input as snippet").click()
    expect(panel.locator(".console-note").last).to_have_text("Saved snippet 'answer'.")
    me = page.request.get(page.url.split("#")[0] + "api/me").json()
    assert me["settings"]["consoleSnippets"]["answer"] == 'print("snippet says", 6 * 7)'
    page.reload()
    page.wait_for_selector("body[data-ready]", state="attached")
    panel = open_console(page)
    panel.locator(".console-snippets").select_option("answer")
    before = panel.locator(".console-entry").count()
    panel.get_by_role("button", name="Run snippet").click()
    expect(panel.locator(".console-entry").nth(before + 1)).to_have_text("snippet says 42", timeout=30_000)
    panel.get_by_role("button", name="Delete snippet").click()
    expect(panel.locator(".console-note").last).to_have_text("Deleted snippet 'answer'.")
    assert "answer" not in page.request.get(page.url.split("#")[0] + "api/me").json()["settings"].get(
        "consoleSnippets", {})
