"""Domain errors: stable codes, exact messages, JSON shape."""

from __future__ import annotations

from apm import ApmError, CannotCloseError, LimitError, NotFoundError, TemplateError, ValidationError
from apm.errors import session_not_found, tab_not_found


def test_limit_errors_carry_the_messages_agents_know():
    assert LimitError.sessions().to_dict() == {
        "code": "session_limit_reached",
        "message": "Maximum sessions reached. Close a session before opening another.",
    }
    assert LimitError.tabs().to_dict() == {
        "code": "tab_limit_reached",
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
    assert session_not_found("s-9").to_dict() == {"code": "session_not_found", "message": "No session with id 's-9'."}
    assert tab_not_found("t-9").code == "tab_not_found"


def test_code_can_be_given_explicitly_and_shows_in_repr():
    error = ApmError("Not ready.", code="not_ready")
    assert error.code == "not_ready"
    assert "not_ready" in repr(error)
