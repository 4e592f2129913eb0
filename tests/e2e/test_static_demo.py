"""The static demo (``scripts/build-static``) served by ``python -m http.server`` from a sub-path: no Casework
server at all. The core journeys: choose a demo user and boot, open a case from Home, edit with a conflict between
two browser tabs, search, restore after a reload, reset the demo data; server-only features say so.

The build runs once for the module (into a temporary folder, 200 cases: the journeys need few records, and the
build and each boot stay cheap). Every page is guarded as elsewhere (no non-loopback request, no uncaught error, no
console error), and every request must stay under the demo's sub-path: nothing asks a server for ``api/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from server.launch import RunningServer
from server.static_demo import build, serve
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import PageGuard, wait_ready
from tests.e2e.support import home_list, list_rows

SUB_PATH = "casework-demo"
SHOTS = Path("/work/shots/static")
USER_KEY = "casework.demo.user"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("static-demo")
    build(root / SUB_PATH, cases=200)
    server = serve(root, SUB_PATH)
    yield server
    server.stop()


class DemoPages:
    """Guarded contexts on the static demo; each test's guards are checked when it ends."""

    def __init__(self, browser: Browser, demo: RunningServer) -> None:
        self.browser, self.demo = browser, demo
        self.contexts: list[tuple[BrowserContext, PageGuard]] = []

    def context(self, user: str | None = "agent3", **options) -> BrowserContext:
        context = self.browser.new_context(**{"viewport": {"width": 1280, "height": 800}, **options})
        guard = PageGuard()
        guard.watch_context(context)
        context.guard = guard  # type: ignore[attr-defined]
        if user is not None:  # as if chosen on the demo's signin.html (that page is tested on its own)
            context.add_init_script(f"try {{ if (!sessionStorage.getItem('demo-chosen')) {{ "
                                    f"localStorage.setItem('{USER_KEY}', '{user}'); "
                                    f"sessionStorage.setItem('demo-chosen', '1'); }} }} catch (_) {{}}")
        self.contexts.append((context, guard))
        return context

    def open(self, context: BrowserContext | None = None, path: str = "") -> Page:
        page = (context or self.context()).new_page()
        page.goto(self.demo.url + path)
        wait_ready(page)
        return page

    def problems(self) -> list[str]:
        found = []
        for context, guard in self.contexts:
            found += guard.problems()
            prefix = f"/{SUB_PATH}/"
            found += [f"request outside the demo's folder: {url}" for url in guard.requests
                      if urlsplit(url).scheme.startswith("http") and not urlsplit(url).path.startswith(prefix)]
            found += [f"request for the server's API: {url}" for url in guard.requests
                      if urlsplit(url).path.startswith(prefix + "api/")]
            context.close()
        return found


@pytest.fixture
def demo_pages(browser: Browser, demo: RunningServer) -> Iterator[DemoPages]:
    factory = DemoPages(browser, demo)
    yield factory
    problems = factory.problems()
    if problems:
        pytest.fail("page guard:\n" + "\n".join(problems), pytrace=False)


def form(page: Page):
    return page.locator(".tab-panel:not(.is-inactive) .record-form")


def field_input(page: Page, name: str):
    return form(page).locator(f".form-field[data-field='{name}'] :is(input, textarea, select)").first


def open_case_by_id(page: Page, case_id: str) -> None:
    page.evaluate("(id) => Microsoft.Apm.openRecord({entityName: 'incident', entityId: id, source: 'HOME'})",
                  case_id)
    expect(field_input(page, "title")).not_to_have_value("")


def first_home_case(page: Page):
    cases = home_list(page, "cases")
    expect(list_rows(cases).first).to_be_visible()
    return list_rows(cases).first


def shots(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1440, 900), (1024, 700)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 800})


# -- journeys

def test_choosing_a_demo_user_boots_the_workspace_from_a_sub_path(demo_pages: DemoPages) -> None:
    page = demo_pages.context(user=None).new_page()
    page.goto(demo_pages.demo.url)
    expect(page).to_have_url(re.compile(rf"/{SUB_PATH}/signin\.html\?next="))  # no user yet: choose one
    choices = page.get_by_role("list", name="Demo users").get_by_role("button")
    expect(choices).to_have_count(12)
    assert_accessible(page)
    shots(page, "chooser")
    page.locator("button[data-username='agent3']").click()
    wait_ready(page)
    assert urlsplit(page.url).path == f"/{SUB_PATH}/"
    banner = page.get_by_role("region", name="Demo")
    expect(banner).to_contain_text("your changes stay in this browser")
    expect(banner.get_by_role("button", name="Reset demo data")).to_be_visible()
    expect(page.locator("#user-avatar")).to_have_attribute("title", re.compile(r"Signed in as Agent 3 .*\(agent3\)"))
    expect(page.locator("#presence")).to_contain_text("Demo")
    expect(list_rows(home_list(page, "cases")).first).to_be_visible()  # Home's lists answered in the page
    assert_accessible(page, "#demo-banner")
    shots(page, "home")
    page.get_by_role("button", name="Sign out").click()  # back to choosing, with the choice forgotten
    expect(page).to_have_url(re.compile(rf"/{SUB_PATH}/signin\.html"))
    expect(page.locator("button[data-username='agent3']")).to_be_visible()
    assert page.evaluate(f"localStorage.getItem('{USER_KEY}')") is None


def test_open_a_case_from_home(demo_pages: DemoPages) -> None:
    page = demo_pages.open()
    row = first_home_case(page)
    title = row.locator("td[data-column='title']").inner_text()
    number = row.locator("td[data-column='ticketnumber']").inner_text()
    row.locator("td[data-column='title']").get_by_role("link").click()
    session_tab = page.locator("#session-list [role=tab][aria-selected=true]")
    expect(session_tab).to_contain_text(number)  # the number, its title under it (issue 15, item 6)
    expect(session_tab).to_contain_text(title)
    expect(field_input(page, "title")).to_have_value(title)
    expect(page.locator(".tab-panel:not(.is-inactive) .tl-item").first).to_be_visible()
    shots(page, "case")


