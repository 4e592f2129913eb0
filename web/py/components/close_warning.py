"""The close-session warning: closing a session the agent is still working in asks first.

User-initiated closes (the session's × button, Alt+Shift+X, Delete on a session in the session bar) come here
through ``WorkspaceView.request_close_session``. The dialog appears when the ``closeSessionWarning`` setting is on
(the default) and the session has tabs with unsaved changes (``PageHost.dirty_tabs``) or an active item (its
context's ``activeItem`` is truthy; see ``casework.settings.close_warning_reasons``). "Don't ask again" turns the
setting off on the server (the page API's ``saveSettingValue("msdyn_SuppressSessionCloseWarning", true)`` does the
same). Closing through the Apm API (``session.close()`` from a page script, ``apm.close_session``) never asks:
scripts decide for themselves.
"""

from __future__ import annotations

from typing import Any

from apm.errors import ApmError
from browser.dom import h
from casework.settings import CLOSE_SESSION_WARNING, UserSettings, close_warning_reasons
from components.pages import Services, spawn


class CloseWarning:
    """Decides whether closing a session asks, asks, and closes (see the module docstring)."""

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

    def request_close(self, session_id: str) -> None:
        """Close a session for the agent: at once, or after they confirm."""
        try:
            reasons = self.reasons(session_id)
        except ApmError as error:  # the session is gone already
            self.services.notify(error.message, error.code)
            return
        if not reasons:
            self._close(session_id)
            return
        if session_id in self._asking:
            return  # already asking about this one
        self._asking.add(session_id)
        spawn(self._ask(session_id, reasons), self.services.report)

    async def _ask(self, session_id: str, reasons: list[str]) -> None:
        try:
            title = self.services.workspace.session(session_id).title
            checkbox = h("input", {"type": "checkbox", "id": "close-warning-suppress",
                                   "class": "close-warning-suppress"})
            body = h("div", {"class": "close-warning-body"},
                     h("p", {"class": "dialog-text"},
                       f"“{title}” has {' and '.join(reasons)}. Closing the session closes all its tabs; "
                       "unsaved changes are lost."),
                     h("label", {"class": "close-warning-check", "for": "close-warning-suppress"}, checkbox,
                       "Don't ask again"))

            def focus_cancel(dialog: Any) -> None:  # the safe choice has the focus
                dialog.querySelector("button[data-value='False']").focus()

            choice = await self.services.dialogs.show(
                "Close this session?", body, [("Cancel", False), ("Close session", True, "danger")],
                on_open=focus_cancel, label="close-warning")
        finally:
            self._asking.discard(session_id)
        if choice is not True:
            return
        if checkbox.checked:
            spawn(self.settings.set(CLOSE_SESSION_WARNING, False), self.services.report)
        self._close(session_id)

    def _close(self, session_id: str) -> None:
        try:
            self.services.workspace.close_session(session_id)
        except ApmError as error:
            self.services.notify(error.message, error.code)
