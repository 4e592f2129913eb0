"""The ``Microsoft.Apm``-shaped facade: :class:`Apm` and its session/tab handles.

Handles hold the workspace and an id, never state: every read goes to the
workspace, so a handle never shows stale data, and using a handle whose session
or tab has closed raises ``session_not_found`` / ``tab_not_found``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .errors import tab_not_found
from .events import get_event_publisher_topic
from .model import Workspace
from .navigation import NavSource, NavTarget
from .params import parse_parameters, plain


class TabHandle:
    """A tab, by id. Compares equal to another handle on the same tab.

    Args:
        workspace: The workspace the tab lives in.
        tab_id: The tab's id.
    """

    __slots__ = ("_workspace", "tab_id")

    def __init__(self, workspace: Workspace, tab_id: str) -> None:
        self._workspace = workspace
        self.tab_id = tab_id

    @property
    def session_id(self) -> str:
        """Id of the owning session."""
        return self._workspace.tab(self.tab_id).session_id

    @property
    def title(self) -> str:
        """The tab's title; setting it emits ``tab.updated``."""
        return self._workspace.tab(self.tab_id).title

    @title.setter
    def title(self, value: str) -> None:
        self._workspace.set_tab_title(self.tab_id, value)

    @property
    def can_close(self) -> bool:
        """Whether the agent may close it; setting it emits ``tab.updated``."""
        return self._workspace.tab(self.tab_id).can_close

    @can_close.setter
    def can_close(self, value: bool) -> None:
        self._workspace.set_tab_can_close(self.tab_id, value)

    @property
    def template_name(self) -> str:
        """Unique name of the tab template it shows."""
        return self._workspace.tab(self.tab_id).template_name

    @property
    def page_type(self) -> str:
        """Page type value, e.g. ``"entityrecord"``."""
        return self._workspace.tab(self.tab_id).page_type.value

    @property
    def is_anchor(self) -> bool:
        """True for its session's anchor tab."""
        return self._workspace.tab(self.tab_id).is_anchor

    @property
    def params(self) -> dict:
        """A copy of the resolved template parameters."""
        return plain(self._workspace.tab(self.tab_id).params)

    def focus(self) -> None:
        """Focuses the tab (and its session). See :meth:`Workspace.focus_tab`."""
        self._workspace.focus_tab(self.tab_id)

    def refresh(self) -> None:
        """Emits ``tab.refreshed``. See :meth:`Workspace.refresh_tab`."""
        self._workspace.refresh_tab(self.tab_id)

    def close(self) -> None:
        """Closes the tab. See :meth:`Workspace.close_tab`."""
        self._workspace.close_tab(self.tab_id)

    def to_dict(self) -> dict:
        """Returns ``{tabId, sessionId, title, canClose, templateName, pageType, params, isAnchor}``."""
        return self._workspace.tab(self.tab_id).to_dict()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TabHandle):
            return NotImplemented
        return self._workspace is other._workspace and self.tab_id == other.tab_id

    def __hash__(self) -> int:
        return hash(("tab", self.tab_id))

    def __repr__(self) -> str:
        return f"TabHandle({self.tab_id!r})"


