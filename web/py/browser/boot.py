"""Boot of the workspace in the page: render the Home session's content and report readiness.

Readiness is the contract with tests, benchmarks and page scripts: ``body[data-ready="1"]`` is set only after the
workspace can be used. Any failure is reported to the boot panel (web/js/boot.js) with the traceback, then re-raised.
"""

from __future__ import annotations

import asyncio
import sys

import js

from browser.dom import by_id, h


def _render_home() -> None:
    panel = by_id("boot-panel")
    version = sys.version.split()[0]
    welcome = h(
        "div", {"class": "welcome"},
        h("h1", None, "Home"),
        h("p", {"class": "lede"}, "Open a case, an account or a conversation to start a session."),
        h("p", {"class": "runtime-facts", "id": "runtime-facts"}, f"Python {version} running in your browser."),
    )
    panel.appendChild(welcome)


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
        _render_home()
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
