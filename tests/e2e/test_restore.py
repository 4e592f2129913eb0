"""Session restore in the page: a reload brings back sessions, tabs, focus and drafts; off means Home; bad data kept
aside; several browser tabs each keep their own slot; records that are gone are marked; conversations wait for
presence.

Drafts come from a small test page (tests/pagekits/testkits/restore_drafts.py: entity-record tabs of ``task`` get one
text box), installed before boot by the init script ``window.caseworkExtensions = ["testkits.restore_drafts"]``.
"""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Page, expect

from server.launch import RunningServer
from tests.e2e.conftest import GuardedPages, wait_ready

TESTKIT = "window.caseworkExtensions = ['testkits.restore_drafts'];"
# A generic session anchored on a task list (generic sessions need an anchor tab).
GENERIC = ("{templateName: 'msdyn_generic_session', sessionContext: {anchorTab: {templateName: 'msdyn_entitylist', "
           "appContext: {entityName: 'task', title: 'Tasks'}}}}")
NEW_GENERIC_SESSION = f"() => Microsoft.Apm.createSession({GENERIC})"

LAYOUT_JS = """() => {
  const A = Microsoft.Apm;
  const sessions = A.getAllSessions().map((id) => A.getSession(id));
  return {
    sessions: sessions.map((s) => [s.sessionId, s.templateName, s.title,
      s.getAllTabs().map((id) => s.getTab(id)).map((t) => [t.tabId, t.templateName, t.title]),
      s.getFocusedTab().tabId]),
    focused: A.getFocusedSession().sessionId,
  };
}"""

# Nine sessions (Home makes ten) of four templates, each with ten tabs: its anchor, three record tabs, three lists
# and two searches; the last session also gets an existing task (a draft is typed into it) and a new task.
OPEN_FULL_WORKSPACE_JS = """async ({cases, accounts, contacts, task}) => {
  const A = Microsoft.Apm;
  const kinds = ["incident", "account", "contact", "task"];
  let c = 0;
  for (let n = 0; n < 9; n++) {
    const kind = n % 4;
    if (kind === 0) await A.createSession({templateName: "msdyn_case_session",
      sessionContext: {caseId: cases[n], caseTitle: `Case ${n}`}});
    else if (kind === 1) await A.createSession({templateName: "msdyn_account_session",
      sessionContext: {entityId: accounts[n], customerName: `Account ${n}`}});
    else if (kind === 2) await A.createSession({templateName: "msdyn_contact_session",
      sessionContext: {entityId: contacts[30 + n], customerName: `Contact ${n}`}});
    else await A.createSession(GENERIC);
    for (let t = 0; t < 9; t++) {
      if (n === 8 && t === 7) {
        await A.createTab({templateName: "msdyn_entityrecord", appContext: {entityName: "task", entityId: task,
          title: "Task with a draft"}});
      } else if (n === 8 && t === 8) {
        await A.createTab({templateName: "msdyn_entityrecord", appContext: {entityName: "task", title: "New task"}});
      } else if (t < 3) {
        await A.createTab({templateName: "msdyn_entityrecord", appContext: {entityName: "contact",
          entityId: contacts[c], title: `Contact tab ${c}`}});
        c++;
      } else if (t < 6) {
        await A.createTab({templateName: "msdyn_entitylist", appContext: {entityName: kinds[t % 4],
          title: `List ${n}.${t}`}});
      } else {
        await A.createTab({templateName: "msdyn_search", appContext: {searchText: `find ${n}.${t}`}});
      }
    }
  }
}"""


def restore_keys(page: Page) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('casework.restore')).sort()")


def save_now(page: Page) -> None:
    page.evaluate("() => window.dispatchEvent(new Event('pagehide'))")


def ids_of(context: BrowserContext, server: RunningServer, entity_set: str, key: str, count: int) -> list[str]:
    response = context.request.get(f"{server.url}api/{entity_set}?$top={count}&$select={key}&$orderby={key}")
    assert response.ok, response.text()
    return [row[key] for row in response.json()["value"]]


def csrf(context: BrowserContext) -> dict:
    token = next(c["value"] for c in context.cookies() if c["name"] == "casework_csrf")
    return {"X-CSRF-Token": token}


def draft_box(page: Page, tab_id: str):
    return page.locator(f"input.draft-test-input[data-tab-id='{tab_id}']")


