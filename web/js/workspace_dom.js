// The workspace's session bar, tab strips and tab panels: the ONE place their markup is written. Python's
// components.workspace_view uses it for one new session or tab (sessionElements / tabElements) and, at boot, for a
// whole (restored) workspace in one call (buildAll), so both paths give the same elements by construction.
// Text enters only as textContent or attribute values, never as HTML.

const el = (tag, attrs, text) => {
  const element = document.createElement(tag);
  for (const name in attrs) element.setAttribute(name, attrs[name]);
  if (text) element.textContent = text;
  return element;
};

// One prototype of each element; every item is a deep clone with its ids, titles and flags set.
const sessionProto = el("div", {class: "session-item", role: "presentation"});
const sessionButton = el("button", {type: "button", class: "session-tab", role: "tab", "aria-selected": "false",
  "aria-controls": "workspace-main", tabindex: "-1"});
// icon (its kind: session-kind-*), title, second line (the case title; components.workspace_view fills it from
// casework.session_labels), unsaved-edits marker, attention dot (always the last child).
sessionButton.append(el("span", {class: "session-icon", "aria-hidden": "true"}), el("span", {class: "session-title"}),
  el("span", {class: "session-subtitle", hidden: ""}),
  el("span", {class: "session-dirty", title: "Unsaved changes", "aria-hidden": "true", hidden: ""}),
  el("span", {class: "session-dot", title: "Needs your attention"}));
// Close buttons sit inside the tablist, which may own only tabs: hidden from assistive technology (and out of the tab
// order); keyboard and screen-reader users close with Delete or Alt+Shift+X / Alt+Shift+W.
sessionProto.append(sessionButton,
  el("button", {type: "button", class: "session-close", tabindex: "-1", "aria-hidden": "true"}, "\u00d7"));
const stripProto = el("div", {class: "tab-strip-session", role: "tablist", hidden: ""});
const tabProto = el("div", {class: "tab-item", role: "presentation"});
const tabButton = el("button", {type: "button", class: "tab", role: "tab", "aria-selected": "false", tabindex: "-1"});
tabButton.append(el("span", {class: "tab-title"}));
tabProto.append(tabButton,
  el("button", {type: "button", class: "tab-close", tabindex: "-1", "aria-hidden": "true"}, "\u00d7"));
const panelProto = el("section", {class: "tab-panel is-inactive", role: "tabpanel", inert: ""});

/** A session's item in the session bar and its (hidden) tab strip: [item, strip]. `subtitle`, `hover` and `kind`
 * come from casework.session_labels (the second line, the tooltip, the icon). */
function sessionElements(sid, title, isDefault, notification, closable, subtitle, hover, kind) {
  const item = sessionProto.cloneNode(true);
  item.dataset.sessionId = sid;
  const button = item.firstChild, close = item.lastChild;
  button.id = "session-" + sid;
  button.dataset.sessionId = sid;
  button.title = hover || title;
  button.setAttribute("aria-description", notification ? "Needs your attention" : "");
  kind = kind || (isDefault ? "home" : "generic");
  item.dataset.kind = kind;
  button.firstChild.classList.add("session-icon-" + kind);
  button.children[1].textContent = title;
  if (subtitle) {
    button.children[2].textContent = subtitle;
    button.children[2].hidden = false;
  }
  button.lastChild.hidden = !notification;
  close.hidden = isDefault || !closable;
  close.setAttribute("aria-label", "Close session " + title);
  close.title = "Close session " + title;
  const strip = stripProto.cloneNode(false);
  strip.dataset.sessionId = sid;
  strip.setAttribute("aria-label", "Tabs in " + title);
  return [item, strip];
}

/** A tab's item in its session's strip and its (empty, inactive) panel: [item, panel]. */
function tabElements(tid, title, closable) {
  const item = tabProto.cloneNode(true);
  item.dataset.tabId = tid;
  const button = item.firstChild, close = item.lastChild;
  button.id = "tab-" + tid;
  button.setAttribute("aria-controls", "panel-" + tid);
  button.dataset.tabId = tid;
  button.title = title;
  button.firstChild.textContent = title;
  close.hidden = !closable;
  close.setAttribute("aria-label", "Close tab " + title);
  close.title = "Close tab " + title;
  const panel = panelProto.cloneNode(false);
  panel.id = "panel-" + tid;
  panel.setAttribute("aria-labelledby", "tab-" + tid);
  panel.dataset.tabId = tid;
  return [item, panel];
}

/** Every session and tab of `specText` (JSON: [[sid, title, isDefault, notification, closable, [[tid, title,
 * closable], ...], subtitle, hover, kind], ...]) appended in one go; returns [sessionItems, strips, tabItems, panels]
 * in model order. */
function buildAll(specText, sessionList, stripHost, panelHost) {
  const list = document.createDocumentFragment(), strips = document.createDocumentFragment();
  const panels = document.createDocumentFragment();
  const sessionItems = [], stripEls = [], tabItems = [], panelEls = [];
  for (const [sid, title, isDefault, notification, closable, tabs, subtitle, hover, kind] of JSON.parse(specText)) {
    const [item, strip] = sessionElements(sid, title, isDefault, notification, closable, subtitle, hover, kind);
    list.append(item); sessionItems.push(item);
    strips.append(strip); stripEls.push(strip);
    for (const [tid, tabTitle, tabClosable] of tabs) {
      const [tabItem, panel] = tabElements(tid, tabTitle, tabClosable);
      strip.append(tabItem); tabItems.push(tabItem);
      panels.append(panel); panelEls.push(panel);
    }
  }
  sessionList.append(list); stripHost.append(strips); panelHost.append(panels);
  return [sessionItems, stripEls, tabItems, panelEls];
}

window.caseworkWorkspace = Object.freeze({sessionElements, tabElements, buildAll});
