"""The ``window.Microsoft.Apm`` call table: JavaScript method names mapped onto the :class:`~apm.facade.Apm`.

Every answer is what the reference's synchronous API returns, or the data JavaScript wraps into it: ids for
``createSession``/``createTab``, arrays of ids for ``getAllSessions``/``getAllTabs``, ``None`` for the verbs, and
the camelCase fields of a session or tab for ``getFocusedSession``/``getSession``/``getFocusedTab``/``getTab``
(web/js/apm.js makes the Session and Tab objects, whose properties read through ``getSession``/``getTab`` again).

Pure, so every JavaScript entry point is unit-tested under CPython. The browser bridge
(``browser/apm_bridge.py``) only moves JSON across: ``call(apm, "createTab", [input])`` returns a JSON-able result
or raises :class:`~apm.errors.ApmError`, and :func:`event_message` turns a workspace event into what the page
dispatches (a DOM event, plus the compatibility BroadcastChannel topic when there is one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .errors import ApmError, ValidationError
from .events import Event, topic_message
from .facade import Apm
from .navigation import NavTarget


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{what} must be a non-empty string.")
    return value


def _input(value: object, what: str) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(f"{what} must be an object or a Map.")
    return value


def _open_record(apm: Apm, data: object) -> dict:
    data = _input(data, "openRecord input")
    session_id, tab_id = apm.open_record(
        _text(data.get("entityName"), "entityName"),
        data.get("entityId"),
        _text(data.get("source", "NAVIGATE_TO"), "source"),
        title=data.get("title"),
        attributes=data.get("attributes"),
    )
    return {"sessionId": session_id, "tabId": tab_id}


def _open(apm: Apm, data: object) -> dict:
    data = _input(data, "open input")
    target = NavTarget(
        _text(data.get("templateName"), "templateName"),
        dict(_input(data.get("appContext"), "appContext")),
        data.get("title"),
        data.get("attributes"),
    )
    session_id, tab_id = apm.open(target, _text(data.get("source", "NAVIGATE_TO"), "source"))
    return {"sessionId": session_id, "tabId": tab_id}


def _session_tab(apm: Apm, session_id: object, tab_id: object) -> dict:
    return apm.get_session(_text(session_id, "sessionId")).get_tab(_text(tab_id, "tabId")).to_dict()


def _focused_tab(apm: Apm, session_id: object) -> dict:
    return apm.get_session(_text(session_id, "sessionId")).get_focused_tab().to_dict()


# name -> (arity, handler). Handlers receive the Apm and the positional arguments from JavaScript.
_CALLS: dict[str, tuple[int, Callable[..., object]]] = {
    "createSession": (1, lambda apm, data: apm.create_session(_input(data, "createSession input"))),
    "createTab": (1, lambda apm, data: apm.create_tab(_input(data, "createTab input"))),
    "openRecord": (1, _open_record),
    "open": (1, _open),
    "getFocusedSession": (0, lambda apm: apm.get_focused_session().to_dict()),
    "getSession": (1, lambda apm, sid: apm.get_session(_text(sid, "sessionId")).to_dict()),
    "getAllSessions": (0, lambda apm: apm.get_all_sessions()),
    "canCreateSession": (0, lambda apm: apm.can_create_session()),
    "closeTab": (1, lambda apm, tid: apm.close_tab(_text(tid, "tabId"))),
    "focusTab": (1, lambda apm, tid: apm.focus_tab(_text(tid, "tabId"))),
    "refreshTab": (1, lambda apm, tid: apm.refresh_tab(_text(tid, "tabId"))),
    "getEventPublisherTopic": (1, lambda apm, name: apm.get_event_publisher_topic(name)),
    # Session object methods: the session id comes first.
    "closeSession": (1, lambda apm, sid: apm.close_session(_text(sid, "sessionId"))),
    "focusSession": (1, lambda apm, sid: apm.focus_session(_text(sid, "sessionId"))),
    "requestFocus": (1, lambda apm, sid: apm.get_session(_text(sid, "sessionId")).request_focus()),
    "canCreateTab": (1, lambda apm, sid: apm.can_create_tab(_text(sid, "sessionId"))),
    "getFocusedTab": (1, _focused_tab),
    "getAllTabs": (1, lambda apm, sid: apm.get_session(_text(sid, "sessionId")).get_all_tabs()),
    "getTab": (2, _session_tab),
    "updateContext": (2, lambda apm, sid, ctx: apm.get_session(_text(sid, "sessionId")).update_context(ctx)),
    "getContext": (1, lambda apm, sid: apm.get_session(_text(sid, "sessionId")).get_context()),
    "resolveSlug": (2, lambda apm, sid, text: apm.get_session(_text(sid, "sessionId")).resolve_slug(text)),
    # Property setters of session and tab objects.
    "setSessionTitle": (2, lambda apm, sid, title: apm.workspace.set_session_title(_text(sid, "sessionId"), title)),
    "setSessionCanClose": (
        2, lambda apm, sid, flag: apm.workspace.set_session_can_close(_text(sid, "sessionId"), flag)
    ),
    "setTabTitle": (2, lambda apm, tid, title: apm.workspace.set_tab_title(_text(tid, "tabId"), title)),
    "setTabCanClose": (2, lambda apm, tid, flag: apm.workspace.set_tab_can_close(_text(tid, "tabId"), flag)),
}

METHODS = tuple(_CALLS)


def call(apm: Apm, method: str, args: list | tuple) -> object:
    """Runs one JavaScript API call.

    Args:
        apm: The installed facade.
        method: A name from :data:`METHODS` (e.g. ``"createTab"``).
        args: The positional arguments as plain JSON values; missing trailing ones are ``None``.

    Returns:
        A JSON-able result (ids, camelCase dicts, lists, booleans or ``None``).

    Raises:
        ApmError: the call is unknown or malformed (``invalid_input``), or the model refused it.
    """
    entry = _CALLS.get(method)
    if entry is None:
        raise ValidationError(f"Unknown Microsoft.Apm method {method!r}.")
    arity, handler = entry
    if not isinstance(args, list | tuple) or len(args) > arity:
        raise ValidationError(f"{method} takes {arity} argument(s).")
    padded = [*args, *([None] * (arity - len(args)))]
    return handler(apm, *padded)


def answer(apm: Apm, method: str, args: list | tuple) -> dict:
    """Like :func:`call`, but never raises: ``{"result": ...}`` or ``{"error": {"code", "message"}}``."""
    try:
        return {"result": call(apm, method, args)}
    except ApmError as error:
        return {"error": error.to_dict()}


def event_message(event: Event) -> dict:
    """What the page dispatches for an event: ``{name, payload, topic?: {name, payload}}``."""
    message: dict = {"name": event.name, "payload": event.to_dict()}
    topic = topic_message(event)
    if topic is not None:
        message["topic"] = {"name": topic[0], "payload": topic[1]}
    return message