class SessionHandle:
    """A session, by id. Compares equal to another handle on the same session.

    Args:
        workspace: The workspace the session lives in.
        session_id: The session's id.
    """

    __slots__ = ("_workspace", "session_id")

    def __init__(self, workspace: Workspace, session_id: str) -> None:
        self._workspace = workspace
        self.session_id = session_id

    @property
    def is_default(self) -> bool:
        """True for the Home session."""
        return self._workspace.session(self.session_id).is_default

    @property
    def template_name(self) -> str:
        """Unique name of the session template (``""`` for Home)."""
        return self._workspace.session(self.session_id).template_name

    @property
    def title(self) -> str:
        """The session's title; setting it emits ``session.updated`` and stops template re-resolution."""
        return self._workspace.session(self.session_id).title

    @title.setter
    def title(self, value: str) -> None:
        self._workspace.set_session_title(self.session_id, value)

    @property
    def can_close(self) -> bool:
        """Whether the agent may close it; setting it emits ``session.updated``."""
        return self._workspace.session(self.session_id).can_close

    @can_close.setter
    def can_close(self, value: bool) -> None:
        self._workspace.set_session_can_close(self.session_id, value)

    @property
    def notification(self) -> bool:
        """Whether the "wants attention" indicator is up (see :meth:`request_focus`)."""
        return self._workspace.session(self.session_id).notification

    def close(self) -> None:
        """Closes the session. See :meth:`Workspace.close_session`."""
        self._workspace.close_session(self.session_id)

    def focus(self) -> None:
        """Focuses the session. See :meth:`Workspace.focus_session`."""
        self._workspace.focus_session(self.session_id)

    def request_focus(self) -> None:
        """Raises the attention indicator when unfocused. See :meth:`Workspace.request_focus`."""
        self._workspace.request_focus(self.session_id)

    def get_focused_tab(self) -> TabHandle:
        """Returns the session's focused (or, when unfocused, remembered) tab."""
        return TabHandle(self._workspace, self._workspace.session(self.session_id).focused_tab_id)

    def get_all_tabs(self) -> list[str]:
        """Returns the ids of the session's tabs in strip order, anchor first (the reference's ``getAllTabs``)."""
        return list(self._workspace.session(self.session_id).tab_ids)

    def get_tab(self, tab_id: str) -> TabHandle:
        """Returns one of this session's tabs.

        Raises:
            NotFoundError: ``tab_not_found`` when no tab of this session has that id.
        """
        tab = self._workspace.tab(tab_id)
        if tab.session_id != self.session_id:
            raise tab_not_found(tab_id)
        return TabHandle(self._workspace, tab_id)

    def can_create_tab(self) -> bool:
        """Whether one more tab fits in this session."""
        return self._workspace.can_create_tab(self.session_id)

    def create_tab(self, template_name: str, app_context: object = None, is_focused: bool = True) -> str:
        """Creates a tab in this session. See :meth:`Workspace.create_tab`.

        Returns:
            The tab id.
        """
        return self._workspace.create_tab(template_name, app_context, session_id=self.session_id, is_focused=is_focused)

    def update_context(self, values: object) -> None:
        """Merges values into the session context. See :meth:`Workspace.update_context`."""
        self._workspace.update_context(self.session_id, values)

    def get_context(self) -> dict:
        """Returns a copy of the session context."""
        return plain(self._workspace.session(self.session_id).context)

    def resolve_slug(self, text: str) -> str:
        """Resolves slugs against this session's context; unknowns are reported, not raised.

        See :meth:`Workspace.resolve_slug`.
        """
        return self._workspace.resolve_slug(self.session_id, text)

    def to_dict(self) -> dict:
        """Returns the camelCase form: ``sessionId``, ``templateName``, ``isDefault``, ``title``,
        ``canClose``, ``notification``, ``tabIds``, ``focusedTabId``."""
        return self._workspace.session(self.session_id).to_dict()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SessionHandle):
            return NotImplemented
        return self._workspace is other._workspace and self.session_id == other.session_id

    def __hash__(self) -> int:
        return hash(("session", self.session_id))

    def __repr__(self) -> str:
        return f"SessionHandle({self.session_id!r})"


def _with_parameters_str(data: Mapping, context: object) -> object:
    """Merges the JSON-pairs ``parametersStr`` form of an input into its context (explicit keys win)."""
    if data.get("parametersStr") in (None, ""):
        return context
    merged = parse_parameters(data["parametersStr"], what="parametersStr")
    merged.update(parse_parameters(context))
    return merged


