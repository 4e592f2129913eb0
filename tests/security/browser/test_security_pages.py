"""Issue 13, the page's side in a real Chromium: no open redirect after sign-in (2); Sign out ends the session and
leaves nothing of the agent's workspace or drafts in this browser (12)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import GuardedPages, wait_ready


@pytest.mark.parametrize("next_value", ["/%09/evil.example/phish", "/%0a/evil.example/x", "%2F%5C%09evil.example",
                                        "https:evil.example", "javascript:alert(1)"])
def test_2_sign_in_stays_on_this_site_whatever_next_says(pages: GuardedPages, next_value: str) -> None:
    page = pages.open(f"signin.html?next={next_value}", ready=False, user=None)
    page.get_by_label("Username").fill("agent3")
    page.get_by_label("Password").fill("casework")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "signin.html" not in url)  # wherever the page goes after signing in
    assert page.url.startswith(pages.server.url), page.url
    wait_ready(page)


def test_2_a_path_on_this_site_is_still_where_sign_in_returns(pages: GuardedPages) -> None:
    page = pages.open("signin.html?next=%2F%3Fcase%3D7%23x", ready=False, user=None)
    page.get_by_label("Username").fill("agent3")
    page.get_by_label("Password").fill("casework")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/?case=7#x")
    wait_ready(page)


def _saved_keys(page: Page, user_id: str) -> list[str]:
    return page.evaluate("(id) => Object.keys(localStorage).filter((k) => k.includes(id))", user_id)


def test_12_sign_out_ends_the_session_and_clears_the_saved_workspace(pages: GuardedPages) -> None:
    page = pages.open(user="agent4")
    user_id = page.evaluate("fetch('api/me').then((r) => r.json()).then((me) => me.user.systemuserid)")
    page.evaluate("""async () => {
        await Microsoft.Apm.createSession({templateName: "msdyn_case_session", sessionContext: {caseId: "s-1"}});
    }""")
    page.evaluate("() => window.dispatchEvent(new Event('pagehide'))")  # save now, as leaving the page does
    page.wait_for_function("(id) => Object.keys(localStorage).some((k) => k.includes(id))", arg=user_id)
    page.evaluate("localStorage.setItem('unrelated-key', 'kept')")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin.html")
    expect(page.get_by_label("Username")).to_be_visible()
    assert _saved_keys(page, user_id) == []
    assert page.evaluate("localStorage.getItem('unrelated-key')") == "kept"
    assert page.request.get(pages.server.url + "api/me").status == 401
    page.goto(pages.server.url)  # the workspace sends a signed-out visitor to sign in
    page.wait_for_url("**/signin.html?next=*")
