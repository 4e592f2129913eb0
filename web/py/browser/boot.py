"""Boot of the workspace in the page: build the session engine, its API and its view; report readiness.

Readiness is the contract with tests, benchmarks and page scripts: ``body[data-ready="1"]`` is set only after the
workspace can be used. Any failure is reported to the boot panel (web/js/boot.js) with the traceback, then re-raised.
"""

from __future__ import annotations

import asyncio
import sys

import js

import apm
from apm.facade import Apm
from apm.model import Workspace
from browser import apm_bridge, keyboard
from browser.dom import by_id, h
from components.notices import Notices
from components.tab_panel import TabPanelRenderer
from components.workspace_view import WorkspaceView


def _home_content() -> object:
    version = sys.version.split()[0]
    return h(
        "div", {"class": "welcome"},
        h("h1", None, "Home"),
        h("p", {"class": "lede"}, "Open a case, an account or a conversation to start a session."),
        h("p", {"class": "runtime-facts", "id": "runtime-facts"}, f"Python {version} running in your browser."),
    )


def _build_workspace() -> Workspace:
    """The session engine, its page API and its rendering, wired together."""
    workspace = Workspace()  # limits from the agent's profile arrive with sign-in (records issue)
    api = Apm(workspace, topic_namespace=str(js.window.Microsoft.Apm.workspaceId))
    apm.install(api)
    notices = Notices(by_id("notices"))
    view = WorkspaceView(workspace, notices.show, TabPanelRenderer().render)
    view.mount(home_content=_home_content())
    workspace.subscribe("*", view.handle)  # the DOM first, so page scripts see it updated ...
    apm_bridge.attach(api, on_limit=notices.show)  # ... when their DOM and BroadcastChannel events arrive
    keyboard.install(workspace, view)
    return workspace


async def _show_server_connection() -> None:
    """Show whether the server answers (the presence indicator's place until presence exists)."""
    from pyodide.http import pyfetch  # imported here: not needed before the first paint

    indicator = by_id("presence")
    try:
        response = await pyfetch("api/health", cache="no-store")
        online = response.ok
    except Exception:  # offline, refused: shown, not raised
        online = False
    indicator.dataset.presence = "online" if online else "offline"
    indicator.setAttribute("title", "Connected to the server" if online else "The server does not answer")
    indicator.querySelector(".presence-label").textContent = "Online" if online else "Offline"


_background: set[asyncio.Task] = set()


def start() -> None:
    """Render the shell's live parts and mark the page ready; report any failure to the boot panel."""
    boot = js.window.caseworkBoot
    boot.mark("main")  # boot timeline for bench/boot.py: our Python has started
    try:
        boot.stage("Preparing your workspace…", 92)
        _build_workspace()
        for element_id in ("global-search", "sitemap-button"):
            by_id(element_id).removeAttribute("disabled")
        body = js.document.body
        body.dataset.python = sys.version.split()[0]
        body.dataset.ready = "1"
        task = asyncio.ensure_future(_show_server_connection())
        _background.add(task)
        task.add_done_callback(_background.discard)
    except Exception as exc:  # report, then let PyScript see it too
        import traceback

        boot.fail(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        raise


__all__ = ["start"]
