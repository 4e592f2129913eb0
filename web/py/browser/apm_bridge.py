"""Connects the session engine to ``window.Microsoft.Apm`` (web/js/apm.js) and to the page's DOM events.

JavaScript calls arrive as ``(method, argsJson)`` and leave as a JSON answer (``{"result"}`` or ``{"error"}``):
only strings cross the boundary, so no Python proxy leaks into page scripts and nothing needs to be destroyed.
The call table itself is pure (``apm.jsapi``) and unit-tested; this module only moves the strings.
"""

from __future__ import annotations

import asyncio
import json
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import js
from pyodide.ffi import create_proxy

from apm import jsapi
from apm.events import Event
from apm.facade import Apm

LIMIT_CODES = frozenset({"session_limit_reached", "tab_limit_reached"})

# Calls beyond the session engine's table (``apm.jsapi``), added by the app: name -> (arity, handler). A handler
# takes the JSON arguments and answers ``{"result"}`` or ``{"error"}``. Async ones (``saveSettingValue``, which
# waits for the server) settle their Promise through ``Microsoft.Apm._settle(callId, answerJson)``.
_EXTRA_CALLS: dict[str, tuple[int, Callable[..., dict]]] = {}
_ASYNC_CALLS: dict[str, tuple[int, Callable[..., Awaitable[dict]]]] = {}
_RUNNING: set[asyncio.Future] = set()


def register_call(name: str, arity: int, handler: Callable[..., dict]) -> None:
    """Add a synchronous ``Microsoft.Apm.<name>`` call (see ``_EXTRA_CALLS``)."""
    _EXTRA_CALLS[name] = (arity, handler)


def register_async_call(name: str, arity: int, handler: Callable[..., Awaitable[dict]]) -> None:
    """Add an asynchronous ``Microsoft.Apm.<name>`` call: its Promise settles when the coroutine ends."""
    _ASYNC_CALLS[name] = (arity, handler)


def _arguments(method: str, arity: int, args: object) -> list:
    if not isinstance(args, list) or len(args) > arity:
        raise ValueError(f"{method} takes {arity} argument(s).")
    return [*args, *([None] * (arity - len(args)))]


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
            if method in _EXTRA_CALLS:
                arity, handler = _EXTRA_CALLS[method]
                try:
                    args = _arguments(method, arity, json.loads(args_json))
                except ValueError as error:
                    return json.dumps({"error": {"code": "invalid_input", "message": str(error)}})
                return json.dumps(handler(*args))
            answer = jsapi.answer(self.api, method, json.loads(args_json))
            error = answer.get("error")
            if error and error["code"] in LIMIT_CODES and self.on_limit is not None:
                self.on_limit(error["message"], error["code"])
            return json.dumps(answer)
        except Exception as exc:  # a bug, not a refusal: report loudly, answer in the same shape
            js.console.error(f"Microsoft.Apm.{method} failed in Python:\n{traceback.format_exc()}")
            return json.dumps({"error": {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"}})

    def call_async(self, method: str, args_json: str, call_id: int) -> None:
        """Start ``Microsoft.Apm.<method>(...args)``; its answer goes to ``Microsoft.Apm._settle(call_id, json)``."""
        facade = js.window.Microsoft.Apm

        async def run() -> dict:
            entry = _ASYNC_CALLS.get(method)
            if entry is None:
                return {"error": {"code": "invalid_input", "message": f"Unknown Microsoft.Apm method {method!r}."}}
            try:
                args = _arguments(method, entry[0], json.loads(args_json))
            except ValueError as error:
                return {"error": {"code": "invalid_input", "message": str(error)}}
            return await entry[1](*args)

        def settle(task: asyncio.Future) -> None:
            _RUNNING.discard(task)
            if task.cancelled() or task.exception() is not None:
                error = None if task.cancelled() else task.exception()
                js.console.error(f"Microsoft.Apm.{method} failed in Python: {error!r}")
                answer = {"error": {"code": "internal_error", "message": f"{type(error).__name__}: {error}"}}
            else:
                answer = task.result()
            facade._settle(call_id, json.dumps(answer))

        task = asyncio.ensure_future(run())
        _RUNNING.add(task)
        task.add_done_callback(settle)


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
