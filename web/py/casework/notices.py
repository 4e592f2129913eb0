"""Notices without the DOM: how long a notice stays, and what a limit notice says. Pure.

Successes (a case resolved, an e-mail sent) fade after :data:`SUCCESS_MS` unless the agent points at or focuses
them; errors and warnings stay until dismissed: they ask for something. A limit notice says the limit ("at most 10
sessions") instead of the page API's generic sentence, which stays what ``Microsoft.Apm`` answers.
"""

from __future__ import annotations

SUCCESS_MS = 5000

SUCCESS = "success"
ERROR = "error"
INFO = "info"

# Codes of notices that report something done: they fade.
SUCCESS_CODES = frozenset({
    "case_resolved", "case_cancelled", "case_assigned", "case_routed", "quick_create_saved", "picked", "deleted",
    "email_sent", "saved", "timeline_saved", "activity_completed", "transferred", "left",
})
# Codes that inform without asking anything: shown in the neutral colour, kept like errors (they may need reading).
INFO_CODES = frozenset({"info", "restore_dropped", "legacy_layout_removed", "prefill_unknown_field"})


def notice_kind(code: str) -> str:
    """``success`` (fades), ``info`` or ``error`` (both stay) for a notice ``code``."""
    if code in SUCCESS_CODES:
        return SUCCESS
    if code in INFO_CODES:
        return INFO
    return ERROR


def fades(code: str) -> bool:
    """Whether a notice with ``code`` goes away by itself."""
    return notice_kind(code) == SUCCESS


def limit_message(code: str, max_sessions: int | None, max_tabs: int | None) -> str | None:
    """The notice for a session or tab limit, with the number (``None`` for other codes or unknown limits).

    ``max_sessions`` counts Home, as the profile does; the sentence counts what the agent can open besides it.
    """
    if code == "session_limit_reached" and max_sessions:
        others = max_sessions - 1
        return (f"You already have the most sessions your profile allows: {max_sessions} (Home and {others} more). "
                "Close a session before opening another.")
    if code == "tab_limit_reached" and max_tabs:
        return (f"This session already has the most tabs your profile allows: {max_tabs}. "
                "Close a tab in it before opening another.")
    return None
