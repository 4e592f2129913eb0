"""The first render of a whole workspace (a restored 10 x 10 one) in ONE call into JavaScript.

Built element by element from Python, each session item, tab button and panel costs a few dozen Python -> JS
crossings (``createElement``, ``setAttribute``, text nodes, proxies): about 70 ms for 10 sessions x 10 tabs in
Pyodide, before the first paint. Here Python describes the sessions and tabs as plain data and one JavaScript
function builds the same elements as ``WorkspaceView._add_session``/``_add_tab``/``_update_*`` would, into document
fragments, and hands back the elements the view keeps. Text still enters only as text (``textContent`` /
``setAttribute``), never as HTML. The builder's source is a constant (no data in it); the page's CSP allows it
(Pyodide itself needs ``'unsafe-eval'``).

Keep the markup in step with ``components.workspace_view`` (tests/e2e/test_restore_render.py compares the two).
"""

from __future__ import annotations

import json
from typing import Any

import js

from apm.model import Workspace

_BUILDER_SOURCE = r"""
const sessions = JSON.parse(specText);
const el = (tag, attrs, text) => {
  const e = document.createElement(tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text) e.textContent = text;
  return e;
};
// One prototype of each element; every item is a deep clone with its ids, titles and flags set.
const sessionProto = el("div", {class: "session-item", role: "presentation"});
const sessionButton = el("button", {type: "button", class: "session-tab", role: "tab", "aria-selected": "false",
  "aria-controls": "workspace-main", tabindex: "-1"});
sessionButton.append(el("span", {class: "session-icon", "aria-hidden": "true"}), el("span", {class: "session-title"}),
  el("span", {class: "session-dot", title: "Needs your attention"}));
sessionProto.append(sessionButton,
  el("button", {type: "button", class: "session-close", tabindex: "-1", "aria-hidden": "true"}, "\u00d7"));
const stripProto = el("div", {class: "tab-strip-session", role: "tablist", hidden: ""});
const tabProto = el("div", {class: "tab-item", role: "presentation"});
const tabButton = el("button", {type: "button", class: "tab", role: "tab", "aria-selected": "false", tabindex: "-1"});
tabButton.append(el("span", {class: "tab-title"}));
tabProto.append(tabButton,
  el("button", {type: "button", class: "tab-close", tabindex: "-1", "aria-hidden": "true"}, "\u00d7"));
const panelProto = el("section", {class: "tab-panel is-inactive", role: "tabpanel", inert: ""});
const list = document.createDocumentFragment(), strips = document.createDocumentFragment();
const panels = document.createDocumentFragment();
const sessionItems = [], stripEls = [], tabItems = [], panelEls = [];
for (const [sid, title, isDefault, notification, closable, tabs] of sessions) {
  const item = sessionProto.cloneNode(true);
  item.dataset.sessionId = sid;
  const button = item.firstChild, close = item.lastChild;
  button.id = "session-" + sid;
  button.dataset.sessionId = sid;
  button.title = title;
  button.setAttribute("aria-description", notification ? "Needs your attention" : "");
  if (isDefault) button.firstChild.classList.add("session-icon-home");
  button.children[1].textContent = title;
  button.lastChild.hidden = !notification;
  close.hidden = isDefault || !closable;
  close.setAttribute("aria-label", "Close session " + title);
  close.title = "Close session " + title;
  list.append(item); sessionItems.push(item);
  const strip = stripProto.cloneNode(false);
  strip.dataset.sessionId = sid;
  strip.setAttribute("aria-label", "Tabs in " + title);
  strips.append(strip); stripEls.push(strip);
  for (const [tid, tabTitle, tabClosable] of tabs) {
    const ti = tabProto.cloneNode(true);
    ti.dataset.tabId = tid;
    const tb = ti.firstChild, tc = ti.lastChild;
    tb.id = "tab-" + tid;
    tb.setAttribute("aria-controls", "panel-" + tid);
    tb.dataset.tabId = tid;
    tb.title = tabTitle;
    tb.firstChild.textContent = tabTitle;
    tc.hidden = !tabClosable;
    tc.setAttribute("aria-label", "Close tab " + tabTitle);
    tc.title = "Close tab " + tabTitle;
    strip.append(ti); tabItems.push(ti);
    const panel = panelProto.cloneNode(false);
    panel.id = "panel-" + tid;
    panel.setAttribute("aria-labelledby", "tab-" + tid);
    panel.dataset.tabId = tid;
    panels.append(panel); panelEls.push(panel);
  }
}
sessionList.append(list); stripHost.append(strips); panelHost.append(panels);
return [sessionItems, stripEls, tabItems, panelEls];
"""

_builder: Any = None


def _spec(workspace: Workspace) -> str:
    sessions = []
    for session_id in workspace.session_ids:
        session = workspace.session(session_id)
        tabs = []
        for tab_id in session.tab_ids:
            tab = workspace.tab(tab_id)
            tabs.append((tab_id, tab.title, bool(tab.can_close and not tab.is_anchor)))
        sessions.append((session_id, session.title, session.is_default, bool(session.notification),
                         bool(session.can_close), tabs))
    return json.dumps(sessions, ensure_ascii=False, separators=(",", ":"))


def build_workspace_dom(workspace: Workspace, session_list: Any, strip_host: Any, panel_host: Any) -> tuple[
        dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Append every session item, tab strip, tab item and (empty) tab panel of ``workspace`` in one JS call.

    Returns:
        ``(session_items, strips, tab_items, panels)``: the elements by session / tab id, as
        ``WorkspaceView`` keeps them.
    """
    global _builder
    if _builder is None:
        _builder = js.Function.new("specText", "sessionList", "stripHost", "panelHost", _BUILDER_SOURCE)
    built = _builder(_spec(workspace), session_list, strip_host, panel_host)
    session_items, strips, tab_items, panels = (list(part) for part in built)
    session_ids = workspace.session_ids
    tab_ids = [tab_id for session_id in session_ids for tab_id in workspace.session(session_id).tab_ids]
    return (dict(zip(session_ids, session_items, strict=True)), dict(zip(session_ids, strips, strict=True)),
            dict(zip(tab_ids, tab_items, strict=True)), dict(zip(tab_ids, panels, strict=True)))
