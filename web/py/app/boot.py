"""Boot of the workspace in the page (the composition root's wiring): build the session engine, its API, the record
client, the pages, the view and the browser adapters, connect them, and report readiness.

Readiness is the contract with tests, benchmarks and page scripts: ``body[data-ready="1"]`` is set only after the
workspace can be used. Any failure is reported to the boot panel (web/js/boot.js) and the console with its traceback.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Callable

import js
from pyodide.ffi import create_once_callable

import apm
from apm.facade import Apm
from apm.model import HOME_TAB_ID, Workspace
from app import handle, static_demo
from browser import apm_bridge, console_runtime, keyboard, push_socket
from browser.dom import by_id, h
from browser.peers import PeerPresence
from browser.restore import PageRestore
from browser.slots import ReopenOfferView, claim_slot
from browser.transport import FetchTransport
from casework import conversations as cv
from casework.peers import SlotChoice
from casework.profile import Agent, parse_me
from casework.recordbus import RecordBus
from casework.records import RecordClient
from components import console, conversations, header, inbox, productivity_pane, session_bar, tab_scroller, xrm_host
from components.dialog import Dialogs
from components.notices import Notices
from components.pages import PageHost, Services, spawn
from components.registry import register_pages
from components.tab_panel import TabPanelRenderer
from components.unavailable import UnavailablePage
from components.workspace_view import WorkspaceView

#: Restored sessions of these templates wait for presence (the inbox issue releases the gate; until then boot does,
#: right after the presence/health check).
PRESENCE_GATE = "presence"
CONVERSATION_SESSIONS = cv.SESSION_TEMPLATES


def _home_content() -> object:
    version = sys.version.split()[0]
    return h(
        "div", {"class": "welcome"},
        h("h1", None, "Home"),
        h("p", {"class": "lede"}, "Open a case, an account or a conversation to start a session."),
        h("p", {"class": "runtime-facts", "id": "runtime-facts"}, f"Python {version} running in your browser."),
    )


def _was_reloaded() -> bool:
    """Whether this page load is a reload (Navigation Timing's type), not a first visit."""
    entries = js.performance.getEntriesByType("navigation")
    return bool(entries.length) and str(entries[0].type) == "reload"


def _build_workspace(agent: Agent, slot: SlotChoice | None = None, transport: object | None = None
                     ) -> Callable[[], None]:
    """The session engine (restored when the profile says so, with the profile's limits), its page API and its
    rendering, wired together. Restore runs before the first render, so the session bar paints restored at once.

    Args:
        transport: The record client's transport (``None``: HTTP to our server; the static demo's otherwise).

    Returns:
        What waits for the first paint (peer presence: a BroadcastChannel and its hello); call it after the paint.
    """
    workspace_id = str(js.window.Microsoft.Apm.workspaceId)
    notices = Notices(by_id("notices"))
    restore = None
    if agent.restore_enabled:
        try:
            restore = PageRestore(agent, workspace_id, notices.show,
                                  copy_from=slot.copy_from if slot is not None else None)
            restore.defer_until(PRESENCE_GATE, kinds=CONVERSATION_SESSIONS)
        except Exception:  # storage blocked by the browser (privacy settings): work on, without restore
            notices.show("This browser blocks storage, so your sessions will not come back after a reload.",
                         "restore_unavailable")
    if not agent.restore_enabled and _was_reloaded():
        # not silently Home: the agent reloaded and their sessions are gone by their profile's choice
        notices.show("Your profile does not restore sessions, so a reload starts again at Home. Ask an "
                     "administrator to turn on session restore in your profile.", "restore_off")
    handle.restore = restore
    workspace = restore.load() if restore else Workspace.from_profile(agent.limits)
    notices.limits = workspace  # limit notices say the number
    js.window.caseworkBoot.mark("loaded")  # bench/restore.py: the saved workspace is read and rehydrated
    api = Apm(workspace, topic_namespace=workspace_id)
    apm.install(api)
    bus = RecordBus()
    client = RecordClient(transport or FetchTransport(), csrf_token=agent.csrf_token, on_change=bus.publish)
    services = Services(workspace, client, bus, agent, notices.show, dialogs=Dialogs(), api=api)
    handle.services = services
    fallback = TabPanelRenderer().render

    def render_fallback(ws: Workspace, tab_id: str, panel: object, refreshed: bool = False) -> None:
        if tab_id == HOME_TAB_ID:  # Home before a dashboard page exists: the welcome text
            panel.appendChild(_home_content())
        else:
            fallback(ws, tab_id, panel, refreshed)

    host = PageHost(services, render_fallback, restore.view_state if restore else None)
    register_pages(host)
    conversations.register(host)  # the conversation session's tabs
    console.install(services, {"apm": apm, "client": client, "handle": handle, "services": services,
                               "workspace": workspace, "csrf": agent.csrf_token},
                    host.register)  # the developer console (issue 19)
    # micropip, requests, pyodide-http: at the console's first input (the static demo has no wheel index)
    console.prepare(console_runtime.prepare if transport is None else console_runtime.prepare_static)
    for name in list(getattr(js.window, "caseworkExtensions", None) or []):  # only what app.zip holds (app.handle)
        importlib.import_module(str(name)).install(handle)
    if restore:
        host.register(restore.is_unavailable, UnavailablePage, first=True)  # restored tabs of records that are gone
        services.restore = restore
    view = WorkspaceView(workspace, notices.show, host.render)
    peers: list[PeerPresence] = []  # started after the first paint (a BroadcastChannel and a hello message)

    def start_peers() -> None:
        try:
            peers.append(PeerPresence(workspace, host, workspace_id, agent.user_id or agent.username, notices.show))
            services.peers = peers[0]
        except Exception as error:  # no BroadcastChannel: every tab works alone
            js.console.warn(f"peer edits off: {error!r}")

    def dirty_changed(tab_id: str, dirty: bool) -> None:
        if peers:
            peers[0].local_changed()
        view.set_tab_dirty(tab_id, dirty)

    host.on_dirty = dirty_changed
    services.view = view
    host.defer_hidden = restore is not None  # restored tabs mount when first shown
    js.window.caseworkBoot.mark("mounting")  # bench/restore.py: the session bar and tab strips render from here
    view.mount()
    host.defer_hidden = False
    js.window.caseworkBoot.mark("mounted")  # bench/restore.py: every session, tab and page is in the DOM
    workspace.subscribe("*", view.handle)  # the DOM first, so page scripts see it updated ...
    apm_bridge.attach(api, on_limit=notices.show)  # ... when their DOM and BroadcastChannel events arrive
    xrm_host.install(api, services)  # window.Xrm: Navigation and Utility.getGlobalContext()
    keyboard.install(workspace, view)
    tab_scroller.install(workspace)  # scroll buttons when a session's tabs do not fit (narrow windows)
    services.dialogs.focus_fallback = lambda: view.focus_selected("tab")
    header.install(services)  # search, site map, shortcut help, close-session warning, settings
    session_bar.install(services)  # its collapse button (a user setting, so after the header's settings)
    productivity_pane.install(services)  # the right-hand rail (issue 18); its state rides in restore's extras
    if transport is not None:
        static_demo.install(services)  # the demo banner with "Reset demo data"
    else:  # the inbox and notifications read the server (no static backend for them)
        inbox.install(services)  # the notification centre; the inbox above the sessions when the profile says so
    if restore:
        restore.view_state_provider = host.view_states
        host.on_state_change = restore.touch
        restore.start_saving()
    return start_peers


def _show_agent(agent: Agent) -> None:
    avatar = by_id("user-avatar")
    avatar.textContent = agent.initials
    label = f"Signed in as {agent.fullname} ({agent.username})"
    if agent.profile_name:
        label += f" · {agent.profile_name}"
    avatar.setAttribute("title", label)
    avatar.setAttribute("aria-label", label)


async def _after_paint(slot: SlotChoice | None) -> None:
    """Work that must not delay the first paint: presence, then conversations; restored records; reopen offer."""
    restore, services = handle.restore, handle.services
    if restore is not None and services is not None:
        spawn(restore.check_records(services.client, services.host), services.report)
        if slot is not None and slot.reason == "new":
            spawn(ReopenOfferView(restore, services.notify).offer(), services.report)
    if services is not None and not static_demo.active():  # the static demo has neither (they need the server)
        services.push = push_socket.connect()  # offers, messages, typing, presence, record changes
        services.push.on_error = services.report
        await conversations.start(services)  # presence loaded into the header, offers shown
        spawn(inbox.start(services), services.report)  # the inbox's views, then kept live by push (issue 17)
    if restore is not None:
        restore.release(PRESENCE_GATE)  # conversation sessions come back once presence is loaded


_background: set[asyncio.Task] = set()


def _keep(task: asyncio.Future) -> None:
    _background.add(task)
    task.add_done_callback(_background.discard)


def start() -> None:
    """Start the workspace: wait for the signed-in agent (asked by boot.js), build, render, mark the page ready."""
    boot = js.window.caseworkBoot
    boot.mark("main")  # boot timeline for bench/boot.py: our Python has started
    _keep(asyncio.ensure_future(_start(boot)))


async def _start(boot: object) -> None:
    try:
        try:  # open this origin's localStorage while /api/me is on its way (restore reads it first thing)
            _ = js.window.localStorage.length
        except Exception:  # blocked: PageRestore says so
            pass
        me_text = await boot.me
        if not isinstance(me_text, str):
            return  # not signed in (boot.js is on its way to the sign-in page) or it already showed why
        transport = None
        if static_demo.active():  # the static demo: the chosen demo user, records answered in the page
            prepared = await static_demo.prepare(me_text)
            if prepared is None:
                return  # on the way to choosing a demo user
            transport, me_text = prepared
        agent = parse_me(me_text)
        boot.stage("Preparing your workspace…", 92)
        slot = None
        try:
            slot = await claim_slot()
        except Exception as error:  # no locking at all: this tab keeps the id apm.js gave it
            js.console.warn(f"restore slot: {error!r}")
        boot.mark("build")  # bench/restore.py: restore-to-paint starts here
        after_paint = _build_workspace(agent, slot, transport)
        boot.mark("restored")  # restored and rendered into the DOM; "painted" follows after the next frame

        def painted() -> None:
            boot.mark("painted")
            after_paint()
            _keep(asyncio.ensure_future(_after_paint(slot)))

        # Work that must not delay the first paint starts after it: the frame after this one runs the callback.
        js.requestAnimationFrame(create_once_callable(
            lambda _t: js.setTimeout(create_once_callable(painted), 0)))
        _show_agent(agent)
        for element_id in ("global-search", "sitemap-button"):
            by_id(element_id).removeAttribute("disabled")
        body = js.document.body
        body.dataset.python = sys.version.split()[0]
        body.dataset.ready = "1"
    except Exception as exc:  # shown on the boot panel and in the console; the page stays readable
        import traceback

        details = traceback.format_exc()
        js.console.error(details)
        boot.fail(f"{type(exc).__name__}: {exc}", details)


__all__ = ["start"]
