"""The static demo's wiring (docs/static-demo.md): the record client over ``StaticTransport`` instead of HTTP, the
chosen demo user instead of a session, a banner, and server-only features turned off instead of failing.

``app.boot`` asks :func:`active` once and calls the rest only in the static build.
"""

from __future__ import annotations

import json

import js

from browser import static_data
from browser.dom import find, find_by_id, h, on
from browser.tasks import spawn
from casework.records import NotSignedInError, RecordClient
from casework.static_records import StaticTransport

BANNER_TEXT = "This is a demo: it runs in your browser, and your changes stay in this browser only."
_state: dict = {}


def active() -> bool:
    return static_data.active()


async def prepare(username: object) -> tuple[StaticTransport, str] | None:
    """The transport for the chosen demo user and their ``/me`` answer as JSON text (``None``: choose again)."""
    if not isinstance(username, str) or not username:
        return None
    transport = StaticTransport(static_data.FetchSource(), await static_data.overlay_store(), username)
    try:
        me = await RecordClient(transport).me()
    except NotSignedInError:  # a user the data no longer has
        static_data.choose_again()
        return None
    _state["transport"] = transport
    return transport, json.dumps(me)


def install(services: object) -> None:
    """The banner (with "Reset demo data") above the workspace, and the header's presence marked offline."""
    banner = h("div", {"class": "demo-banner", "id": "demo-banner", "role": "region", "aria-label": "Demo"},
               h("p", None, BANNER_TEXT),
               reset := h("button", {"type": "button", "id": "demo-reset"}, "Reset demo data"))
    js.document.body.insertBefore(banner, js.document.body.firstChild)
    js.document.body.dataset.demo = "1"
    on(reset, "click", lambda _e: spawn(_reset(services), services.report))
    presence = find_by_id("presence")
    if presence is not None:
        label = find(presence, ".presence-label")
        if label is not None:
            label.textContent = "Demo"
        presence.setAttribute("title", "Presence needs the Casework server (not in the static demo)")


async def _reset(services: object) -> None:
    transport = _state.get("transport")
    if transport is None:
        return
    restore = getattr(services, "restore", None)
    if restore is not None:
        restore.stop_saving()
    await transport.reset()
    js.window.location.reload()
