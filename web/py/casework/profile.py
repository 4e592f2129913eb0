"""The signed-in agent as the workspace needs it: who they are and what their profile allows. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Agent:
    """The answer of ``GET /api/me``, reduced to what the page uses.

    Attributes:
        username: Sign-in name (``agent1``).
        user_id: The user's id (``systemuserid``); names the agent's restore slots.
        fullname: Display name.
        roles: Role names (``agent``, ``supervisor``, ``admin``).
        profile_name: Effective agent experience profile.
        profile: The profile's settings (``maxSessions``, ``maxTabs``, ``sessionRestore``, ...).
        settings: The user's own settings.
        csrf_token: Token for the ``X-CSRF-Token`` header of state-changing requests.
    """

    username: str
    fullname: str
    user_id: str = ""
    roles: tuple[str, ...] = ()
    profile_name: str = ""
    profile: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    csrf_token: str = ""

    @property
    def initials(self) -> str:
        """Up to two initials for the avatar: first and last name (``Agent 3 Patel`` -> ``AP``; ``agent1`` -> ``A``)."""
        words = [word for word in self.fullname.split() if word[:1].isalpha()] or [self.username or "?"]
        return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()

    @property
    def restore_enabled(self) -> bool:
        """Whether the profile turns session restore on (the default when the profile does not say)."""
        return self.profile.get("sessionRestore", True) is not False

    @property
    def limits(self) -> dict:
        """``{"maxSessions", "maxTabs"}`` from the profile, for ``Workspace.from_profile``."""
        return {key: self.profile[key] for key in ("maxSessions", "maxTabs") if key in self.profile}


def parse_me(text: str) -> Agent:
    """Read the ``/api/me`` JSON text.

    Raises:
        ValueError: the text is not the ``/api/me`` shape (with a message saying what is missing).
    """
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("user"), dict):
        raise ValueError("the /api/me answer has no user")
    user = data["user"]
    profile = data.get("profile") or {}
    return Agent(
        username=str(user.get("domainname", "")),
        user_id=str(user.get("systemuserid", "")),
        fullname=str(user.get("fullname") or user.get("domainname") or ""),
        roles=tuple(str(role) for role in data.get("roles") or ()),
        profile_name=str(profile.get("name", "")),
        profile=dict(profile.get("settings") or {}),
        settings=dict(data.get("settings") or {}),
        csrf_token=str(data.get("csrfToken", "")),
    )
