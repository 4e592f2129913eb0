"""Keyboard: workspace shortcuts (casework.shortcuts) and arrow-key movement inside the tab lists (ARIA pattern).

Shortcuts pause while a modal dialog is open (it owns the keyboard). UI actions (focus the search box, open the
site map, show the shortcut help) are registered by the components that own them (:func:`register_action`).
Closing a session or a tab from the keyboard goes through ``WorkspaceView.request_close_session`` /
``request_close_tab`` (which may ask first).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import js

from apm.model import Workspace
from browser.dom import on
from casework import shortcuts


def _key_name(event: Any) -> str:
    code = event.code or ""
    if code.startswith("Key") and len(code) == 4:
        return code[3]  # layout- and modifier-independent letter (Alt+Shift+W may report another character)
    return event.key


_UI_HANDLERS: dict[str, Callable[[], None]] = {}
_TEXT_INPUTS = frozenset({"text", "search", "email", "url", "tel", "password", "number", "date", "datetime-local",
                          "time", "month", "week"})


def register_action(action: str, handler: Callable[[], None]) -> None:
    """Run ``handler`` for a UI shortcut action (one of ``casework.shortcuts.UI_ACTIONS``)."""
    _UI_HANDLERS[action] = handler


def _is_typing(target: Any) -> bool:
    """Whether focus is in a text field, where plain keys type themselves."""
    if target is None or not hasattr(target, "tagName"):
        return False
    tag = str(target.tagName).lower()
    if tag in ("textarea", "select") or bool(getattr(target, "isContentEditable", False)):
        return True
    return tag == "input" and str(target.type or "text").lower() in _TEXT_INPUTS


def _roving(workspace: Workspace, event: Any) -> str | None:
    """Arrow keys, Home/End and Delete on a focused session or tab button: the action to run, or ``None``."""
    target = event.target
    role = target.getAttribute("role") if target and hasattr(target, "getAttribute") else None
    if role != "tab" or event.altKey or event.ctrlKey or event.metaKey:
        return None
    is_session = target.classList.contains("session-tab")
    key = event.key
    forward, backward = ("ArrowDown", "ArrowUp") if is_session else ("ArrowRight", "ArrowLeft")
    kind = "session" if is_session else "tab"
    if key == forward:
        return f"next_{kind}"
    if key == backward:
        return f"previous_{kind}"
    if key in ("Home", "End"):
        return f"{key.lower()}_{kind}"
    if key == "Delete":
        return f"close_{kind}"
    return None


class KeyboardView(Protocol):
    """What the keyboard needs of the workspace view (``components.workspace_view.WorkspaceView``)."""

    def attempt(self, action: Callable[[], object]) -> object: ...

    def request_close_session(self, session_id: str) -> object: ...

    def request_close_tab(self, tab_id: str) -> object: ...

    def focus_selected(self, kind: str) -> object: ...


def install(workspace: Workspace, view: KeyboardView) -> None:
    """Listen for shortcuts on the whole document."""

    def on_key(event: Any) -> None:
        if event.defaultPrevented or js.document.querySelectorAll("dialog[open]").length:
            return
        action = shortcuts.action_for(
            _key_name(event), alt=event.altKey, shift=event.shiftKey, ctrl=event.ctrlKey, meta=event.metaKey,
            typing=_is_typing(event.target),
        )
        if action in shortcuts.UI_ACTIONS:
            handler = _UI_HANDLERS.get(action)
            if handler is not None:
                event.preventDefault()
                handler()
            return
        from_tablist = False
        if action is None:
            action = _roving(workspace, event)
            from_tablist = action is not None
        if action is None:
            return
        event.preventDefault()
        if action in ("home_session", "end_session", "home_tab", "end_tab"):
            edge, kind = action.split("_")
            ids = workspace.session_ids if kind == "session" else list(workspace.focused_session.tab_ids)
            target = ids[0] if edge == "home" else ids[-1]
            view.attempt(lambda: (workspace.focus_session if kind == "session" else workspace.focus_tab)(target))
        elif action == "close_session":
            view.request_close_session(workspace.focused_session.session_id)
        elif action == "close_tab":
            view.request_close_tab(workspace.focused_session.focused_tab_id)
        else:
            view.attempt(lambda: shortcuts.run(workspace, action))
        if from_tablist:
            view.focus_selected(kind="session" if "session" in action else "tab")
        elif action in shortcuts.FOCUS_FOLLOWS:
            view.focus_selected(kind="tab")  # into the session now shown, not left on <body> or the old one

    on(js.document, "keydown", on_key)