def open_page(context: BrowserContext, server: RunningServer) -> Page:
    page = context.new_page()
    page.goto(server.url)
    wait_ready(page)
    return page


def test_full_workspace_with_drafts_comes_back_identical(pages: GuardedPages) -> None:
    page = pages.open(before_goto=lambda p: p.add_init_script(TESTKIT))
    context, server = page.context, pages.server
    contacts = ids_of(context, server, "contacts", "contactid", 40)
    records = {
        "cases": ids_of(context, server, "incidents", "incidentid", 9),
        "accounts": ids_of(context, server, "accounts", "accountid", 9),
        "contacts": contacts,
        "task": ids_of(context, server, "tasks", "activityid", 1)[0],
    }
    page.evaluate(OPEN_FULL_WORKSPACE_JS.replace("GENERIC", GENERIC), records)
    layout = page.evaluate(LAYOUT_JS)
    assert len(layout["sessions"]) == 10 and all(len(s[3]) == 10 for s in layout["sessions"][1:])
    last = layout["sessions"][-1]
    existing_task, new_task = last[3][8][0], last[3][9][0]
    page.evaluate("(id) => Microsoft.Apm.focusTab(id)", existing_task)
    draft_box(page, existing_task).fill("an unsaved edit")
    page.evaluate("(id) => Microsoft.Apm.focusTab(id)", new_task)
    draft_box(page, new_task).fill("half a new task")
    expect(page.locator(f".tab-item[data-tab-id='{new_task}']")).to_have_class(re.compile(r"\bis-dirty\b"))
    # focus somewhere in the middle: session 5, its third tab
    middle_tab = layout["sessions"][5][3][2][0]
    page.evaluate("(id) => Microsoft.Apm.focusTab(id)", middle_tab)
    before = page.evaluate(LAYOUT_JS)
    assert before["focused"] == layout["sessions"][5][0]

    page.reload()
    wait_ready(page)
    assert page.evaluate(LAYOUT_JS) == before
    expect(page.locator(f"#session-{before['focused']}")).to_have_attribute("aria-selected", "true")
    expect(page.locator(f"#tab-{middle_tab}")).to_have_attribute("aria-selected", "true")
    # hidden restored tabs mount when first shown; their drafts count as unsaved before that
    expect(page.locator(f".tab-item[data-tab-id='{existing_task}']")).to_have_class(re.compile(r"\bis-dirty\b"))
    expect(draft_box(page, existing_task)).to_have_count(0)
    for tab_id, text in ((existing_task, "an unsaved edit"), (new_task, "half a new task")):
        page.evaluate("(id) => Microsoft.Apm.focusTab(id)", tab_id)
        expect(draft_box(page, tab_id)).to_have_value(text)
    page.wait_for_function("window.caseworkBoot.marks.painted")
    expect(page.locator("#notices .notice")).to_have_count(0)  # every record exists: nothing marked


def test_restore_off_in_the_profile_shows_home_only_after_reload(pages: GuardedPages) -> None:
    page = pages.open(user="supervisor")  # the supervisor profile turns session restore off
    page.evaluate(NEW_GENERIC_SESSION)
    page.reload()
    wait_ready(page)
    assert [s[0] for s in page.evaluate(LAYOUT_JS)["sessions"]] == ["home"]
    assert restore_keys(page) == []


def test_corrupt_saved_workspace_is_reported_kept_aside_and_boot_goes_on(pages: GuardedPages) -> None:
    page = pages.open()
    page.evaluate(NEW_GENERIC_SESSION)
    save_now(page)
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


