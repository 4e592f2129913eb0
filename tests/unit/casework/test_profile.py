"""Reading /api/me into what the workspace uses: limits, initials, the CSRF token."""

from __future__ import annotations

import json

import pytest

from casework.profile import parse_me

ME = {
    "user": {"systemuserid": "u-1", "domainname": "agent3", "fullname": "Agent 3 Patel"},
    "roles": ["agent"],
    "profile": {"profileid": "p-1", "name": "Chat agent experience", "assignedBy": "user",
                "settings": {"maxSessions": 6, "maxTabs": 10, "sessionRestore": True}},
    "settings": {"closeSessionWarning": True},
    "csrfToken": "tok",
}


def test_me_gives_limits_initials_and_token():
    agent = parse_me(json.dumps(ME))
    assert agent.limits == {"maxSessions": 6, "maxTabs": 10}
    assert agent.initials == "AP"
    assert (agent.username, agent.profile_name, agent.csrf_token) == ("agent3", "Chat agent experience", "tok")
    assert agent.settings == {"closeSessionWarning": True}


def test_no_profile_means_default_limits_and_username_initial():
    agent = parse_me(json.dumps({"user": {"domainname": "agent1"}, "profile": None}))
    assert agent.limits == {}
    assert agent.initials == "A"


@pytest.mark.parametrize("text", ["[]", '{"roles": []}', '{"user": "agent1"}'])
def test_other_shapes_are_refused_with_a_reason(text):
    with pytest.raises(ValueError, match="no user"):
        parse_me(text)
