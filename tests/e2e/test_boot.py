"""The workspace shell boots offline from our own server, reports Python, survives reloads and shows failures."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import GuardedPages, is_loopback, wait_ready


def test_page_boots_with_zero_external_requests(pages: GuardedPages) -> None:
    page = pages.open()
    guard = page.guard
    assert guard.external_requests == []
    # It really loaded the runtime, and from us: the interpreter, its wasm and our Python.
    loaded = [url for url in guard.requests if is_loopback(url)]
    for needle in ("/vendor/pyscript/", "/vendor/pyodide/314.0.7/pyodide.asm.wasm", "/app.zip"):
        assert any(needle in url for url in loaded), f"{needle} was not requested from our server"
    expect(page.locator("#boot")).to_be_hidden()
    expect(page.locator("#boot-error")).to_be_hidden()


def test_python_in_the_page_reports_3_14(workspace_page: Page) -> None:
    assert workspace_page.evaluate("document.body.dataset.python").startswith("3.14.")
    # Home shows no developer line (issue 15, item 8): the body's data-python is the witness.
    expect(workspace_page.get_by_text("running in your browser")).to_have_count(0)


def test_shell_has_landmarks_and_tab_roles(workspace_page: Page) -> None:
    page = workspace_page
    expect(page.get_by_role("banner")).to_be_visible()
    expect(page.get_by_role("search")).to_be_visible()
    expect(page.get_by_role("tablist", name="Sessions")).to_be_visible()
    expect(page.get_by_role("tab", name="Home")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tablist", name="Tabs in Home")).to_be_visible()
    expect(page.get_by_role("complementary", name="Productivity pane")).to_be_visible()
    expect(page.locator("body")).not_to_have_attribute("aria-busy", "true")
    expect(page.get_by_label("Global search")).to_be_enabled()


def test_reload_boots_again(workspace_page: Page) -> None:
    page = workspace_page
    first_origin = page.evaluate("performance.timeOrigin")
    page.reload()
    wait_ready(page)
    assert page.evaluate("performance.timeOrigin") != first_origin
    assert page.evaluate("document.body.dataset.python").startswith("3.14.")
    assert page.guard.external_requests == []


def test_page_imports_the_bytecode_compiled_at_setup(workspace_page: Page) -> None:
    from tests.e2e.test_apm_api import run_python

    flags = run_python(workspace_page, "\n".join([
        "import importlib.util, apm.model",
        "with open(importlib.util.cache_from_source(apm.model.__file__), 'rb') as f:",
        "    header = f.read(8)",
        "result = int.from_bytes(header[4:8], 'little')",
    ]))
    assert flags == 0b01  # PEP 552 unchecked-hash pyc: the one scripts/pyc.mjs built, not compiled in the page


def test_server_reports_connection_after_boot(workspace_page: Page) -> None:
    expect(workspace_page.locator("#presence-select")).to_have_value("Available")  # the first socket: Available


@pytest.mark.allow_page_errors
def test_missing_runtime_file_shows_error_panel(pages: GuardedPages) -> None:
    def drop_wasm(page: Page) -> None:
        page.route("**/pyodide.asm.wasm", lambda route: route.fulfill(status=404, body="gone"))

    page = pages.open(ready=False, before_goto=drop_wasm)
    panel = page.locator("#boot-error")
    expect(panel).to_be_visible(timeout=60_000)
    expect(panel).to_contain_text("Casework could not start")
    assert page.locator("#boot-error-summary").inner_text().strip() != ""
    expect(page.locator("#boot")).to_be_hidden()
    assert page.evaluate("document.body.dataset.ready") is None
    page.get_by_role("button", name="Reload").focus()  # the way out is reachable by keyboard


@pytest.mark.allow_page_errors
def test_python_failure_during_boot_shows_traceback(pages: GuardedPages) -> None:
    def break_app_zip(page: Page) -> None:
        # An empty archive: the entry `import main` then fails in Python.
        empty_zip = b"PK\x05\x06" + b"\x00" * 18

        def fulfill(route: Route) -> None:
            route.fulfill(status=200, body=empty_zip, headers={"Content-Type": "application/zip"})

        page.route("**/app.zip", fulfill)

    page = pages.open(ready=False, before_goto=break_app_zip)
    expect(page.locator("#boot-error")).to_be_visible(timeout=60_000)
    expect(page.locator("#boot-error-details")).to_contain_text("No module named 'main'")
    assert page.evaluate("document.body.dataset.ready") is None


def test_csp_blocks_requests_to_other_hosts(workspace_page: Page) -> None:
    blocked = workspace_page.evaluate(
        "fetch('http://example.invalid/ping').then(() => 'sent', (error) => 'blocked: ' + error.message)"
    )
    assert blocked.startswith("blocked")
    assert workspace_page.guard.external_requests == []
    workspace_page.guard.console_errors.clear()  # the CSP violation report is the point of this test


def test_guard_reports_requests_to_other_hosts(pages: GuardedPages) -> None:
    page = pages.open()
    guard = page.guard
    with pytest.raises(PlaywrightError):
        page.goto("http://example.invalid/", timeout=15_000)  # navigations are not bound by the page's CSP
    assert any("example.invalid" in url for url in guard.external_requests)
    assert guard.problems(allow_page_errors=True)
    guard.external_requests.clear()  # this test's request was deliberate
    guard.page_errors.clear()
    guard.console_errors.clear()
