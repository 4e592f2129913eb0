"""Case commands' pure parts: which commands a case allows, the resolve dialog's checks, the user search filter."""

from __future__ import annotations

from casework import case_actions as ca
from server.api.odata import parse_filter


def case(statecode: int = 0) -> dict:
    return {"incidentid": "c1", "statecode": statecode, "@odata.etag": 'W/"1"'}


def test_an_active_case_allows_every_command() -> None:
    states = ca.command_states(case(), ("supervisor",))
    assert list(states) == ["resolve", "cancel", "assign", "route"]
    assert all(state.enabled for state in states.values())
    assert "supervisors" not in states["assign"].title


def test_agents_do_not_get_assign_and_route_which_the_server_refuses_them() -> None:
    states = ca.command_states(case(), ("agent",))
    assert states["assign"].hidden and states["route"].hidden
    assert not states["assign"].enabled and not states["route"].enabled
    assert states["assign"].title.endswith("(supervisors and admins only)")
    assert states["resolve"].enabled and not states["resolve"].hidden and "only" not in states["resolve"].title


def test_an_agent_cannot_resolve_another_agents_case_and_is_told_whose_it_is() -> None:
    states = ca.command_states(case(), ("agent",), not_owner="Owned by Agent 6 Rossi")
    assert not states["resolve"].enabled and not states["cancel"].enabled
    assert states["resolve"].title.startswith("Owned by Agent 6 Rossi: only the owner")
    supervisor = ca.command_states(case(), ("supervisor",), not_owner="Owned by Agent 6 Rossi")
    assert all(state.enabled for state in supervisor.values())


def test_the_open_activities_filter_parses_and_names_the_case() -> None:
    text = ca.open_activities_filter("8c1c1d9e-0000-4000-8000-000000000001")
    assert "8c1c1d9e-0000-4000-8000-000000000001" in text and "statecode eq 0" in text
    from server.api.entities import ENTITY_SETS
    from server.api.records import _filter_fields

    parse_filter(text, _filter_fields(ENTITY_SETS["activitypointers"]))  # the server would accept it


def test_closed_cases_are_read_only_with_the_reason() -> None:
    for statecode, word in ((1, "resolved"), (2, "cancelled")):
        states = ca.command_states(case(statecode), ("admin",))
        assert not any(state.enabled for state in states.values())
        assert all(state.title == f"This case is {word}: it is read-only." for state in states.values())


def test_an_unsaved_case_has_no_commands_yet() -> None:
    for record in (None, {"title": "draft"}):
        assert all(s.title == "Save the case first." and not s.enabled
                   for s in ca.command_states(record, ("supervisor",)).values())


def test_resolution_needs_a_subject_and_a_known_reason() -> None:
    assert ca.validate_resolution("Replaced the toner", "", 5) == {}
    assert ca.validate_resolution("  ", "", 5) == {"subject": "Enter a resolution."}
    assert ca.validate_resolution("ok", "x" * 20001, 1000) == {
        "description": "The description is longer than 20000 characters."}
    assert ca.validate_resolution("ok", "", 6) == {"statuscode": "Choose a status reason."}
    assert "subject" in ca.validate_resolution("x" * 301, "", 5)


def test_reasons_parse_back_from_select_values() -> None:
    assert ca.parse_reason("1000", ca.RESOLVE_REASONS) == 1000
    assert ca.parse_reason("6", ca.RESOLVE_REASONS) is None
    assert ca.parse_reason("", ca.CANCEL_REASONS) is None
    assert ca.parse_reason("2000", ca.CANCEL_REASONS) == 2000


def test_user_filter_is_a_filter_the_server_accepts_even_with_quotes() -> None:
    from server.api.entities import ENTITY_SETS
    from server.api.records import _filter_fields

    fields = _filter_fields(ENTITY_SETS["systemusers"])
    assert ca.user_filter("") == "isdisabled eq false"
    text = ca.user_filter("O'Brien")
    assert "'O''Brien'" in text
    parse_filter(text, fields)  # raises QueryError when the server would answer 400
