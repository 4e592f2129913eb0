"""Connects the session engine to ``window.Microsoft.Apm`` (web/js/apm.js) and to the page's DOM events.

JavaScript calls arrive as ``(method, argsJson)`` and leave as a JSON answer (``{"result"}`` or ``{"error"}``):
only strings cross the boundary, so no Python proxy leaks into page scripts and nothing needs to be destroyed.
The call table itself is pure (``apm.jsapi``) and unit-tested; this module only moves the strings.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import create_proxy

from apm import jsapi
from apm.events import Event
from apm.facade import Apm

LIMIT_CODES = frozenset({"session_limit_reached", "tab_limit_reached"})


class ApmBridge:
    """The object JavaScript holds: one ``call`` method.

    Args:
        api: The installed facade.
        on_limit: Called with ``(message, code)`` when a call hits a session or tab limit, so the agent sees why
            nothing opened even when a page script made the call (the script's Promise rejects as well).
    """

    def __init__(self, api: Apm, on_limit: Callable[[str, str], None] | None = None) -> None:
        self.api = api
        self.on_limit = on_limit

    def call(self, method: str, args_json: str) -> str:
        """Run ``Microsoft.Apm.<method>(...args)``; always answers JSON, never raises into JavaScript."""
        try:
            answer = jsapi.answer(self.api, method, json.loads(args_json))
            error = answer.get("error")
            if error and error["code"] in LIMIT_CODES and self.on_limit is not None:
                self.on_limit(error["message"], error["code"])
            return json.dumps(answer)
        except Exception as exc:  # a bug, not a refusal: report loudly, answer in the same shape
            js.console.error(f"Microsoft.Apm.{method} failed in Python:\n{traceback.format_exc()}")
            return json.dumps({"error": {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"}})


_keep_alive: list[Any] = []


def attach(api: Apm, on_limit: Callable[[str, str], None] | None = None) -> None:
    """Publish every workspace event to the page and hand the bridge to ``window.Microsoft.Apm``."""
    facade = js.window.Microsoft.Apm

    def publish(event: Event) -> None:
        facade._emit(json.dumps(jsapi.event_message(event)))

    api.subscribe("*", publish)
    proxy = create_proxy(ApmBridge(api, on_limit))
    _keep_alive.append(proxy)  # JavaScript keeps calling it for the page's whole life
    facade._attach(proxy)