def test_storage_full_trims_the_draft_with_a_notice_and_work_goes_on(pages: GuardedPages) -> None:
    page = pages.open(before_goto=lambda p: p.add_init_script(TESTKIT))
    new_task = page.evaluate("""async () => {
      await Microsoft.Apm.createSession(GENERIC);
      return Microsoft.Apm.createTab({templateName: 'msdyn_entityrecord', appContext: {entityName: 'task'}});
    }""".replace("GENERIC", GENERIC))
    save_now(page)
    # fill localStorage to the brim, then give back about 40 kB: room for the layout, not for a 200 kB draft
    page.evaluate("""() => {
      let n = 0;
      for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 10]) {
        const chunk = "x".repeat(size);
        try { for (;;) localStorage.setItem(`filler-${size}-${n++}`, chunk); } catch { /* full at this size */ }
      }
      Object.keys(localStorage).filter((k) => k.startsWith("filler-1024-")).slice(0, 20)
        .forEach((k) => localStorage.removeItem(k));
    }""")
    draft_box(page, new_task).fill("y" * 100_000)
    expect(page.locator(".notice[data-code=storage_full]")).to_contain_text("Browser storage is full")
    # the workspace keeps working and keeps being saved (without the draft)
    page.evaluate(NEW_GENERIC_SESSION)
    save_now(page)
    layout = page.evaluate(LAYOUT_JS)
    page.reload()
    wait_ready(page)
    assert page.evaluate(LAYOUT_JS) == layout
    page.evaluate("(id) => Microsoft.Apm.focusTab(id)", new_task)
    expect(draft_box(page, new_task)).to_have_value("")  # the trimmed draft did not come back


def test_two_browser_tabs_each_restore_their_own_workspace(pages: GuardedPages) -> None:
    context, _ = pages.new_context()
    first, second = open_page(context, pages.server), open_page(context, pages.server)
    assert first.evaluate("Microsoft.Apm.workspaceId") != second.evaluate("Microsoft.Apm.workspaceId")
    first.evaluate("() => Microsoft.Apm.createSession({templateName: 'msdyn_case_session', "
                   "sessionContext: {caseTitle: 'First tab case'}})")
    second.evaluate(NEW_GENERIC_SESSION)
    layouts = [p.evaluate(LAYOUT_JS) for p in (first, second)]
    for page in (first, second):
        page.reload()
        wait_ready(page)
    assert [p.evaluate(LAYOUT_JS) for p in (first, second)] == layouts


def test_a_duplicated_browser_tab_gets_its_own_slot_starting_from_a_copy(pages: GuardedPages) -> None:
    context, _ = pages.new_context()
    original = open_page(context, pages.server)
    original.evaluate(NEW_GENERIC_SESSION)
    save_now(original)
    layout = original.evaluate(LAYOUT_JS)
    with context.expect_page() as opened:
        original.evaluate("() => window.open(location.href)")  # the new tab gets a copy of sessionStorage
    duplicate = opened.value
    wait_ready(duplicate)
    original_id = original.evaluate("Microsoft.Apm.workspaceId")
    duplicate_id = duplicate.evaluate("Microsoft.Apm.workspaceId")
    assert duplicate_id != original_id
    assert duplicate.evaluate("sessionStorage.getItem('casework.workspaceId')") == duplicate_id
    assert duplicate.evaluate(LAYOUT_JS) == layout  # started from a copy of the original's snapshot
    # from now on they are separate: a change in the duplicate does not reach the original's slot
    duplicate.evaluate(NEW_GENERIC_SESSION)
    save_now(duplicate)
    original.reload()
    wait_ready(original)
    assert original.evaluate("Microsoft.Apm.workspaceId") == original_id
    assert original.evaluate(LAYOUT_JS) == layout


def test_a_new_browser_tab_offers_to_reopen_a_closed_one(pages: GuardedPages) -> None:
    context, _ = pages.new_context()
    closed = open_page(context, pages.server)
    closed.evaluate("""async () => {
      await Microsoft.Apm.createSession(GENERIC);
      await Microsoft.Apm.createSession({templateName: 'msdyn_case_session', sessionContext: {caseTitle: 'Old'}});
    }""".replace("GENERIC", GENERIC))
    layout = closed.evaluate(LAYOUT_JS)
    closed_id = closed.evaluate("Microsoft.Apm.workspaceId")
    closed.close(run_before_unload=True)
    fresh = open_page(context, pages.server)
    offer = fresh.get_by_role("status", name="Reopen a workspace")
    expect(offer).to_contain_text(re.compile(r"Old.*, saved "))  # named by its sessions (issue 15, item 13)
    assert [s[0] for s in fresh.evaluate(LAYOUT_JS)["sessions"]] == ["home"]  # nothing forced on the new tab
    fresh.screenshot(path="/tmp/restore-offer.png")
    with fresh.expect_navigation():
        offer.get_by_role("button", name="Reopen").click()
    wait_ready(fresh)
    assert fresh.evaluate("Microsoft.Apm.workspaceId") == closed_id
    assert fresh.evaluate(LAYOUT_JS) == layout
    # a live tab's workspace is never offered: another new tab gets no offer for it
    other = open_page(context, pages.server)
    other.wait_for_function("window.caseworkBoot.marks.painted")
    expect(other.get_by_role("status", name="Reopen a workspace")).to_have_count(0)


