"""The session bar, the tab strips and the tab panels: a rendering of the workspace model, updated per event.

Each workspace event touches only the elements it concerns: creating a tab adds one button and one panel;
focusing swaps two ``aria-selected`` flags and two panels. Every session owns its own tab strip and every tab its
own panel, created once and kept while it lives, so switching sessions or tabs keeps each tab's DOM (typed text)
exactly as it was: inactive strips are ``hidden``; inactive panels are ``inert`` and ``display: none`` (CSS; not
``content-visibility``, whose hidden panels Chrome's autofill restyles whenever form controls are added). A panel's
scroll offset, which ``display: none`` drops, is kept here and put back when it shows again.

The DOM is never read back as state: clicks and keys become calls on the workspace, whose events re-render.
Record text enters only as text nodes (browser.dom).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import create_proxy

from apm.errors import ApmError
from apm.events import Event
from apm.model import HOME_TAB_ID, Workspace
from browser.dom import by_id, clear, find, h, mark, next_frame, on
from casework.session_labels import session_label
from components.workspace_dom import build_workspace_dom


class WorkspaceView:
    """Renders a :class:`~apm.model.Workspace` into the shell's session bar, tab strip and panel area.

    Args:
        workspace: The model to render and to drive.
        notify: Shows a message to the agent (used for refused actions such as a limit being hit).
        render_panel: Fills a tab panel's body: ``(workspace, tab_id, panel, refreshed=False)``; called again
            when the tab navigates in place and, with ``refreshed=True``, on ``tab.refreshed``.
    """

    def __init__(
        self,
        workspace: Workspace,
        notify: Callable[[str, str], None],
        render_panel: Callable[..., None],
    ) -> None:
        self.workspace = workspace
        self.notify = notify
        self.render_panel = render_panel
        self.session_list = by_id("session-list")
        self.strip_host = by_id("tab-strip")
        self.panel_host = by_id("tab-panels")
        self.main = by_id("workspace-main")
        self._session_items: dict[str, Any] = {}
        self._strips: dict[str, Any] = {}
        self._tab_items: dict[str, Any] = {}
        self._panels: dict[str, Any] = {}
        self._shown_session: str | None = None
        self._shown_tab: str | None = None
        self._dirty_sessions: dict[str, set[str]] = {}  # session id -> its tabs with unsaved edits
        self._dirty_tab_sessions: dict[str, str] = {}  # tab id -> its session (still known while the tab closes)
        self._panel_scroll: dict[str, float] = {}  # tab id -> its panel's last scroll offset (see the docstring)
        # Set by the close warning (components.close_warning): user-initiated session and tab closes go through it.
        self.close_session_request: Callable[[str], None] | None = None
        self.close_tab_request: Callable[[str], None] | None = None
        # One delegated click listener per bar instead of two per session/tab: a restored 10 x 10 workspace would
        # otherwise create ~200 JS proxies before its first paint.
        on(self.session_list, "click", self._on_session_click)
        on(self.strip_host, "click", self._on_tab_click)
        self._scroll_listener = create_proxy(self._on_panel_scroll)  # scroll does not bubble: captured
        self.panel_host.addEventListener("scroll", self._scroll_listener, True)

    def _on_session_click(self, event: Any) -> None:
        item = event.target.closest(".session-item")
        session_id = item.dataset.sessionId if item else None
        if not session_id or session_id not in self._session_items:
            return
        if event.target.closest(".session-close"):
            self.request_close_session(session_id)
        elif event.target.closest(".session-tab"):
            self.attempt(lambda: self.workspace.focus_session(session_id))

    def _on_panel_scroll(self, event: Any) -> None:
        target = event.target
        tab_id = target.dataset.tabId if target.parentElement == self.panel_host else None
        if tab_id:
            self._panel_scroll[str(tab_id)] = target.scrollTop

    def _on_tab_click(self, event: Any) -> None:
        item = event.target.closest(".tab-item")
        tab_id = item.dataset.tabId if item else None
        if not tab_id or tab_id not in self._tab_items:
            return
        if event.target.closest(".tab-close"):
            self.request_close_tab(tab_id)
        elif event.target.closest(".tab"):
            self.attempt(lambda: self.workspace.focus_tab(tab_id))

    # -- initial render -------------------------------------------------------------------------------------------

    def mount(self, home_content: Any | None = None) -> None:
        """Replace the static shell's placeholders with the model's sessions and tabs.

        Args:
            home_content: An element to move into Home's dashboard panel (the page's welcome content).
        """
        clear(self.session_list)
        clear(self.strip_host)
        self.strip_host.removeAttribute("role")  # each session's own strip is the tablist now
        self.strip_host.removeAttribute("aria-label")
        # Every session item, strip, tab button and empty panel in one JS call (components.workspace_dom), then
        # the panels' bodies: the focused tab's page; the others mount when first shown (PageHost.defer_hidden).
        items, strips, tab_items, panels = build_workspace_dom(
            self.workspace, self.session_list, self.strip_host, self.panel_host)
        self._session_items.update(items)
        self._strips.update(strips)
        self._tab_items.update(tab_items)
        self._panels.update(panels)
        for tab_id, panel in panels.items():
            self.render_panel(self.workspace, tab_id, panel)
        if home_content is not None:
            self._panels[HOME_TAB_ID].replaceChildren(home_content)
        self._show_focus()

    # -- event handling -------------------------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        """Apply one workspace event to the DOM."""
        name = event.name
        mark("view." + name)
        if name == "session.created":
            self._add_session(event.session_id)
        elif name == "tab.created":
            self._add_tab(event.tab_id)
        elif name == "tab.closed":
            self._remove_tab(event.tab_id)
        elif name == "session.closed":
            self._remove_session(event.session_id)
        elif name in ("session.focused", "tab.focused"):
            self._show_focus()
        elif name == "session.updated":
            self._update_session(event.session_id)
        elif name == "tab.updated":
            if set(event.changed) - {"title", "can_close"}:  # navigated in place: a new page in the same tab
                panel = self._panels.get(event.tab_id)
                if panel is not None:
                    self.render_panel(self.workspace, event.tab_id, clear(panel))
            self._update_tab(event.tab_id)
        elif name == "tab.refreshed":
            panel = self._panels.get(event.tab_id)
            if panel is not None:
                self.render_panel(self.workspace, event.tab_id, clear(panel), refreshed=True)

    def attempt(self, action: Callable[[], Any]) -> None:
        """Run a user action; show a refused one (limits, anchors, Home) as a notice instead of raising."""
        try:
            action()
        except ApmError as error:
            self.notify(error.message, error.code)

    def request_close_session(self, session_id: str) -> None:
        """Close a session for the agent (× button, keyboard): through the close warning when one is installed."""
        if self.close_session_request is not None:
            self.close_session_request(session_id)
        else:
            self.attempt(lambda: self.workspace.close_session(session_id))

    def request_close_tab(self, tab_id: str) -> None:
        """Close a tab for the agent (× button, keyboard): through the close warning when one is installed."""
        if self.close_tab_request is not None:
            self.close_tab_request(tab_id)
        else:
            self.attempt(lambda: self.workspace.close_tab(tab_id))

    # -- sessions -------------------------------------------------------------------------------------------------

    def _add_session(self, session_id: str) -> None:
        session = self.workspace.session(session_id)
        label = session_label(session.title, session.template_name or "", session.context, session.is_default)
        item, strip = js.caseworkWorkspace.sessionElements(  # web/js/workspace_dom.js: the markup's one place
            session_id, session.title, session.is_default, bool(session.notification), bool(session.can_close),
            label.subtitle, label.hover, label.kind)
        self._session_items[session_id] = item
        self.session_list.appendChild(item)
        self._strips[session_id] = strip
        self.strip_host.appendChild(strip)

    def _label_session(self, session_id: str) -> None:
        """The second line, hover text and kind icon of a session item (``casework.session_labels``)."""
        item = self._session_items.get(session_id)
        if item is None:
            return
        session = self.workspace.session(session_id)
        label = session_label(session.title, session.template_name or "", session.context, session.is_default)
        button = item.firstChild
        subtitle = button.querySelector(".session-subtitle")
        subtitle.textContent = label.subtitle
        subtitle.hidden = not label.subtitle
        dirty = bool(self._dirty_sessions.get(session_id))
        button.setAttribute("title", label.hover + (" · unsaved changes" if dirty else ""))
        # the accessible name is the title and the second line (a screen reader hears which case it is)
        item.dataset.kind = label.kind
        icon = button.firstChild
        icon.className = f"session-icon session-icon-{label.kind}"
        button.querySelector(".session-dirty").hidden = not dirty
        item.classList.toggle("is-dirty", dirty)
        notes = [text for text, on in (("Unsaved changes", dirty), ("Needs your attention", session.notification))
                 if on]
        button.setAttribute("aria-description", ", ".join(notes))

    def _update_session(self, session_id: str) -> None:
        item = self._session_items.get(session_id)
        if item is None:
            return
        session = self.workspace.session(session_id)
        button = item.firstChild
        button.querySelector(".session-title").textContent = session.title
        dot = button.querySelector(".session-dot")
        dot.hidden = not session.notification
        self._label_session(session_id)
        close = item.lastChild
        close.hidden = session.is_default or not session.can_close
        close.setAttribute("aria-label", f"Close session {session.title}")
        close.setAttribute("title", f"Close session {session.title}")
        self._strips[session_id].setAttribute("aria-label", f"Tabs in {session.title}")

    def _remove_session(self, session_id: str) -> None:
        self._dirty_sessions.pop(session_id, None)
        for store in (self._session_items, self._strips):
            element = store.pop(session_id, None)
            if element is not None:
                element.remove()
        if self._shown_session == session_id:
            self._shown_session = None

    # -- tabs -----------------------------------------------------------------------------------------------------

    def _add_tab(self, tab_id: str) -> None:
        tab = self.workspace.tab(tab_id)
        item, panel = js.caseworkWorkspace.tabElements(  # web/js/workspace_dom.js: the markup's one place
            tab_id, tab.title, bool(tab.can_close and not tab.is_anchor))
        self._tab_items[tab_id] = item
        strip = self._strips[tab.session_id]
        session = self.workspace.session(tab.session_id)
        position = session.tab_ids.index(tab_id)
        following = session.tab_ids[position + 1] if position + 1 < len(session.tab_ids) else None
        strip.insertBefore(item, self._tab_items.get(following) if following else None)
        self._panels[tab_id] = panel
        self.panel_host.appendChild(panel)
        self.render_panel(self.workspace, tab_id, panel)
        heading = panel.querySelector(".panel-title")
        if heading:  # querySelector gives a falsy JsNull, not None, when nothing matches
            heading.textContent = tab.title

    def _update_tab(self, tab_id: str) -> None:
        item = self._tab_items.get(tab_id)
        if item is None:
            return
        tab = self.workspace.tab(tab_id)
        button = item.firstChild
        button.firstChild.textContent = tab.title
        button.setAttribute("title", tab.title)
        close = item.lastChild
        close.hidden = tab.is_anchor or not tab.can_close
        close.setAttribute("aria-label", f"Close tab {tab.title}")
        close.setAttribute("title", f"Close tab {tab.title}")
        heading = self._panels[tab_id].querySelector(".panel-title")
        if heading:  # querySelector gives a falsy JsNull, not None, when nothing matches
            heading.textContent = tab.title

    def set_tab_dirty(self, tab_id: str, dirty: bool) -> None:
        """Show (or hide) the unsaved-changes marker on a tab, and on its session while any of its tabs has one."""
        self._mark_session_dirty(tab_id, dirty)
        item = self._tab_items.get(tab_id)
        if item is None:
            return
        item.classList.toggle("is-dirty", dirty)
        button = item.firstChild
        marker = find(button, ".tab-dirty")
        if dirty and marker is None:
            button.appendChild(h("span", {"class": "tab-dirty", "title": "Unsaved changes"}, "●"))
            button.setAttribute("aria-description", "Unsaved changes")
        elif not dirty and marker is not None:
            marker.remove()
            button.removeAttribute("aria-description")

    def _mark_session_dirty(self, tab_id: str, dirty: bool) -> None:
        session_id = self._dirty_tab_sessions.get(tab_id)
        if session_id is None:
            try:
                session_id = self.workspace.tab(tab_id).session_id
            except ApmError:
                return  # closed meanwhile
        tabs = self._dirty_sessions.setdefault(session_id, set())
        before = bool(tabs)
        if dirty:
            tabs.add(tab_id)
            self._dirty_tab_sessions[tab_id] = session_id
        else:
            tabs.discard(tab_id)
            self._dirty_tab_sessions.pop(tab_id, None)
        if before != bool(tabs):
            self._label_session(session_id)

    def _remove_tab(self, tab_id: str) -> None:
        if tab_id in self._dirty_tab_sessions:
            self._mark_session_dirty(tab_id, False)
        self._panel_scroll.pop(tab_id, None)
        for store in (self._tab_items, self._panels):
            element = store.pop(tab_id, None)
            if element is not None:
                element.remove()
        if self._shown_tab == tab_id:
            self._shown_tab = None

    # -- focus ----------------------------------------------------------------------------------------------------

    def _show_focus(self) -> None:
        session = self.workspace.focused_session
        tab_id = session.focused_tab_id
        if self._shown_session != session.session_id:
            self._select_session(self._shown_session, False)
            self._select_session(session.session_id, True)
            self._shown_session = session.session_id
            self.main.setAttribute("aria-labelledby", f"session-{session.session_id}")
        if self._shown_tab != tab_id:
            self._select_tab(self._shown_tab, False)
            self._select_tab(tab_id, True)
            self._shown_tab = tab_id

    def _select_session(self, session_id: str | None, selected: bool) -> None:
        if session_id is None or session_id not in self._session_items:
            return
        item = self._session_items[session_id]
        button = item.firstChild
        button.setAttribute("aria-selected", "true" if selected else "false")
        button.setAttribute("tabindex", "0" if selected else "-1")
        item.classList.toggle("is-focused", selected)
        self._strips[session_id].hidden = not selected

    def _select_tab(self, tab_id: str | None, selected: bool) -> None:
        if tab_id is None or tab_id not in self._tab_items:
            return
        item = self._tab_items[tab_id]
        button = item.firstChild
        button.setAttribute("aria-selected", "true" if selected else "false")
        button.setAttribute("tabindex", "0" if selected else "-1")
        item.classList.toggle("is-focused", selected)
        panel = self._panels[tab_id]
        panel.classList.toggle("is-inactive", not selected)
        panel.toggleAttribute("inert", not selected)
        if selected and self._panel_scroll.get(tab_id):
            panel.scrollTop = self._panel_scroll[tab_id]
        if selected and len(self.workspace.session(self.workspace.tab(tab_id).session_id).tab_ids) > 1:
            # Measuring the strip forces a layout: do it in the next frame, where the browser lays out anyway,
            # rather than in the middle of the DOM changes of a switch or an open (a strip of one tab has nothing
            # to scroll to: a new session's first frame skips it).
            next_frame(lambda: self._reveal(item))

    @staticmethod
    def _reveal(item: Any) -> None:
        """Scroll the tab strip so the selected tab is in view (a full strip of 10 tabs can overflow)."""
        strip = item.parentElement
        if not strip or strip.scrollWidth <= strip.clientWidth:
            return
        left, right = item.offsetLeft - strip.offsetLeft, item.offsetLeft - strip.offsetLeft + item.offsetWidth
        if left < strip.scrollLeft:
            strip.scrollLeft = left
        elif right > strip.scrollLeft + strip.clientWidth:
            strip.scrollLeft = right - strip.clientWidth

    # -- for keyboard navigation ----------------------------------------------------------------------------------

    def focus_selected(self, kind: str) -> None:
        """Move keyboard focus to the selected session (``kind="session"``) or tab button after a keyboard switch."""
        if kind == "session" and self._shown_session in self._session_items:
            self._session_items[self._shown_session].firstChild.focus()
        elif self._shown_tab in self._tab_items:
            self._tab_items[self._shown_tab].firstChild.focus()