def test_edits_in_two_browser_tabs_conflict_on_the_stale_etag(demo_pages: DemoPages) -> None:
    context = demo_pages.context()
    first, second = demo_pages.open(context), demo_pages.open(context)  # one browser: one IndexedDB overlay
    case_id = first_home_case(first).get_attribute("data-id")
    for page in (first, second):
        open_case_by_id(page, case_id)
    field_input(first, "subject").fill("Set in the first tab")
    first.keyboard.press("Control+s")
    expect(form(first).locator(".form-status")).to_have_text("Saved.")
    field_input(second, "title").fill("Retitled in the second tab")
    second.keyboard.press("Control+s")
    conflict = form(second).locator(".form-conflict")
    expect(conflict).to_be_visible()
    expect(conflict.locator("tr[data-field='subject'] td").first).to_have_text("Set in the first tab")
    expect(field_input(second, "title")).to_have_value("Retitled in the second tab")  # nothing typed is lost
    shots(second, "conflict")
    conflict.get_by_role("button", name="Keep mine and re-apply").click()
    expect(form(second).locator(".form-status")).to_have_text("Saved.")
    third = demo_pages.open(context)  # a fresh page reads the overlay: both edits are there
    open_case_by_id(third, case_id)
    expect(field_input(third, "title")).to_have_value("Retitled in the second tab")
    expect(field_input(third, "subject")).to_have_value("Set in the first tab")


def test_search_finds_cases_in_python(demo_pages: DemoPages) -> None:
    page = demo_pages.open()
    box = page.locator("#global-search")
    box.fill("printer")
    listbox = page.get_by_role("listbox", name="Search suggestions")
    expect(listbox.locator("[role=option][data-entity=incident]").first).to_be_visible()
    marks = listbox.locator("mark")
    expect(marks.first).to_be_visible()
    assert all(re.fullmatch(r"printer\w*", text, re.I) for text in marks.all_inner_texts())
    box.press("ArrowDown")
    box.press("Enter")
    expect(field_input(page, "title")).to_have_value(re.compile("rint", re.I))


def test_the_workspace_and_saved_edits_come_back_after_a_reload_and_reset_undoes_them(
        demo_pages: DemoPages) -> None:
    page = demo_pages.open()
    row = first_home_case(page)
    case_id, original = row.get_attribute("data-id"), row.locator("td[data-column='title']").inner_text()
    open_case_by_id(page, case_id)
    field_input(page, "title").fill("Saved before the reload")
    page.keyboard.press("Control+s")
    expect(form(page).locator(".form-status")).to_have_text("Saved.")
    sessions = page.locator("#session-list [role=tab]").count()
    page.reload()
    wait_ready(page)
    expect(page.locator("#session-list [role=tab]")).to_have_count(sessions)
    expect(field_input(page, "title")).to_have_value("Saved before the reload")
    with page.expect_navigation():  # the page reloads on the seed alone
        page.get_by_role("button", name="Reset demo data").click()
    wait_ready(page)
    open_case_by_id(page, case_id)
    expect(field_input(page, "title")).to_have_value(original)


def test_the_agent_calendar_reads_the_in_page_records_api(demo_pages: DemoPages) -> None:
    page = demo_pages.open()
    page.locator("#sitemap-button").click()
    page.get_by_role("menuitem", name="My calendar").click()
    calendar = page.locator(".tab-panel:not(.is-inactive) .calendar-page")
    expect(calendar.locator(".calendar-note")).to_have_text(re.compile(
        r"^\d+ open activit(y|ies) without a due date, not shown\. Completed activities are hidden\.$"))
    expect(calendar.locator(".calendar-status")).to_have_text("")  # the range's reads answered, no error
    expect(calendar.locator("ul.calendar-day")).to_have_count(7)


RUNTIME_ENTRIES_JS = """() => performance.getEntriesByType('resource')
  .filter((e) => /\\/(vendor\\/|app\\.zip)/.test(new URL(e.name).pathname))
  .map((e) => ({name: new URL(e.name).pathname, transferSize: e.transferSize, size: e.decodedBodySize,
                deliveryType: e.deliveryType}))"""


def test_a_reload_takes_the_runtime_from_the_cache_without_downloading_the_wasm_again(
        demo_pages: DemoPages) -> None:
    # http.server sends no cache lifetimes, and Chromium's in-memory HTTP cache (a fresh context) does not keep the
    # 9.6 MB wasm: without the build's service worker every reload downloaded it again (transferSize 9598518).
    page = demo_pages.open()
    # Until the worker controls the page (its cache filled); bounded, so a worker that never takes over fails below.
    page.evaluate("() => Promise.race([window.caseworkBoot.serviceWorker,"
                  " new Promise((resolve) => setTimeout(resolve, 30000))])")
    page.reload()
    wait_ready(page)
    entries = page.evaluate(RUNTIME_ENTRIES_JS)
    wasm = [e for e in entries if e["name"].endswith("/pyodide.asm.wasm")]
    assert len(wasm) == 1, wasm  # fetched once (the preload is the request Pyodide compiles), not twice
    assert wasm[0]["size"] > 9_000_000 and wasm[0]["transferSize"] == 0, wasm
    downloaded = [e for e in entries if e["transferSize"] > 0]
    assert not downloaded, downloaded  # no runtime file went to the network, not even for a 304
    assert {e["deliveryType"] for e in entries} == {"cache-storage"}  # answered by the service worker's cache
