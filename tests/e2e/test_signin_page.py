"""The sign-in page: a wrong password shows the server's message as text; the right one signs in (HttpOnly
session cookie) and goes to the workspace."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import GuardedPages, wait_ready


@pytest.mark.allow_page_errors  # Chromium logs the 401 answer as a console error; the test checks what it shows
def test_wrong_password_shows_the_message_as_text(pages: GuardedPages) -> None:
    page = pages.open("signin.html")
    page.get_by_label("Username").fill("agent7")
    page.get_by_label("Password").fill("<b>wrong</b>")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    assert page.evaluate("document.querySelectorAll('#signin-message *').length") == 0
    assert page.guard.page_errors == []


def test_signing_in_sets_an_httponly_session_and_opens_the_workspace(pages: GuardedPages) -> None:
    page = pages.open("signin.html")
    page.get_by_label("Username").fill("agent8")
    page.get_by_label("Password").fill("casework")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: not url.endswith("signin.html"))
    wait_ready(page)
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["casework_session"]["httpOnly"] is True
    assert cookies["casework_session"]["sameSite"] == "Lax"
    assert cookies["casework_csrf"]["httpOnly"] is False
    me = page.evaluate("fetch('./api/me').then(r => r.json())")
    assert me["user"]["domainname"] == "agent8"
