"""The productivity pane's state, pure: which tools the agent's profile shows, and per session whether the pane is
open and which tool it shows (kept in the session's restore extras under ``"pane"``).

Tool ids are the profile's ``productivityTools`` values (``smartassist``, ``agentscripts``, ``macros``,
``knowledge``); ids the page does not know (``notes``, ``teams``) are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Every tool the page has, in rail order, with its label.
TOOLS: dict[str, str] = {
    "smartassist": "Smart Assist",
    "agentscripts": "Agent scripts",
    "macros": "Macros",
    "knowledge": "Knowledge search",
}

#: Without a ``productivityTools`` setting (the reference's default profile: Smart Assist and knowledge search).
DEFAULT_TOOLS = ("smartassist", "knowledge")


def profile_tools(profile: Mapping[str, Any]) -> list[str]:
    """The tools the profile shows, in rail order (unknown ids dropped; a missing or malformed list: the default)."""
    raw = profile.get("productivityTools")
    if not isinstance(raw, list):
        raw = list(DEFAULT_TOOLS)
    wanted = {str(t).casefold() for t in raw if isinstance(t, str)}
    return [tool for tool in TOOLS if tool in wanted]


@dataclass(frozen=True)
class PaneState:
    """One session's pane: ``open`` and the ``tool`` shown (``None``: the first the profile shows)."""

    open: bool = False
    tool: str | None = None

    def to_json(self) -> dict:
        return {"open": self.open, "tool": self.tool}

    @classmethod
    def from_json(cls, data: Any, tools: list[str]) -> PaneState:
        """Restore; never raises (bad data or a tool the profile no longer shows falls back to the defaults)."""
        if not isinstance(data, dict):
            return cls()
        tool = data.get("tool")
        return cls(open=data.get("open") is True and bool(tools), tool=tool if tool in tools else None)

    def shown_tool(self, tools: list[str]) -> str | None:
        """The tool on screen: the chosen one if the profile shows it, else the first."""
        if self.tool in tools:
            return self.tool
        return tools[0] if tools else None

    def choose(self, tool: str, tools: list[str]) -> PaneState:
        """The agent clicked ``tool`` on the rail: it opens; clicking the open tool again collapses the pane."""
        if tool not in tools:
            return self
        if self.open and self.shown_tool(tools) == tool:
            return PaneState(open=False, tool=tool)
        return PaneState(open=True, tool=tool)

    def toggled(self) -> PaneState:
        return PaneState(open=not self.open, tool=self.tool)


__all__ = ["DEFAULT_TOOLS", "TOOLS", "PaneState", "profile_tools"]
