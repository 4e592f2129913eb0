"""Session restore in the page: a reload brings back sessions, tabs and focus; off means Home; bad data kept aside."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import GuardedPages, wait_ready

LAYOUT_JS = """async () => {
  const sessions = await Microsoft.Apm.getAllSessions();
  const focused = await Microsoft.Apm.getFocusedSession();
  return {
    sessions: await Promise.all(sessions.map(async (s) => [s.sessionId, s.title,
      (await s.getAllTabs()).map((t) => [t.tabId, t.title]), (await s.getFocusedTab()).tabId])),
    focused: focused.sessionId,
  };
}"""

OPEN_SOME_WORK_JS = """async () => {
  const A = Microsoft.Apm;
  await A.createSession({templateName: "msdyn_case_session",
    sessionContext: {caseId: "c-1", anchor: {ticketnumber: "CAS-01001-AAAAAA"}}});
  const contact = await A.createTab({templateName: "msdyn_entityrecord",
    appContext: {entityName: "contact", entityId: "p-1"}});
  await A.createTab({templateName: "msdyn_entitylist", appContext: {entityName: "task"}});
  await A.createSession({templateName: "msdyn_account_session",
    sessionContext: {accountId: "a-1", customerName: "Contoso"}});
  await A.focusTab(contact);  // focus back in the first session, on its contact tab
}"""


def restore_keys(page: Page) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('casework.restore')).sort()")


def test_reload_restores_sessions_tabs_and_focus(pages: GuardedPages) -> None:
    page = pages.open()
    page.evaluate(OPEN_SOME_WORK_JS)
    before = page.evaluate(LAYOUT_JS)
    page.reload()
    wait_ready(page)
    assert page.evaluate(LAYOUT_JS) == before
    expect(page.get_by_role("tab", name="CAS-01001-AAAAAA")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#notices .notice")).to_have_count(0)
    # new work after a restore gets new ids, never a restored one
    new_id = page.evaluate("() => Microsoft.Apm.createSession({templateName: 'msdyn_contact_session', "
                           "sessionContext: {contactId: 'p-9'}})")
    assert new_id not in [session[0] for session in before["sessions"]]


def test_restore_off_in_the_profile_shows_home_only_after_reload(pages: GuardedPages) -> None:
    page = pages.open(user="supervisor")  # the supervisor profile turns session restore off
    page.evaluate(OPEN_SOME_WORK_JS)
    page.reload()
    wait_ready(page)
    assert [s[0] for s in page.evaluate(LAYOUT_JS)["sessions"]] == ["home"]
    assert restore_keys(page) == []


def test_corrupt_saved_workspace_is_reported_kept_aside_and_boot_goes_on(pages: GuardedPages) -> None:
    page = pages.open()
    page.evaluate(OPEN_SOME_WORK_JS)
    page.evaluate("() => window.dispatchEvent(new Event('pagehide'))")  # save now
    [key] = restore_keys(page)
    page.evaluate("(key) => localStorage.setItem(key, localStorage.getItem(key).slice(0, 200))", key)
    page.reload()
    wait_ready(page)
    expect(page.locator(".notice[data-code=restore_dropped]")).to_contain_text("Your workspace was restored, except")
    keys = restore_keys(page)
    quarantined = [k for k in keys if ":quarantine:" in k]
    assert quarantined, keys
    assert len(page.evaluate("(k) => localStorage.getItem(k)", quarantined[0])) == 200  # the raw text, untouched
    # the workspace still works: a new session opens
    page.evaluate("() => Microsoft.Apm.createSession({templateName: 'msdyn_contact_session', "
                  "sessionContext: {contactId: 'p-2'}})")
    expect(page.locator("#session-list [role=tab]")).to_have_count(2)
