"""Domain errors: stable codes, exact messages, JSON shape."""

from __future__ import annotations

from apm import ApmError, CannotCloseError, LimitError, NotFoundError, TemplateError, ValidationError
from apm.errors import session_not_found, tab_not_found


def test_limit_errors_carry_the_messages_agents_know():
    assert LimitError.sessions().to_dict() == {
        "code": "session_limit_reached",
        "errorCode": 9,
        "message": "Maximum sessions reached. Close a session before opening another.",
    }
    assert LimitError.tabs().to_dict() == {
        "code": "tab_limit_reached",
        "errorCode": 10,
        "message": "Maximum tabs reached. Close a tab in this session before opening another.",
    }


def test_every_error_is_an_apm_error_with_a_default_code():
    for cls, code in [
        (NotFoundError, "not_found"),
        (CannotCloseError, "cannot_close"),
        (ValidationError, "invalid_input"),
        (TemplateError, "invalid_template"),
    ]:
        error = cls("text")
        assert isinstance(error, ApmError)
        assert (error.code, error.message, str(error)) == (code, "text", "text")


def test_not_found_helpers_name_the_id():
    assert session_not_found("s-9").to_dict() == {
        "code": "session_not_found", "errorCode": 5, "message": "No session with id 's-9'."}
    assert tab_not_found("t-9").code == "tab_not_found"


def test_code_can_be_given_explicitly_and_shows_in_repr():
    error = ApmError("Not ready.", code="not_ready")
    assert error.code == "not_ready"
    assert "not_ready" in repr(error)


def test_every_code_has_a_stable_distinct_number():
    from apm.errors import ERROR_CODES, error_code

    assert len(set(ERROR_CODES.values())) == len(ERROR_CODES)
    assert error_code("not_ready") == 2
    assert error_code("no_such_code") == ERROR_CODES["apm_error"]
    assert CannotCloseError("x", code="cannot_close_tab").error_code == 13


def test_home_and_anchor_refusals_use_the_reference_sentences():
    import pytest

    from apm import Workspace

    ws = Workspace()
    with pytest.raises(CannotCloseError, match="^The Home session cannot be closed.$"):
        ws.close_session("home")
    with pytest.raises(CannotCloseError, match="^The title of the Home session cannot be changed.$") as caught:
        ws.set_session_title("home", "Start")
    assert caught.value.code == "cannot_change_title"
    session_id = ws.create_session("msdyn_case_session", {"entityId": "c-1"})
    with pytest.raises(CannotCloseError, match=r"^The anchor tab of a session \(the first tab\) cannot be closed.$"):
        ws.close_tab(ws.session(session_id).tab_ids[0])
