"""The first render of a restored workspace (components.workspace_dom, one JS call) builds exactly the markup the
per-event path (WorkspaceView._add_session/_add_tab) builds, and a restored workspace works after a reload."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import GuardedPages, wait_ready
from tests.e2e.support import run_python

COMPARE_PY = """
import js
from app import handle
from components.workspace_dom import build_workspace_dom
from components.workspace_view import WorkspaceView

ws = handle.services.workspace
canon = js.Function.new("el", '''
  const walk = (n) => n.nodeType === 3 ? JSON.stringify(n.data) : n.tagName + "[" +
    [...n.attributes].map((a) => a.name + "=" + JSON.stringify(a.value)).sort().join(" ") + "](" +
    [...n.childNodes].map(walk).join(",") + ")";
  return walk(el);''')

def hosts():
    return [js.document.createElement("div") for _ in range(3)]

# The per-event path, into detached hosts (no listeners, no pages: only the markup).
view = WorkspaceView.__new__(WorkspaceView)
view.workspace, view.render_panel = ws, lambda *args, **kwargs: None
view.session_list, view.strip_host, view.panel_host = hosts()
view._session_items, view._strips, view._tab_items, view._panels = {}, {}, {}, {}
for session_id in ws.session_ids:
    view._add_session(session_id)
    for tab_id in ws.session(session_id).tab_ids:
        view._add_tab(tab_id)
bulk = hosts()
items, strips, tab_items, panels = build_workspace_dom(ws, *bulk)
result = {
    "same": [canon(a) == canon(b) for a, b in zip((view.session_list, view.strip_host, view.panel_host), bulk)],
    "kept": [set(items) == set(view._session_items), set(tab_items) == set(view._tab_items),
             all(tab_items[t].parentElement.isSameNode(strips[ws.tab(t).session_id]) for t in tab_items),
             all(panels[t].id == "panel-" + t for t in panels)],
    "tabs": len(tab_items), "sessions": len(items),
}
"""


def test_bulk_render_builds_the_markup_of_the_per_event_path(pages: GuardedPages) -> None:
    page = pages.open()
    page.evaluate("""async () => {
      const A = Microsoft.Apm;
      await A.createSession({templateName: "msdyn_generic_session", sessionContext: {anchorTab: {
        templateName: "msdyn_entitylist", appContext: {entityName: "task", title: "Tasks <b>&amp; \\"more\\""}}}});
      await A.createTab({templateName: "msdyn_search", appContext: {searchText: "élan ×"}});
      await A.createTab({templateName: "msdyn_entitylist", appContext: {entityName: "contact", title: "Contacts"}});
    }""")
    result = run_python(page, COMPARE_PY)
    assert result["same"] == [True, True, True]
    assert result["kept"] == [True, True, True, True]
    assert result["sessions"] >= 2 and result["tabs"] >= 4


def test_a_restored_workspace_switches_sessions_and_tabs_after_a_reload(pages: GuardedPages) -> None:
    page = pages.open()
    page.evaluate("""async () => {
      const A = Microsoft.Apm;
      for (const title of ["First", "Second"]) {
        await A.createSession({templateName: "msdyn_generic_session", sessionContext: {anchorTab: {
          templateName: "msdyn_entitylist", appContext: {entityName: "task", title: title + " list"}}}});
        await A.createTab({templateName: "msdyn_search", appContext: {searchText: title + " search"}});
      }
    }""")
    before = page.evaluate("() => [...document.querySelectorAll('.tab-item')].map((t) => t.textContent)")
    page.evaluate("() => window.dispatchEvent(new Event('pagehide'))")
    page.reload()
    wait_ready(page)
    assert page.evaluate("() => [...document.querySelectorAll('.tab-item')].map((t) => t.textContent)") == before
    shown = page.locator(".tab-strip-session:not([hidden])")
    expect(shown.get_by_role("tab")).to_have_count(2)
    page.locator(".session-tab", has_text="First list").click()
    expect(page.locator(".session-tab[aria-selected=true]")).to_have_text("First list")
    expect(shown.get_by_role("tab")).to_have_count(2)
    expect(shown.get_by_role("tab").first).to_have_text("First list")
    shown.get_by_role("tab").first.click()
    active = page.locator(".tab-panel:not(.is-inactive)")
    expect(active).to_have_count(1)
    selected = shown.get_by_role("tab", selected=True)
    expect(active).to_have_attribute("aria-labelledby", selected.get_attribute("id"))
    assert page.evaluate("(async () => Microsoft.Apm.getFocusedSession().title)()") == "First list"
