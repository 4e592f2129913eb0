"""The close warning: closing a session or a tab the agent is still working in asks first.

User-initiated closes (the × buttons, Alt+Shift+X / Alt+Shift+W, Delete in the session bar or a tab strip) come here
through ``WorkspaceView.request_close_session`` / ``request_close_tab``. The dialog appears when the
``closeSessionWarning`` setting is on (the default) and:

- for a session: it has tabs with unsaved changes (``PageHost.dirty_tabs``) or an active item (its context's
  ``activeItem`` is truthy; see ``casework.settings.close_warning_reasons``);
- for a tab: it holds unsaved changes (``PageHost.is_dirty``); an anchor or a tab that cannot close is refused at
  once, without asking.

"Don't ask again" turns the setting off on the server (the page API's
``saveSettingValue("msdyn_SuppressSessionCloseWarning", true)`` does the same). Closing through the Apm API
(``session.close()`` / ``tab.close()`` from a page script, ``apm.close_session``) never asks: scripts decide for
themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apm.errors import ApmError
from browser.dom import h
from casework.settings import CLOSE_SESSION_WARNING, UserSettings, close_warning_reasons
from components.pages import Services, spawn


class CloseWarning:
    """Decides whether closing a session or tab asks, asks, and closes (see the module docstring)."""

    def __init__(self, services: Services, settings: UserSettings) -> None:
        self.services = services
        self.settings = settings
        self._asking: set[str] = set()

    def reasons(self, session_id: str) -> list[str]:
        """Why closing ``session_id`` would ask (empty: it closes at once)."""
        workspace = self.services.workspace
        host = self.services.host
        dirty = len(host.dirty_tabs(session_id)) if host is not None else 0
        return close_warning_reasons(enabled=self.settings.close_session_warning, dirty_tabs=dirty,
                                     context=workspace.session(session_id).context)

    def tab_reasons(self, tab_id: str) -> list[str]:
        """Why closing ``tab_id`` would ask (empty: it closes, or is refused, at once)."""
        tab = self.services.workspace.tab(tab_id)
        if tab.is_anchor or not tab.can_close:
            return []  # the model refuses it; asking first would only lead to that refusal
        host = self.services.host
        dirty = 1 if host is not None and host.is_dirty(tab_id) else 0
        return close_warning_reasons(enabled=self.settings.close_session_warning, dirty_tabs=dirty, context=None)

    def request_close(self, session_id: str) -> None:
        """Close a session for the agent: at once, or after they confirm (a conversation's session: the
        conversation desk asks its own question, ``ConversationDesk.handles_close``)."""
        desk = self.services.conversations
        if desk is not None and desk.handles_close(session_id):
            return
        try:
            reasons = self.reasons(session_id)
            title = self.services.workspace.session(session_id).title
        except ApmError as error:  # the session is gone already
            self.services.notify(error.message, error.code)
            return
        self._request(f"session:{session_id}", reasons, lambda: self.services.workspace.close_session(session_id),
                      "Close this session?", "Close session",
                      f"“{title}” has {' and '.join(reasons)}. Closing the session closes all its tabs; "
                      "unsaved changes are lost.")

    def request_close_tab(self, tab_id: str) -> None:
        """Close a tab for the agent: at once, or after they confirm."""
        try:
            reasons = self.tab_reasons(tab_id)
            title = self.services.workspace.tab(tab_id).title
        except ApmError as error:  # the tab is gone already
            self.services.notify(error.message, error.code)
            return
        self._request(f"tab:{tab_id}", reasons, lambda: self.services.workspace.close_tab(tab_id),
                      "Close this tab?", "Close tab",
                      f"“{title}” has {' and '.join(reasons)}. Closing the tab discards them.")

    def _request(self, key: str, reasons: list[str], close: Callable[[], Any], heading: str, close_label: str,
                 message: str) -> None:
        if not reasons:
            self._close(close)
            return
        if key in self._asking:
            return  # already asking about this one
        self._asking.add(key)
        spawn(self._ask(key, close, heading, close_label, message), self.services.report)

    async def _ask(self, key: str, close: Callable[[], Any], heading: str, close_label: str, message: str) -> None:
        try:
            checkbox = h("input", {"type": "checkbox", "id": "close-warning-suppress",
                                   "class": "close-warning-suppress"})
            body = h("div", {"class": "close-warning-body"},
                     h("p", {"class": "dialog-text"}, message),
                     h("label", {"class": "close-warning-check", "for": "close-warning-suppress"}, checkbox,
                       "Don't ask again"))

            def focus_cancel(dialog: Any) -> None:  # the safe choice has the focus
                dialog.querySelector("button[data-value='False']").focus()

            choice = await self.services.dialogs.show(
                heading, body, [("Cancel", False), (close_label, True, "danger")],
                on_open=focus_cancel, label="close-warning")
        finally:
            self._asking.discard(key)
        if choice is not True:
            return
        if checkbox.checked:
            spawn(self.settings.set(CLOSE_SESSION_WARNING, False), self.services.report)
        self._close(close)

    def _close(self, close: Callable[[], Any]) -> None:
        try:
            close()
        except ApmError as error:
            self.services.notify(error.message, error.code)