class Apm:
    """The ``Microsoft.Apm`` API over one :class:`Workspace`, with snake_case names.

    ``create_session`` and ``create_tab`` also accept the JavaScript input
    object as their first argument (``{"templateName", "sessionContext" |
    "appContext", "isFocused", "sessionId"}``), which is what the bridge passes.

    Args:
        workspace: The workspace; a default one when ``None``.
    """

    def __init__(self, workspace: Workspace | None = None, *, topic_namespace: str = "") -> None:
        self.workspace = workspace if workspace is not None else Workspace()
        self.topic_namespace = topic_namespace

    def create_session(
        self,
        template_name: str | Mapping | None = None,
        session_context: object = None,
        is_focused: bool = True,
    ) -> str:
        """Creates a session. See :meth:`Workspace.create_session`.

        Returns:
            The session id (an existing one when its anchor record was already open).
        """
        if isinstance(template_name, Mapping):
            data = template_name
            template_name = data.get("templateName")
            session_context = _with_parameters_str(data, data.get("sessionContext", session_context))
            is_focused = data.get("isFocused", is_focused)
        return self.workspace.create_session(template_name, session_context, is_focused=is_focused)

    def create_tab(
        self,
        template_name: str | Mapping,
        app_context: object = None,
        is_focused: bool = True,
        session_id: str | None = None,
    ) -> str:
        """Creates a tab (in the focused session by default). See :meth:`Workspace.create_tab`.

        Returns:
            The tab id (an existing one when its record was already open).
        """
        if isinstance(template_name, Mapping):
            data = template_name
            template_name = data.get("templateName")
            app_context = _with_parameters_str(data, data.get("appContext", app_context))
            is_focused = data.get("isFocused", is_focused)
            session_id = data.get("sessionId", session_id)
        return self.workspace.create_tab(template_name, app_context, session_id=session_id, is_focused=is_focused)

    def get_focused_session(self) -> SessionHandle:
        """Returns the focused session."""
        return SessionHandle(self.workspace, self.workspace.focused_session_id)

    def get_session(self, session_id: str) -> SessionHandle:
        """Returns a session.

        Raises:
            NotFoundError: ``session_not_found``.
        """
        return SessionHandle(self.workspace, self.workspace.session(session_id).session_id)

    def get_all_sessions(self) -> list[str]:
        """Returns the ids of every session in bar order, Home first (the reference's ``getAllSessions``)."""
        return self.workspace.session_ids

    def get_tab(self, tab_id: str) -> TabHandle:
        """Returns a tab of any session.

        Raises:
            NotFoundError: ``tab_not_found``.
        """
        return TabHandle(self.workspace, self.workspace.tab(tab_id).tab_id)

    def can_create_session(self) -> bool:
        """Whether one more session fits."""
        return self.workspace.can_create_session()

    def can_create_tab(self, session_id: str | None = None) -> bool:
        """Whether one more tab fits in a session (the focused one by default)."""
        return self.workspace.can_create_tab(session_id)

    def close_session(self, session_id: str) -> None:
        """Closes a session. See :meth:`Workspace.close_session`."""
        self.workspace.close_session(session_id)

    def focus_session(self, session_id: str) -> None:
        """Focuses a session. See :meth:`Workspace.focus_session`."""
        self.workspace.focus_session(session_id)

    def close_tab(self, tab_id: str) -> None:
        """Closes a tab. See :meth:`Workspace.close_tab`."""
        self.workspace.close_tab(tab_id)

    def focus_tab(self, tab_id: str) -> None:
        """Focuses a tab. See :meth:`Workspace.focus_tab`."""
        self.workspace.focus_tab(tab_id)

    def refresh_tab(self, tab_id: str) -> None:
        """Refreshes a tab. See :meth:`Workspace.refresh_tab`."""
        self.workspace.refresh_tab(tab_id)

    def get_event_publisher_topic(self, name: str) -> str:
        """Returns the BroadcastChannel name of a topic. See :func:`apm.events.get_event_publisher_topic`."""
        return get_event_publisher_topic(name, self.topic_namespace)

    def open_record(
        self,
        entity_name: str,
        entity_id: str | None,
        source: NavSource | str,
        *,
        title: str | None = None,
        attributes: Mapping | None = None,
    ) -> tuple[str, str]:
        """Opens a record as a navigation from ``source``. See :meth:`Workspace.open_record`.

        Returns:
            ``(session_id, tab_id)`` opened or focused.
        """
        return self.workspace.open_record(entity_name, entity_id, source, title=title, attributes=attributes)

    def open(self, target: NavTarget, source: NavSource | str) -> tuple[str, str]:
        """Opens any tab target as a navigation from ``source``. See :meth:`Workspace.open`."""
        return self.workspace.open(target, source)

    def subscribe(self, name: str, callback: Callable) -> Callable[[], None]:
        """Subscribes to workspace events (``"*"`` for all).

        Returns:
            A function that removes the subscription.
        """
        return self.workspace.subscribe(name, callback)
