"""Shared helpers for the session-engine unit tests (imported by name; this folder is on sys.path)."""

from __future__ import annotations

from apm import Workspace


class Recorder:
    """Records every event the workspace emits, in order."""

    def __init__(self, workspace: Workspace) -> None:
        self.events: list = []
        workspace.subscribe("*", self.events.append)

    def take(self) -> list:
        """Returns the events recorded so far and forgets them."""
        taken = list(self.events)
        self.events.clear()
        return taken

    def names(self) -> list[str]:
        """Returns the names of the events recorded so far and forgets them."""
        return [event.name for event in self.take()]


def open_case(ws: Workspace, n: int, *, is_focused: bool = True) -> str:
    """Creates a case session for case ``case-<n>`` titled ``Case <n>``; returns its id."""
    return ws.create_session(
        "msdyn_case_session", {"caseId": f"case-{n}", "caseTitle": f"Case {n}"}, is_focused=is_focused
    )


def add_contact_tab(ws: Workspace, n: int, *, session_id: str | None = None, is_focused: bool = True) -> str:
    """Opens contact ``contact-<n>`` as a tab; returns its id."""
    return ws.create_tab(
        "msdyn_entityrecord",
        {"entityName": "contact", "entityId": f"contact-{n}", "title": f"Contact {n}"},
        session_id=session_id,
        is_focused=is_focused,
    )
