"""Who may edit a record on its form (``casework.access``), checked against the server's own rules."""

from __future__ import annotations

import pytest

from casework.access import edit_access, open_activities_text

ME, OTHER = "u-me", "u-other"
AGENT, SUPERVISOR, ADMIN = ("agent",), ("supervisor",), ("admin",)


def case(statecode: int = 0, owner: str | None = ME) -> dict:
    return {"incidentid": "c1", "statecode": statecode, "ownerid": owner}


@pytest.mark.parametrize(("statecode", "reason"), [(1, "Resolved"), (2, "Cancelled")])
def test_a_closed_case_is_read_only_for_everyone_with_its_state_as_the_reason(statecode: int, reason: str) -> None:
    for roles in (AGENT, SUPERVISOR, ADMIN):
        access = edit_access("incident", case(statecode), ME, roles)
        assert (access.editable, access.reason, access.code) == (False, reason, "closed")


def test_an_agent_edits_its_own_or_an_unowned_case_but_not_another_agents() -> None:
    assert edit_access("incident", case(owner=ME), ME, AGENT).editable
    assert edit_access("incident", case(owner=None), ME, AGENT).editable
    other = edit_access("incident", case(owner=OTHER), ME, AGENT, owner_name="Agent 6 Rossi")
    assert (other.editable, other.reason, other.code) == (False, "Owned by Agent 6 Rossi", "not_owner")
    assert edit_access("incident", case(owner=OTHER), ME, AGENT).reason == "Owned by another user"
    assert edit_access("incident", case(owner=OTHER), ME, SUPERVISOR).editable


def test_activities_and_notes_are_their_owners_and_a_sent_email_is_nobodys() -> None:
    for logical in ("task", "phonecall", "appointment", "email", "annotation"):
        assert edit_access(logical, {"ownerid": ME, "statecode": 0}, ME, AGENT).editable
        assert not edit_access(logical, {"ownerid": OTHER, "statecode": 0}, ME, AGENT).editable
        assert not edit_access(logical, {"ownerid": None, "statecode": 0}, ME, AGENT).editable
        assert edit_access(logical, {"ownerid": OTHER, "statecode": 0}, ME, ADMIN).editable
    sent = edit_access("email", {"ownerid": ME, "statecode": 1}, ME, ADMIN)
    assert (sent.editable, sent.reason) == (False, "Completed")
    assert edit_access("task", {"ownerid": ME, "statecode": 1}, ME, AGENT).editable  # the server allows it


def test_knowledge_articles_are_for_supervisors_and_admins_even_new_ones() -> None:
    article = {"knowledgearticleid": "k1", "ownerid": OTHER, "statecode": 3}
    refused = edit_access("knowledgearticle", article, ME, AGENT)
    assert (refused.editable, refused.code) == (False, "role")
    assert not edit_access("knowledgearticle", None, ME, AGENT).editable
    assert edit_access("knowledgearticle", article, ME, SUPERVISOR).editable


def test_accounts_contacts_and_new_records_are_editable() -> None:
    for logical in ("account", "contact"):
        assert edit_access(logical, {"ownerid": OTHER}, ME, AGENT).editable
    for logical in ("incident", "task", "email"):
        assert edit_access(logical, None, ME, AGENT).editable


def test_the_rules_mirror_the_servers_entity_sets() -> None:
    """The owner-checked entities and the write roles are the server's (``server/api/entities.py``)."""
    from casework.access import MANAGERS_ONLY, OWNER_CHECKED
    from server.api.entities import ENTITY_SETS, MANAGERS

    by_entity = {s.entity: s for s in ENTITY_SETS.values() if not s.read_only and s.write_roles}
    for logical, unowned_ok in OWNER_CHECKED.items():
        assert by_entity[logical].agent_owner_check and by_entity[logical].owner_or_unowned == unowned_ok
    checked = {name for name, s in by_entity.items() if s.agent_owner_check}
    assert checked == set(OWNER_CHECKED)
    for logical in MANAGERS_ONLY:
        assert by_entity[logical].write_roles == MANAGERS
    for logical in ("account", "contact"):
        assert "agent" in by_entity[logical].write_roles and not by_entity[logical].agent_owner_check


def test_the_resolve_warning_names_open_activities_and_counts_the_rest() -> None:
    assert open_activities_text([]) == ""
    one = open_activities_text([{"subject": "Call back", "activitytypecode": "phonecall"}])
    assert one == "1 activity is still open on this case: Call back (phone call)."
    many = [{"subject": f"T{i}", "activitytypecode": "task"} for i in range(7)]
    assert open_activities_text(many).startswith("7 activities are still open on this case: T0 (task), ")
    assert open_activities_text(many).endswith("T4 (task) and 2 more.")
