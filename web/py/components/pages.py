"""Tab pages: what each tab shows, chosen by its page type, and the services every page gets.

The workspace view creates one panel per tab and asks :class:`PageHost` to fill it. The host picks a page class
from the registry (the first registered ``match`` that accepts the tab, so specific pages register before generic
ones), keeps the page object for the tab's life, and disposes it when the tab closes or navigates elsewhere.

A page is an object with this small life cycle (subclass :class:`Page`):

* ``mount(panel)``: build its DOM into the panel (once); start loading with ``self.spawn(coroutine)``.
* ``refresh()``: reload its data (``tab.refreshed``; by default unmount and mount again).
* ``shown()``: the tab became visible (pages that skipped a refresh while hidden catch up here).
* ``view_state()``: a JSON object to bring back after a reload (filters, sort, page, scroll; a form's unsaved
  edits under ``"draft"`` with a ``"touched"`` time). Given back as ``self.initial_state`` on the next boot.
* ``dirty``: whether it holds unsaved edits (set through ``self.set_dirty(bool)``, which marks the tab).
* ``dispose()``: unsubscribe from the record bus and anything else; the DOM goes with the panel.

Pages reach the rest of the workspace only through :class:`Services` (``self.services``): the record client, the
record bus, the signed-in agent, the workspace and its page API, notices, dialogs, and ``open``, which applies the
navigation rules. Record text enters the DOM only as text (``browser.dom``).
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import js

from apm.errors import ApmError
from apm.model import Tab, Workspace
from apm.navigation import NavSource, NavTarget
from browser.dom import find_by_id
from browser.tasks import spawn
from casework.entities import entity
from casework.profile import Agent
from casework.recordbus import RecordBus
from casework.records import NotSignedInError, RecordClient, RecordError
from casework.timeline import holds_unsaved

if TYPE_CHECKING:  # types only: these modules import this one (or the page's edge), never the other way at run time
    from apm.facade import Apm
    from browser.peers import PeerPresence
    from browser.restore import PageRestore
    from casework.push import PushClient
    from casework.settings import UserSettings
    from components.dialog import Dialogs
    from components.header import HeaderTools
    from components.inbox import Inbox, NotificationCentre
    from components.productivity_pane import ProductivityPane
    from components.workspace_view import WorkspaceView

@dataclass
class Services:
    """What pages share: one instance per page (browser tab of the workspace).

    Attributes:
        workspace: The session engine.
        client: The records API client (its writes publish to ``bus``).
        bus: Record changes, so every view of a record refreshes when it changes.
        agent: The signed-in agent (id, roles, profile, settings).
        notify: Shows ``(message, code)`` as a notice.
        host: The page host (dirty state of tabs, view states).
        dialogs: Modal dialogs (``components.dialog.Dialogs``).
        api: The page API (``Microsoft.Apm``'s Python side, ``apm.facade.Apm``).
        view: The workspace view (session bar, tab strips, panels); focus moves go through it.
        restore: Session restore of this page (``browser.restore.PageRestore``), ``None`` when off or blocked.
        peers: Unsaved edits of this agent's other browser tabs (``browser.peers.PeerPresence``), ``None`` until
            started after the first paint or without BroadcastChannel.
        settings: The agent's user settings (``casework.settings.UserSettings``), set by the header.
        header: The header's tools (``components.header.HeaderTools``).
        lookup_names: Page-wide cache of lookup names by record id (``components.list_view``), made when first used.
        user_names: ``{systemuserid: fullname}`` read once per page (``components.timeline``), ``None`` until read.
        push: The agent's push connection (``casework.push.PushClient`` over ``browser.push_socket``), ``None``
            until started after the first paint.
        conversations: The conversation desk (``components.conversations.ConversationDesk``: presence, offers,
            conversation sessions), ``None`` until started after the first paint.
        pane: The productivity pane (``components.productivity_pane.ProductivityPane``), set at boot.
        inbox: The inbox (``components.inbox.Inbox``), set at boot when the profile turns it on, else ``None``.
        notifications: The header's notification centre (``components.inbox.NotificationCentre``), set at boot.
        signing_out: Set by Sign out before it ends the server session, so a background call's 401 meanwhile does
            not race its navigation to the sign-in page with another one (``signin.html?next=…``).

    New shared services get a typed field here (the push connection, presence, the inbox, the productivity pane),
    never a string key.
    """

    workspace: Workspace
    client: RecordClient
    bus: RecordBus
    agent: Agent
    notify: Callable[[str, str], None]
    host: PageHost | None = None
    dialogs: Dialogs | None = None
    api: Apm | None = None
    view: WorkspaceView | None = None
    restore: PageRestore | None = None
    peers: PeerPresence | None = None
    settings: UserSettings | None = None
    header: HeaderTools | None = None
    lookup_names: dict[str, str] | None = None
    user_names: dict[str, str] | None = None
    push: PushClient | None = None
    conversations: Any = None
    pane: ProductivityPane | None = None
    inbox: Inbox | None = None
    notifications: NotificationCentre | None = None
    signing_out: bool = False

    def open(self, target: NavTarget, source: NavSource | str, *, keep_tab: bool = False
             ) -> tuple[str, str] | None:
        """Navigate by the navigation rules; a refused navigation (a limit) becomes a notice. Returns
        ``(session_id, tab_id)`` or ``None`` when refused. ``keep_tab``: see ``Workspace.open``."""
        try:
            return self.workspace.open(target, source, keep_tab=keep_tab)
        except ApmError as error:
            self.notify(error.message, error.code)
            return None

    def open_record(self, name: str, record_id: str | None, source: NavSource | str, *,
                    record: dict | None = None, title: str | None = None, keep_tab: bool = False
                    ) -> tuple[str, str] | None:
        """Open a record (``name``: logical name or entity set; ``record_id=None`` for a new one) from ``source``.
        ``record`` (as read) gives the title and the new session's ``anchor`` attributes for slugs."""
        meta = entity(name)
        attributes = dict(record) if record else None
        shown = title or (meta.title_of(record) if record else None) or (
            f"New {meta.singular.lower()}" if record_id is None else meta.singular)
        return self.open(NavTarget.record(meta.logical, record_id, title=shown, attributes=attributes), source,
                         keep_tab=keep_tab)

    def report(self, error: BaseException) -> None:
        """Show a failed background call as a notice (the API's own message for API errors)."""
        if isinstance(error, NotSignedInError):
            if self.signing_out:  # Sign out goes to the sign-in page itself
                return
            js.window.location.assign("signin.html?next=" + js.encodeURIComponent(js.window.location.pathname))
            return
        if isinstance(error, RecordError):
            self.notify(error.message or f"The server answered {error.status}.", error.code)
            return
        js.console.error("".join(traceback.format_exception(error)))
        self.notify(f"Something went wrong: {type(error).__name__}: {error}", "page_error")


class Page:
    """Base class of tab pages (see the module docstring for the life cycle)."""

    def __init__(self, services: Services, tab_id: str, initial_state: dict | None = None) -> None:
        self.services = services
        self.tab_id = tab_id
        self.initial_state = initial_state or {}
        self.panel: Any = None
        self.dirty = False
        self._unsubscribers: list[Callable[[], None]] = []

    # -- helpers for subclasses
    @property
    def tab(self) -> Tab:
        return self.services.workspace.tab(self.tab_id)

    @property
    def params(self) -> dict:
        return dict(self.tab.params)

    @property
    def visible(self) -> bool:
        workspace = self.services.workspace
        return workspace.focused_tab_id == self.tab_id

    def spawn(self, coroutine: Coroutine) -> asyncio.Future:
        """Run a coroutine for this page; failures become notices."""
        return spawn(coroutine, self.services.report)

    def keep(self, unsubscribe: Callable[[], None]) -> None:
        """Remember an unsubscribe function to call on dispose."""
        self._unsubscribers.append(unsubscribe)

    def set_dirty(self, dirty: bool) -> None:
        """Mark (or unmark) unsaved edits: the tab shows a marker and closing the session asks first."""
        if dirty != self.dirty:
            self.dirty = dirty
            if self.services.host is not None:
                self.services.host.dirty_changed(self.tab_id, dirty)

    def state_changed(self) -> None:
        """Say that ``view_state()`` changed (a filter, a typed draft): session restore saves it soon."""
        if self.services.host is not None and self.services.host.on_state_change is not None:
            self.services.host.on_state_change()

    def set_title(self, title: str) -> None:
        """Retitle the tab (the record's name once loaded)."""
        try:
            self.services.workspace.set_tab_title(self.tab_id, title)
        except ApmError:
            pass  # the tab closed meanwhile

    # -- life cycle
    def mount(self, panel: Any) -> None:
        raise NotImplementedError

    def refresh(self) -> None:
        panel = self.panel
        self.dispose()
        panel.replaceChildren()
        self.mount(panel)

    def shown(self) -> None:
        pass

    def view_state(self) -> dict | None:
        return None

    def dispose(self) -> None:
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()


__all__ = ["Page", "PageHost", "Services", "is_page_type", "is_record", "spawn"]

Matcher = Callable[[Tab], bool]
PageFactory = Callable[[Services, str, dict | None], Page]


class PageHost:
    """Creates, keeps and disposes the page of every tab; the ``render_panel`` of ``WorkspaceView``.

    Args:
        services: Shared by every page.
        fallback: Renders tabs no registered page accepts: ``(workspace, tab_id, panel, refreshed)``.
        initial_states: View states restored from the last session (by tab id), handed to pages as they open.
    """

    def __init__(self, services: Services, fallback: Callable[..., None],
                 initial_states: dict[str, dict] | None = None) -> None:
        self.services = services
        services.host = self
        self.fallback = fallback
        self.pages: dict[str, Page] = {}
        self._registry: list[tuple[Matcher, PageFactory]] = []
        self._initial = dict(initial_states or {})
        self.on_dirty: Callable[[str, bool], None] | None = None
        self.on_state_change: Callable[[], None] | None = None
        #: While true, tabs that are not the focused one are not mounted but kept pending until first shown
        #: (session restore sets it for its first render, so 100 restored tabs cost one page, not 100).
        self.defer_hidden = False
        self._pending: dict[str, Any] = {}  # tab id -> panel of a tab whose page mounts when first shown
        services.workspace.subscribe("tab.closed", lambda event: self._drop(event.tab_id))
        services.workspace.subscribe("tab.focused", lambda event: self._shown(event.tab_id))
        services.workspace.subscribe("session.focused", lambda _event: self._shown(
            services.workspace.focused_tab_id))

    def register(self, match: Matcher, factory: PageFactory, first: bool = False) -> None:
        """Add a page class: ``factory(services, tab_id, initial_state)`` for tabs ``match`` accepts (``first``:
        before every page registered so far, e.g. session restore's "no longer available" page)."""
        if first:
            self._registry.insert(0, (match, factory))
        else:
            self._registry.append((match, factory))

    def remount(self, tab_id: str, initial_state: dict | None = None) -> None:
        """Replace a tab's page by a fresh one (the registry is asked again), with ``initial_state``; used by
        session restore when a restored record turns out to be gone."""
        page = self.pages.get(tab_id)
        panel = page.panel if page is not None else find_by_id(f"panel-{tab_id}")
        if panel is None:
            return
        self._drop(tab_id)
        panel.replaceChildren()
        if initial_state is not None:
            self._initial[tab_id] = initial_state
        self.render(self.services.workspace, tab_id, panel)

    def render(self, workspace: Workspace, tab_id: str, panel: Any, refreshed: bool = False) -> None:
        """Fill ``panel`` for ``tab_id`` (WorkspaceView calls this on create, in-place navigation and refresh)."""
        page = self.pages.get(tab_id)
        if page is not None and refreshed:
            page.refresh()
            return
        if self.defer_hidden and page is None and not refreshed and workspace.focused_tab_id != tab_id:
            self._pending[tab_id] = panel
            if holds_unsaved(self._initial.get(tab_id)):
                self.dirty_changed(tab_id, True)  # its restored draft is unsaved, shown or not
            return
        self._pending.pop(tab_id, None)
        if page is not None:  # navigated in place: a new page replaces the old one
            self._drop(tab_id)
        tab = workspace.tab(tab_id)
        for match, factory in self._registry:
            if match(tab):
                page = factory(self.services, tab_id, self._initial.pop(tab_id, None))
                self.pages[tab_id] = page
                page.panel = panel
                try:
                    page.mount(panel)
                except Exception as error:  # one broken page must not break the workspace
                    self.services.report(error)
                return
        self.fallback(workspace, tab_id, panel, refreshed)

    def page(self, tab_id: str) -> Page | None:
        return self.pages.get(tab_id)

    def dirty_changed(self, tab_id: str, dirty: bool) -> None:
        if self.on_dirty is not None:
            self.on_dirty(tab_id, dirty)

    def is_dirty(self, tab_id: str) -> bool:
        page = self.pages.get(tab_id)
        if page is None and tab_id in self._pending:
            return holds_unsaved(self._initial.get(tab_id))
        return bool(page and page.dirty)

    def dirty_tabs(self, session_id: str) -> list[str]:
        """The tabs of a session that hold unsaved edits."""
        return [tab_id for tab_id in self.services.workspace.session(session_id).tab_ids if self.is_dirty(tab_id)]

    def view_states(self) -> dict[str, dict]:
        """Every page's view state (for session restore), by tab id."""
        states = {}
        for tab_id, page in self.pages.items():
            try:
                state = page.view_state()
            except Exception as error:
                js.console.error(f"view_state of {tab_id}: {error!r}")
                continue
            if state:
                states[tab_id] = state
        for tab_id in self._pending:  # not shown yet: their restored state is still theirs
            if tab_id in self._initial:
                states[tab_id] = self._initial[tab_id]
        return states

    def _shown(self, tab_id: str) -> None:
        panel = self._pending.pop(tab_id, None)
        if panel is not None:
            self.render(self.services.workspace, tab_id, panel)
        page = self.pages.get(tab_id)
        if page is not None:
            try:
                page.shown()
            except Exception as error:
                self.services.report(error)

    def _drop(self, tab_id: str) -> None:
        self._pending.pop(tab_id, None)
        page = self.pages.pop(tab_id, None)
        if page is not None:
            try:
                page.dispose()
            finally:
                if page.dirty:
                    self.dirty_changed(tab_id, False)


def is_record(*names: str) -> Matcher:
    """Matcher: an entity-record tab of one of these entities (logical names or entity sets; none = any)."""
    logical = {entity(name).logical for name in names}

    def match(tab: Tab) -> bool:
        if tab.page_type.value != "entityrecord":
            return False
        name = tab.params.get("entityName")
        return isinstance(name, str) and (not logical or name in logical)

    return match


def is_page_type(page_type: str, **params: object) -> Matcher:
    """Matcher: a tab of ``page_type`` whose parameters include ``params``."""

    def match(tab: Tab) -> bool:
        return tab.page_type.value == page_type and all(tab.params.get(k) == v for k, v in params.items())

    return match
