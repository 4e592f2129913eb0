"""Signing in to the workspace: who is not signed in gets the sign-in page; the profile sets the limits."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import GuardedPages, wait_ready


def test_not_signed_in_goes_to_sign_in_and_back_to_the_workspace(pages: GuardedPages) -> None:
    page = pages.open("?case=1", ready=False, user=None)
    page.wait_for_url("**/signin.html?next=*")
    assert "next=%2F%3Fcase%3D1" in page.url
    page.get_by_label("Username").fill("agent3")
    page.get_by_label("Password").fill("casework")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/?case=1")  # back where the agent was going
    wait_ready(page)
    avatar = page.locator("#user-avatar")
    expect(avatar).to_have_text("AP")
    expect(avatar).to_have_attribute("title", "Signed in as Agent 3 Patel (agent3) · Default agent experience")


def test_sign_in_never_sends_the_agent_to_another_site(pages: GuardedPages) -> None:
    page = pages.open("signin.html?next=//example.invalid/x", ready=False, user=None)
    page.get_by_label("Username").fill("agent3")
    page.get_by_label("Password").fill("casework")
    page.get_by_role("button", name="Sign in").click()
    wait_ready(page)
    assert page.url.startswith(pages.server.url)


def test_wrong_password_keeps_the_agent_on_the_sign_in_page(pages: GuardedPages) -> None:
    page = pages.open("signin.html", ready=False, user=None)
    page.get_by_label("Username").fill("agent3")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signin-message")).not_to_have_text("Signing in…")
    expect(page.locator("#signin-message")).not_to_be_empty()
    assert "signin.html" in page.url
    expect(page.get_by_label("Username")).to_have_value("agent3")  # what was typed is kept
    page.guard.console_errors.clear()  # the browser logs the 401 of the refused sign-in


def test_the_agents_profile_sets_the_session_limit(pages: GuardedPages) -> None:
    page: Page = pages.open(user="agent1")  # agent1 works chat: the "Chat agent experience" allows 6 sessions
    opened = page.evaluate("""async () => {
        let count = 0;
        while (await Microsoft.Apm.canCreateSession()) {
            await Microsoft.Apm.createSession({templateName: "msdyn_case_session",
                sessionContext: {caseId: "p-" + count}});
            count += 1;
        }
        return count;
    }""")
    assert opened == 5  # plus Home
    expect(page.locator("#session-list [role=tab]")).to_have_count(6)
