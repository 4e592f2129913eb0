"""axe-core scans of the workspace: no serious or critical violations on Home and the header's widgets open.

One booted page serves the module (signed in as agent10). More surfaces take one line each, e.g. after opening a
case form: ``assert_accessible(page)`` or ``assert_accessible(page, "#panel-<tab id>")``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.a11y import assert_accessible, scan
from tests.e2e.support import RESET_JS, run_python

PAGE_USER = "agent10"  # the module's shared page (tests/e2e/conftest.py)


@pytest.fixture
def page(shared_page: Page) -> Page:
    shared_page.keyboard.press("Escape")
    shared_page.evaluate(RESET_JS)
    return shared_page


def test_the_harness_reports_what_it_finds(page: Page) -> None:
    """The scan is live: an image without a text alternative injected into the page is reported (critical)."""
    page.evaluate("""() => { const img = document.createElement('img'); img.id = 'a11y-probe';
                     img.src = 'favicon.svg'; document.body.append(img); }""")
    try:
        found = {v["id"]: v["impact"] for v in scan(page, "#a11y-probe")}
        assert found.get("image-alt") == "critical"
        with pytest.raises(AssertionError, match="image-alt"):
            assert_accessible(page, "#a11y-probe")
    finally:
        page.evaluate("document.getElementById('a11y-probe').remove()")


def test_home(page: Page) -> None:
    assert_accessible(page)


def test_search_suggestions_open(page: Page) -> None:
    box = page.locator("#global-search")
    box.focus()
    box.fill("printer")
    expect(page.get_by_role("listbox", name="Search suggestions").locator("mark").first).to_be_visible()
    box.press("ArrowDown")
    assert_accessible(page)
    box.press("Escape")


def test_search_results_page(page: Page) -> None:
    box = page.locator("#global-search")
    box.focus()
    box.fill("printer")
    expect(page.get_by_role("listbox", name="Search suggestions")).to_be_visible()
    box.press("Enter")
    expect(page.locator(".tab-panel:not(.is-inactive) .search-result").first).to_be_visible()
    assert_accessible(page)


def test_sitemap_menu_open(page: Page) -> None:
    page.locator("#sitemap-button").click()
    expect(page.get_by_role("menu", name="Site map")).to_be_visible()
    assert_accessible(page)
    page.keyboard.press("Escape")


def test_shortcut_dialog(page: Page) -> None:
    page.locator("body").press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert_accessible(page)
    page.keyboard.press("Escape")


def test_close_warning_dialog(page: Page) -> None:
    base = page.url.split("#")[0]
    token = page.request.get(base + "api/me").json()["csrfToken"]
    page.request.delete(base + "api/me/settings/closeSessionWarning", headers={"X-CSRF-Token": token})
    run_python(page, "from app import handle\nhandle.services.agent.settings.clear()\nresult = True")
    session_id = page.evaluate("(input) => Microsoft.Apm.createSession(input)",
                               {"templateName": "msdyn_case_session",
                                "sessionContext": {"caseId": "c-a11y", "anchor": {"ticketnumber": "CAS-A11Y"}}})
    page.evaluate("async (sid) => Microsoft.Apm.getSession(sid).updateContext({activeItem: 'chat'})",
                  session_id)
    page.get_by_role("button", name="Close session CAS-A11Y", include_hidden=True).click()
    expect(page.get_by_role("dialog", name="Close this session?")).to_be_visible()
    assert_accessible(page)
    page.keyboard.press("Escape")
