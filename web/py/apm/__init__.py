"""Casework session engine: the multisession workspace behind the ``Microsoft.Apm`` API.

Pure Python (stdlib only, no ``js``/``pyodide``/``pyscript``): it runs under
CPython in tests and in Pyodide in the browser, where a thin bridge module
installs an :class:`Apm` with :func:`install` and forwards JavaScript calls to
the module-level functions below.

Modules: :mod:`~apm.model` (state and mutations), :mod:`~apm.events`,
:mod:`~apm.templates`, :mod:`~apm.slugs`, :mod:`~apm.navigation`,
:mod:`~apm.params`, :mod:`~apm.facade`, :mod:`~apm.errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .errors import (
    ApmError,
    CannotCloseError,
    LimitError,
    NotFoundError,
    TemplateError,
    TemplateNotFoundError,
    ValidationError,
)
from .events import (
    TOPICS,
    Event,
    EventBus,
    SessionClosed,
    SessionCreated,
    SessionFocused,
    SessionUpdated,
    SubscriberError,
    TabClosed,
    TabCreated,
    TabFocused,
    TabRefreshed,
    TabUpdated,
    get_event_publisher_topic,
    topic_message,
)
from .facade import Apm, SessionHandle, TabHandle
from .model import HOME_SESSION_ID, HOME_TAB_ID, CounterIds, Session, SlugReport, Tab, Workspace
from .navigation import NavOutcome, NavSource, NavTarget, decide
from .params import parse_parameters
from .slugs import Resolution, resolve
from .templates import PageType, SessionTemplate, SessionType, TabTemplate, TemplateRegistry

__all__ = [
    "HOME_SESSION_ID",
    "HOME_TAB_ID",
    "TOPICS",
    "Apm",
    "ApmError",
    "CannotCloseError",
    "CounterIds",
    "Event",
    "EventBus",
    "LimitError",
    "NavOutcome",
    "NavSource",
    "NavTarget",
    "NotFoundError",
    "PageType",
    "Resolution",
    "Session",
    "SessionClosed",
    "SessionCreated",
    "SessionFocused",
    "SessionHandle",
    "SessionTemplate",
    "SessionType",
    "SessionUpdated",
    "SlugReport",
    "SubscriberError",
    "Tab",
    "TabClosed",
    "TabCreated",
    "TabFocused",
    "TabHandle",
    "TabRefreshed",
    "TabTemplate",
    "TabUpdated",
    "TemplateError",
    "TemplateNotFoundError",
    "TemplateRegistry",
    "ValidationError",
    "Workspace",
    "can_create_session",
    "can_create_tab",
    "close_session",
    "close_tab",
    "create_session",
    "create_tab",
    "current",
    "decide",
    "focus_session",
    "focus_tab",
    "get_all_sessions",
    "get_event_publisher_topic",
    "get_focused_session",
    "get_session",
    "get_tab",
    "install",
    "open_record",
    "parse_parameters",
    "refresh_tab",
    "resolve",
    "subscribe",
    "topic_message",
    "uninstall",
]

_installed: Apm | None = None


def install(apm: Apm) -> Apm:
    """Makes ``apm`` the instance the module-level functions use.

    Args:
        apm: The :class:`Apm` to install (replacing any previous one).

    Returns:
        ``apm``.

    Raises:
        ValidationError: ``invalid_input`` when ``apm`` is not an :class:`Apm`.
    """
    global _installed
    if not isinstance(apm, Apm):
        raise ValidationError(f"install() needs an Apm instance, not {type(apm).__name__}.")
    _installed = apm
    return apm


def uninstall() -> None:
    """Removes the installed instance (the module functions raise ``not_ready`` again)."""
    global _installed
    _installed = None


def current() -> Apm:
    """Returns the installed :class:`Apm`.

    Raises:
        ApmError: ``not_ready`` when none is installed yet.
    """
    if _installed is None:
        raise ApmError("The workspace is not ready yet: no Apm instance is installed.", code="not_ready")
    return _installed


def create_session(
    template_name: str | Mapping | None = None, session_context: object = None, is_focused: bool = True
) -> str:
    """See :meth:`Apm.create_session`."""
    return current().create_session(template_name, session_context, is_focused)


def create_tab(
    template_name: str | Mapping,
    app_context: object = None,
    is_focused: bool = True,
    session_id: str | None = None,
) -> str:
    """See :meth:`Apm.create_tab`."""
    return current().create_tab(template_name, app_context, is_focused, session_id)


def get_focused_session() -> SessionHandle:
    """See :meth:`Apm.get_focused_session`."""
    return current().get_focused_session()


def get_session(session_id: str) -> SessionHandle:
    """See :meth:`Apm.get_session`."""
    return current().get_session(session_id)


def get_all_sessions() -> list[str]:
    """See :meth:`Apm.get_all_sessions`."""
    return current().get_all_sessions()


def get_tab(tab_id: str) -> TabHandle:
    """See :meth:`Apm.get_tab`."""
    return current().get_tab(tab_id)


def can_create_session() -> bool:
    """See :meth:`Apm.can_create_session`."""
    return current().can_create_session()


def can_create_tab(session_id: str | None = None) -> bool:
    """See :meth:`Apm.can_create_tab`."""
    return current().can_create_tab(session_id)


def close_session(session_id: str) -> None:
    """See :meth:`Apm.close_session`."""
    current().close_session(session_id)


def focus_session(session_id: str) -> None:
    """See :meth:`Apm.focus_session`."""
    current().focus_session(session_id)


def close_tab(tab_id: str) -> None:
    """See :meth:`Apm.close_tab`."""
    current().close_tab(tab_id)


def focus_tab(tab_id: str) -> None:
    """See :meth:`Apm.focus_tab`."""
    current().focus_tab(tab_id)


def refresh_tab(tab_id: str) -> None:
    """See :meth:`Apm.refresh_tab`."""
    current().refresh_tab(tab_id)


def open_record(
    entity_name: str,
    entity_id: str | None,
    source: NavSource | str,
    *,
    title: str | None = None,
    attributes: Mapping | None = None,
) -> tuple[str, str]:
    """See :meth:`Apm.open_record`."""
    return current().open_record(entity_name, entity_id, source, title=title, attributes=attributes)


def subscribe(name: str, callback: Callable) -> Callable[[], None]:
    """See :meth:`Apm.subscribe`."""
    return current().subscribe(name, callback)
