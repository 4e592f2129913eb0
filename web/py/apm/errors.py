"""Domain errors of the session engine, each with a stable snake_case ``code``.

The browser boundary turns an :class:`ApmError` into a rejected Promise (or a
visible notice) using :meth:`ApmError.to_dict`; callers branch on ``code``, never
on the message text.
"""

from __future__ import annotations

# Agents already know these two sentences from the product; keep them verbatim.
SESSION_LIMIT_MESSAGE = "Maximum sessions reached. Close a session before opening another."
TAB_LIMIT_MESSAGE = "Maximum tabs reached. Close a tab in this session before opening another."
# The reference's own sentences for the Home session and the anchor tab.
HOME_CLOSE_MESSAGE = "The Home session cannot be closed."
HOME_TITLE_MESSAGE = "The title of the Home session cannot be changed."
ANCHOR_CLOSE_MESSAGE = "The anchor tab of a session (the first tab) cannot be closed."

#: The numeric ``errorCode`` of each stable ``code`` (the 2020 reference's error shape, ``{errorCode, message}``).
#: Numbers never change meaning; new codes get new numbers.
ERROR_CODES: dict[str, int] = {
    "apm_error": 1,
    "not_ready": 2,
    "invalid_input": 3,
    "not_found": 4,
    "session_not_found": 5,
    "tab_not_found": 6,
    "template_not_found": 7,
    "invalid_template": 8,
    "session_limit_reached": 9,
    "tab_limit_reached": 10,
    "cannot_close": 11,
    "cannot_close_session": 12,
    "cannot_close_tab": 13,
    "cannot_change_title": 14,
    "unknown_topic": 15,
    "record_not_found": 16,
    "internal_error": 99,
}


def error_code(code: str) -> int:
    """The numeric ``errorCode`` of a string ``code`` (``apm_error``'s for a code without its own number)."""
    return ERROR_CODES.get(code, ERROR_CODES["apm_error"])


class ApmError(Exception):
    """Base class of every error the engine raises on purpose.

    Args:
        message: Human-readable explanation (safe to show to an agent).
        code: Stable snake_case code; defaults to the class's ``default_code``.
    """

    default_code = "apm_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.message = message

    @property
    def error_code(self) -> int:
        """The numeric code of :attr:`code` (see :data:`ERROR_CODES`)."""
        return error_code(self.code)

    def to_dict(self) -> dict:
        """Returns the JSON shape shared with JavaScript: ``{"code", "errorCode", "message"}``."""
        return {"code": self.code, "errorCode": self.error_code, "message": self.message}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class LimitError(ApmError):
    """A session or tab limit from the agent profile would be exceeded.

    Codes: ``session_limit_reached``, ``tab_limit_reached``.
    """

    default_code = "session_limit_reached"

    @classmethod
    def sessions(cls) -> LimitError:
        """Returns the error for one session too many."""
        return cls(SESSION_LIMIT_MESSAGE, code="session_limit_reached")

    @classmethod
    def tabs(cls) -> LimitError:
        """Returns the error for one tab too many in a session."""
        return cls(TAB_LIMIT_MESSAGE, code="tab_limit_reached")


class NotFoundError(ApmError):
    """An id or name does not exist.

    Codes: ``session_not_found``, ``tab_not_found``, ``template_not_found``.
    """

    default_code = "not_found"


class CannotCloseError(ApmError):
    """A close request the rules forbid.

    Codes: ``cannot_close_session`` (Home, or ``can_close`` is false),
    ``cannot_close_tab`` (an anchor tab on its own, or ``can_close`` is false) and
    ``cannot_change_title`` (the Home session's title).
    """

    default_code = "cannot_close"


class ValidationError(ApmError):
    """Input of the wrong shape or type. Code: ``invalid_input``."""

    default_code = "invalid_input"


class TemplateError(ApmError):
    """A template is malformed or cannot be resolved. Code: ``invalid_template``."""

    default_code = "invalid_template"


class TemplateNotFoundError(NotFoundError, TemplateError):
    """No template has this unique name. Code: ``template_not_found``.

    It is both a :class:`NotFoundError` and a :class:`TemplateError`, so either
    ``except`` clause catches it.
    """

    default_code = "template_not_found"


def session_not_found(session_id: object) -> NotFoundError:
    """Returns the error for an unknown session id."""
    return NotFoundError(f"No session with id {session_id!r}.", code="session_not_found")


def tab_not_found(tab_id: object) -> NotFoundError:
    """Returns the error for an unknown tab id."""
    return NotFoundError(f"No tab with id {tab_id!r}.", code="tab_not_found")


def template_not_found(kind: str, name: object) -> TemplateNotFoundError:
    """Returns the error for an unknown ``kind`` ("tab" or "session") template."""
    return TemplateNotFoundError(f"No {kind} template named {name!r}.")


def invalid_input(message: str) -> ValidationError:
    """Returns an ``invalid_input`` error with ``message``."""
    return ValidationError(message)