def test_unsaved_edits_in_another_browser_tab_are_shown(pages: GuardedPages) -> None:
    context, _ = pages.new_context()
    context.add_init_script(TESTKIT)
    task = ids_of(context, pages.server, "tasks", "activityid", 2)[1]
    first, second = open_page(context, pages.server), open_page(context, pages.server)
    open_task = ("(id) => { Microsoft.Apm.createSession(" + GENERIC + "); return "
                 "Microsoft.Apm.createTab({templateName: 'msdyn_entityrecord', appContext: {entityName: 'task', "
                 "entityId: id, title: 'Shared task'}}); }")
    first_tab = first.evaluate(open_task, task)
    second_tab = second.evaluate(open_task, task)
    draft_box(first, first_tab).fill("editing here")
    marker = second.locator(f"#tab-{second_tab}")
    expect(marker).to_have_attribute("data-peer-edit", "true")
    expect(second.locator(".notice[data-code=peer_edits]")).to_contain_text("Shared task")
    assert second.evaluate("() => document.querySelector('[data-peer-edit]') !== null")
    second.screenshot(path="/tmp/restore-peer-edit.png")
    draft_box(first, first_tab).fill("")  # no unsaved edits any more: the marker goes
    expect(marker).not_to_have_attribute("data-peer-edit", "true")
    expect(first.locator(f"#tab-{first_tab}")).not_to_have_attribute("data-peer-edit", "true")


def test_records_gone_since_the_last_session_are_marked_with_one_notice(pages: GuardedPages) -> None:
    page = pages.open()
    context, server = page.context, pages.server
    made = []
    for name in ("Gone One", "Gone Two", "Still Here"):
        first, last = name.split()
        response = context.request.post(f"{server.url}api/contacts", data={"firstname": first, "lastname": last},
                                        headers=csrf(context))
        assert response.ok, response.text()
        made.append(response.json())
    tabs = page.evaluate("""async (ids) => {
      await Microsoft.Apm.createSession(GENERIC);
      const out = [];
      for (const [id, title] of ids) out.push(await Microsoft.Apm.createTab({templateName: 'msdyn_entityrecord',
        appContext: {entityName: 'contact', entityId: id, title}}));
      return out;
    }""".replace("GENERIC", GENERIC), [[c["contactid"], c["fullname"]] for c in made])
    save_now(page)
    admin, _ = pages.new_context(user="admin")  # deleting needs a supervisor or admin
    for contact in made[:2]:
        response = admin.request.delete(f"{server.url}api/contacts({contact['contactid']})",
                                        headers={**csrf(admin), "If-Match": contact["@odata.etag"]})
        assert response.ok, response.text()
    page.reload()
    wait_ready(page)
    notice = page.locator(".notice[data-code=records_unavailable]")
    expect(notice).to_contain_text("'Gone One'")
    expect(notice).to_contain_text("'Gone Two'")
    expect(page.locator("#notices .notice")).to_have_count(1)
    for tab_id in tabs[:2]:
        expect(page.locator(f"#tab-{tab_id}")).to_have_text("Record no longer available")
    expect(page.locator(f"#tab-{tabs[2]}")).to_have_text("Still Here")
    page.evaluate("(id) => Microsoft.Apm.focusTab(id)", tabs[0])
    expect(page.locator(f"#panel-{tabs[0]} .record-unavailable")).to_contain_text("Gone One")
    page.screenshot(path="/tmp/restore-unavailable.png")


def test_conversations_come_back_after_presence(pages: GuardedPages) -> None:
    page = pages.open()
    chat = page.evaluate("() => Microsoft.Apm.createSession({templateName: 'msdyn_chat_session', "
                         "sessionContext: {customerName: 'Chat customer', conversationId: 'conv-1'}})")
    save_now(page)
    page.reload()
    wait_ready(page)
    expect(page.locator(f"#session-list [data-session-id='{chat}'] .session-title")).to_have_text("Chat customer")
    expect(page.locator("#presence")).not_to_have_text("Connecting…")
    assert page.evaluate("async () => Microsoft.Apm.getFocusedSession().sessionId") == chat
