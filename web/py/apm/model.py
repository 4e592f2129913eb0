"""The workspace: sessions and tabs as plain dataclasses holding ids, and every mutation.

Each mutation validates first and raises an :class:`~apm.errors.ApmError`
before touching anything, so a failed call leaves the state exactly as it was.
After the state has changed, the mutation hands its events, in order, to the
bus from one place (:meth:`Workspace._emit`). The orders are documented on each
method and in ``docs/apm-model.md``.

Focus rules (one source of truth: ``focused_session_id`` plus each session's
``focused_tab_id``):

* Exactly one session is focused; the workspace's focused tab is that
  session's ``focused_tab_id``; every session remembers its own focused tab.
* Closing a session's focused tab focuses the tab to its right, else the one
  to its left (an anchor is always first and never closed alone, so there is
  always one).
* Closing the focused session focuses the previous session in bar order (Home
  when the closed session was the first after it).
* Closing anything unfocused leaves the focus alone.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field

from .errors import (
    ANCHOR_CLOSE_MESSAGE,
    HOME_CLOSE_MESSAGE,
    HOME_TITLE_MESSAGE,
    ApmError,
    CannotCloseError,
    LimitError,
    ValidationError,
    invalid_input,
    session_not_found,
    tab_not_found,
)
from .events import (
    EventBus,
    SessionClosed,
    SessionCreated,
    SessionFocused,
    SessionUpdated,
    TabClosed,
    TabCreated,
    TabFocused,
    TabRefreshed,
    TabUpdated,
)
from .navigation import NavOutcome, NavSource, NavTarget, decide
from .params import expand_parameters_str, parse_bool, parse_flag, parse_parameters, parse_text, plain, same
from .slugs import Resolution, first_resolved, resolve
from .templates import (
    GENERIC_SESSION,
    PageType,
    TabSpec,
    TemplateRegistry,
    record_identity,
    resolve_session,
    resolve_tab,
)

HOME_SESSION_ID = "home"
HOME_TAB_ID = "home-dashboard"
HOME_TITLE = "Home"
DASHBOARD_TEMPLATE = "msdyn_dashboard"
DEFAULT_MAX_SESSIONS = 10
DEFAULT_MAX_TABS = 10


class CounterIds:
    """Default id factory: ``"session-1"``, ``"session-2"``, ``"tab-1"``... per kind.

    Any callable ``(kind: str) -> str`` with kind ``"session"`` or ``"tab"``
    can replace it (e.g. one producing UUIDs in the browser).
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def __call__(self, kind: str) -> str:
        count = self._counts.get(kind, 0) + 1
        self._counts[kind] = count
        return f"{kind}-{count}"

    def advance_past(self, ids: Iterable[object]) -> None:
        """Makes later ids come after every ``<kind>-<n>`` in ``ids`` (a restored workspace's ids).

        Other ids (and non-strings) are ignored; counters never go back.
        """
        for item in ids:
            if not isinstance(item, str):
                continue
            kind, _, number = item.rpartition("-")
            # ASCII digits only, and short: int() of a hostile 10,000-digit id would be slow or refused.
            if kind and number.isascii() and number.isdigit() and len(number) <= 18:
                self._counts[kind] = max(self._counts.get(kind, 0), int(number))


@dataclass
class Tab:
    """One tab. It refers to its session by id, never by object.

    Attributes:
        tab_id: Unique id.
        session_id: Id of the owning session.
        template_name: Unique name of the tab template it shows.
        page_type: The template's page type.
        title: Title shown on the tab.
        can_close: Whether the agent may close it (anchors never close alone).
        is_anchor: True for a session's first tab (Home's dashboard included).
        params: Resolved template parameters.
        app_context: The app context it was opened with.
    """

    tab_id: str
    session_id: str
    template_name: str
    page_type: PageType
    title: str
    can_close: bool = True
    is_anchor: bool = False
    params: dict = field(default_factory=dict)
    app_context: dict = field(default_factory=dict)

    @property
    def record(self) -> tuple[str, str] | None:
        """``(entity_name, entity_id)`` lower-cased when it shows a saved record, else ``None``."""
        if self.page_type is not PageType.ENTITY_RECORD:
            return None
        return record_identity(self.params.get("entityName"), self.params.get("entityId"))

    def to_dict(self) -> dict:
        """Returns the camelCase JSON form for the JavaScript bridge."""
        return {
            "tabId": self.tab_id,
            "sessionId": self.session_id,
            "title": self.title,
            "canClose": self.can_close,
            "templateName": self.template_name,
            "pageType": self.page_type.value,
            "params": plain(self.params),
            "isAnchor": self.is_anchor,
        }


@dataclass
class Session:
    """One session. Its tabs are listed by id in tab-strip order.

    Attributes:
        session_id: Unique id (``"home"`` for Home).
        template_name: Session template unique name (``""`` for Home).
        title: Title shown in the session bar.
        title_template: Title candidates from the template; emptied once the
            title is set explicitly, which stops re-resolution on context updates.
        can_close: Whether the agent may close it (never for Home).
        is_default: True only for Home.
        notification: The "wants attention" indicator set by ``request_focus``.
        context: The session context (slug values, ``anchor`` record attributes).
        tab_ids: Tab ids in strip order; the anchor is first.
        focused_tab_id: The tab this session shows (remembered while unfocused).
    """

    session_id: str
    template_name: str
    title: str
    title_template: tuple[str, ...] = ()
    can_close: bool = True
    is_default: bool = False
    notification: bool = False
    context: dict = field(default_factory=dict)
    tab_ids: list[str] = field(default_factory=list)
    focused_tab_id: str = ""

    def to_dict(self) -> dict:
        """Returns the camelCase JSON form for the JavaScript bridge."""
        return {
            "sessionId": self.session_id,
            "templateName": self.template_name,
            "isDefault": self.is_default,
            "title": self.title,
            "canClose": self.can_close,
            "notification": self.notification,
            "tabIds": list(self.tab_ids),
            "focusedTabId": self.focused_tab_id,
        }


@dataclass
class HeldSessions:
    """Sessions taken out of a restored workspace by :meth:`Workspace.hold_sessions` until a gate opens.

    Attributes:
        sessions: The held sessions with their tabs, in bar order.
        focus: ``(session_id, tab_id)`` when the restored focus was in a held session, else ``None``.
        focus_while_held: The focus given instead; focus goes back to ``focus`` on reinstate only if the agent
            has not moved it meanwhile.
    """

    sessions: list[tuple[Session, list[Tab]]] = field(default_factory=list)
    focus: tuple[str, str] | None = None
    focus_while_held: tuple[str, str] | None = None

    @property
    def session_ids(self) -> list[str]:
        return [session.session_id for session, _ in self.sessions]

    def __bool__(self) -> bool:
        return bool(self.sessions)


@dataclass(frozen=True)
class SlugReport:
    """Unknown slugs met while resolving ``text`` for ``session_id``."""

    session_id: str
    text: str
    unknown: tuple[str, ...]


class Workspace:
    """All sessions and tabs of one agent, and every operation on them.

    Args:
        max_sessions: Session limit from the agent profile, Home included.
        max_tabs: Tab limit per session (Home included).
        templates: Template registry; a fresh one with the built-ins by default.
            It must hold ``msdyn_dashboard``, the Home tab.
        id_factory: ``(kind) -> id`` for new sessions and tabs; :class:`CounterIds` by default.
        bus: Event bus; a fresh :class:`~apm.events.EventBus` by default.
        on_unknown_slug: Called with a :class:`SlugReport` when
            :meth:`resolve_slug` meets unknown slugs (they are also kept in
            :attr:`slug_reports`).

    Raises:
        ValidationError: ``invalid_input`` for limits that are not integers >= 1.
    """

    def __init__(
        self,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        max_tabs: int = DEFAULT_MAX_TABS,
        templates: TemplateRegistry | None = None,
        id_factory: Callable[[str], str] | None = None,
        *,
        bus: EventBus | None = None,
        on_unknown_slug: Callable[[SlugReport], object] | None = None,
    ) -> None:
        for name, value in (("max_sessions", max_sessions), ("max_tabs", max_tabs)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise invalid_input(f"{name} must be an integer of at least 1, not {value!r}.")
        self.max_sessions = max_sessions
        self.max_tabs = max_tabs
        self.templates = templates if templates is not None else TemplateRegistry()
        self.id_factory = id_factory or CounterIds()
        self.bus = bus if bus is not None else EventBus()
        self.on_unknown_slug = on_unknown_slug
        self.slug_reports: deque[SlugReport] = deque(maxlen=100)
        # State. `sessions` is in session-bar order (dicts keep insertion order).
        self.sessions: dict[str, Session] = {}
        self.tabs: dict[str, Tab] = {}
        self.focused_session_id = HOME_SESSION_ID
        # Derived index record -> tab id, kept in step with `tabs` for O(1) dedupe.
        self._records: dict[tuple[str, str], str] = {}
        self._create_home()

    @classmethod
    def from_profile(cls, profile: Mapping | None, **kwargs: object) -> Workspace:
        """Builds a workspace with the limits of an agent profile.

        Args:
            profile: Mapping with optional ``maxSessions`` / ``maxTabs``
                (``max_sessions`` / ``max_tabs`` also accepted).
            **kwargs: Passed to the constructor.

        Raises:
            ValidationError: ``invalid_input`` for bad limits.
        """
        profile = profile or {}
        return cls(
            max_sessions=profile.get("maxSessions", profile.get("max_sessions", DEFAULT_MAX_SESSIONS)),
            max_tabs=profile.get("maxTabs", profile.get("max_tabs", DEFAULT_MAX_TABS)),
            **kwargs,
        )

    def _create_home(self) -> None:
        # Built directly (no events): Home exists before anyone can subscribe.
        spec = resolve_tab(self.templates.tab_template(DASHBOARD_TEMPLATE), {}, {}, title="Dashboard")
        self.sessions[HOME_SESSION_ID] = Session(
            session_id=HOME_SESSION_ID,
            template_name="",
            title=HOME_TITLE,
            can_close=False,
            is_default=True,
        )
        self._add_tab(self.sessions[HOME_SESSION_ID], HOME_TAB_ID, spec, is_anchor=True, can_close=False)
        self.sessions[HOME_SESSION_ID].focused_tab_id = HOME_TAB_ID

    # --- Queries -------------------------------------------------------------

    @property
    def session_ids(self) -> list[str]:
        """Session ids in session-bar order; Home first."""
        return list(self.sessions)

    @property
    def focused_session(self) -> Session:
        """The focused session."""
        return self.sessions[self.focused_session_id]

    @property
    def focused_tab_id(self) -> str:
        """The workspace's focused tab: the focused session's focused tab."""
        return self.sessions[self.focused_session_id].focused_tab_id

    def session(self, session_id: object) -> Session:
        """Returns the session with ``session_id``.

        Raises:
            NotFoundError: ``session_not_found``.
        """
        session = self.sessions.get(session_id) if isinstance(session_id, str) else None
        if session is None:
            raise session_not_found(session_id)
        return session

    def tab(self, tab_id: object) -> Tab:
        """Returns the tab with ``tab_id``.

        Raises:
            NotFoundError: ``tab_not_found``.
        """
        tab = self.tabs.get(tab_id) if isinstance(tab_id, str) else None
        if tab is None:
            raise tab_not_found(tab_id)
        return tab

    def can_create_session(self) -> bool:
        """Whether one more session fits in ``max_sessions`` (Home counts)."""
        return len(self.sessions) < self.max_sessions

    def can_create_tab(self, session_id: str | None = None) -> bool:
        """Whether one more tab fits in the session (the focused one by default).

        Raises:
            NotFoundError: ``session_not_found``.
        """
        session = self.session(self.focused_session_id if session_id is None else session_id)
        return len(session.tab_ids) < self.max_tabs

    def find_record(self, entity_name: str, entity_id: str) -> str | None:
        """Returns the id of the tab showing a record, or ``None`` when it is not open."""
        identity = record_identity(entity_name, entity_id)
        return self._records.get(identity) if identity else None

    def snapshot(self) -> dict:
        """Returns a deep copy of the whole state as plain data (for tests and debugging)."""
        return {
            "focused_session_id": self.focused_session_id,
            "sessions": [asdict(s) for s in self.sessions.values()],
            "tabs": {tab_id: asdict(t) for tab_id, t in self.tabs.items()},
            "records": dict(self._records),
        }

    def to_dict(self) -> dict:
        """Returns the camelCase state the shell renders: sessions in order, tabs by id."""
        return {
            "focusedSessionId": self.focused_session_id,
            "focusedTabId": self.focused_tab_id,
            "maxSessions": self.max_sessions,
            "maxTabs": self.max_tabs,
            "sessions": [s.to_dict() for s in self.sessions.values()],
            "tabs": {tab_id: t.to_dict() for tab_id, t in self.tabs.items()},
        }

    def subscribe(self, name: str, callback: Callable) -> Callable[[], None]:
        """Subscribes to events; see :meth:`apm.events.EventBus.subscribe`."""
        return self.bus.subscribe(name, callback)

    def resolve_slug(self, session_id: str, text: object, *, url: bool = False) -> str:
        """Resolves slugs in ``text`` against a session's context.

        Unknown slugs become ``""``; they are recorded as a :class:`SlugReport`
        in :attr:`slug_reports` and passed to ``on_unknown_slug``.

        Args:
            session_id: The session whose context is used.
            text: Text with ``{key}`` / ``${key}`` slugs.
            url: Percent-encode substituted values.

        Returns:
            The resolved text.

        Raises:
            NotFoundError: ``session_not_found``.
            ValidationError: ``invalid_input`` when ``text`` is not a string.
        """
        session = self.session(session_id)
        result: Resolution = resolve(parse_text(text, "text"), session.context, url=url)
        if result.unknown:
            report = SlugReport(session_id, text, result.unknown)
            self.slug_reports.append(report)
            if self.on_unknown_slug is not None:
                try:
                    self.on_unknown_slug(report)
                except Exception:  # reporting is best effort; resolution never raises for it
                    pass
        return result.text

    # --- Mutations -----------------------------------------------------------

    def create_session(
        self,
        template_name: str | None = None,
        context: object = None,
        *,
        is_focused: bool = True,
        anchor_title: str | None = None,
    ) -> str:
        """Creates a session from a session template, with its anchor and additional tabs.

        If the anchor's record is already open in any tab, no session is created:
        that tab is focused (when ``is_focused``) and its session id returned.
        Additional tabs whose record is already open are skipped.

        Events (focused): ``session.created``, ``tab.created`` (anchor),
        ``tab.created`` (each additional tab), ``session.focused``,
        ``tab.focused``. Unfocused: the same without the last two.

        Args:
            template_name: Session template (``msdyn_generic_session`` when ``None``).
            context: Session context in any :func:`~apm.params.parse_parameters` form.
            is_focused: Whether the new session gets the focus.
            anchor_title: Explicit title for the anchor tab.

        Returns:
            The new (or already open) session id.

        Raises:
            TemplateNotFoundError: ``template_not_found``.
            TemplateError: ``invalid_template`` when a tab cannot be resolved.
            ValidationError: ``invalid_input`` for a malformed context.
            LimitError: ``session_limit_reached``; ``tab_limit_reached`` when the
                template has more tabs than ``max_tabs``.
        """
        events: list = []
        session_id, _ = self._create_session(template_name, context, is_focused, anchor_title, None, events)
        self._emit(events)
        return session_id

    def _create_session(
        self,
        template_name: str | None,
        context: object,
        is_focused: object,
        anchor_title: str | None,
        anchor_app_context: dict | None,
        events: list,
    ) -> tuple[str, str]:
        template = self.templates.session_template(GENERIC_SESSION if template_name is None else template_name)
        context = expand_parameters_str(parse_parameters(context, what="sessionContext"), "sessionContext")
        is_focused = parse_flag(is_focused, "isFocused", True)
        plan = resolve_session(
            self.templates,
            template,
            context,
            anchor_title=anchor_title,
            anchor_app_context=anchor_app_context,
        )
        existing = self._records.get(plan.anchor.record) if plan.anchor.record else None
        if existing is not None:
            if is_focused:
                self._focus_tab(existing, events)
            return self.tabs[existing].session_id, existing
        if len(self.sessions) >= self.max_sessions:
            raise LimitError.sessions()
        specs = [plan.anchor]
        seen = {plan.anchor.record}
        for spec in plan.additional:
            if spec.record is not None and (spec.record in seen or spec.record in self._records):
                continue
            seen.add(spec.record)
            specs.append(spec)
        if len(specs) > self.max_tabs:
            raise LimitError.tabs()
        session_id = self._new_id("session")
        tab_ids = [self._new_id("tab") for _ in specs]
        if len(set(tab_ids)) != len(tab_ids):
            raise invalid_input("The id factory returned the same tab id twice.")
        # Validation is over: from here on nothing raises.
        session = Session(
            session_id=session_id,
            template_name=template.unique_name,
            title=plan.title,
            title_template=plan.title_template,
            context=context,
        )
        self.sessions[session_id] = session
        events.append(SessionCreated(session_id, template.unique_name, session.title))
        for index, (tab_id, spec) in enumerate(zip(tab_ids, specs, strict=True)):
            self._add_tab(session, tab_id, spec, is_anchor=index == 0)
            events.append(TabCreated(session_id, tab_id, spec.template_name, spec.title))
        session.focused_tab_id = tab_ids[0]
        if is_focused:
            self._focus(session_id, tab_ids[0], events)
        return session_id, tab_ids[0]

    def create_tab(
        self,
        template_name: str,
        app_context: object = None,
        *,
        session_id: str | None = None,
        is_focused: bool = True,
        title: str | None = None,
    ) -> str:
        """Appends a tab to a session (the focused one by default).

        If the tab would show a record already open in any tab, no tab is
        created: that tab is focused (when ``is_focused``) and its id returned.
        ``is_focused`` makes the new tab the workspace's focused tab, focusing
        its session too when that session was not focused.

        Events: ``tab.created``; then when focused ``tab.focused`` — preceded by
        ``session.focused`` (and followed by ``session.updated`` if its
        notification was cleared) when the session was not focused.

        Args:
            template_name: Tab template unique name.
            app_context: Parameters in any :func:`~apm.params.parse_parameters` form.
            session_id: Target session; the focused session when ``None``.
            is_focused: Whether the new tab gets the focus.
            title: Explicit title overriding the template's.

        Returns:
            The new (or already open) tab id.

        Raises:
            NotFoundError: ``session_not_found``.
            TemplateNotFoundError: ``template_not_found``.
            TemplateError: ``invalid_template`` when the template cannot be resolved.
            ValidationError: ``invalid_input`` for malformed input.
            LimitError: ``tab_limit_reached``.
        """
        events: list = []
        tab_id = self._create_tab(template_name, app_context, session_id, is_focused, title, events)
        self._emit(events)
        return tab_id

    def _create_tab(
        self,
        template_name: str,
        app_context: object,
        session_id: str | None,
        is_focused: object,
        title: str | None,
        events: list,
    ) -> str:
        session = self.session(self.focused_session_id if session_id is None else session_id)
        template = self.templates.tab_template(template_name)
        app_context = expand_parameters_str(parse_parameters(app_context, what="appContext"), "appContext")
        is_focused = parse_flag(is_focused, "isFocused", True)
        if title is not None:
            parse_text(title, "title")
        spec = resolve_tab(template, app_context, session.context, title=title)
        existing = self._records.get(spec.record) if spec.record else None
        if existing is not None:
            if is_focused:
                self._focus_tab(existing, events)
            return existing
        if len(session.tab_ids) >= self.max_tabs:
            raise LimitError.tabs()
        tab_id = self._new_id("tab")
        self._add_tab(session, tab_id, spec, is_anchor=False)
        events.append(TabCreated(session.session_id, tab_id, spec.template_name, spec.title))
        if is_focused:
            self._focus(session.session_id, tab_id, events)
        return tab_id

    def close_session(self, session_id: str) -> None:
        """Closes a session and all its tabs (whatever their ``can_close``).

        If it was focused, the previous session in bar order gets the focus
        (Home when there is none before it); otherwise the focus is unchanged.

        Events: ``tab.closed`` for each tab in strip order (anchor first),
        ``session.closed``; then, if it was focused, ``session.focused`` and
        ``tab.focused`` for the new focus (plus ``session.updated`` when that
        session's notification is cleared).

        Raises:
            NotFoundError: ``session_not_found``.
            CannotCloseError: ``cannot_close_session`` for Home or when ``can_close`` is false.
        """
        session = self.session(session_id)
        if session.is_default:
            raise CannotCloseError(HOME_CLOSE_MESSAGE, code="cannot_close_session")
        if not session.can_close:
            raise CannotCloseError(f"Session {session_id!r} can't be closed.", code="cannot_close_session")
        order = list(self.sessions)
        was_focused = self.focused_session_id == session_id
        events: list = []
        for tab_id in session.tab_ids:
            self._drop_tab(tab_id)
            events.append(TabClosed(session_id, tab_id))
        del self.sessions[session_id]
        events.append(SessionClosed(session_id))
        if was_focused:
            # Home is first and never closed, so index >= 1 and a previous session exists.
            successor = self.sessions[order[order.index(session_id) - 1]]
            self._focus(
                successor.session_id,
                successor.focused_tab_id,
                events,
                previous_session_id=session_id,
                previous_tab_id=session.focused_tab_id,
            )
        self._emit(events)

    def close_tab(self, tab_id: str) -> None:
        """Closes one tab.

        If it was its session's focused tab, the tab to its right becomes the
        session's focused tab, else the one to its left. That is a workspace
        focus change (``tab.focused``) only when the session is focused.

        Events: ``tab.closed``; then ``tab.focused`` (``previous_tab_id`` = the
        closed tab) when it was the workspace's focused tab.

        Raises:
            NotFoundError: ``tab_not_found``.
            CannotCloseError: ``cannot_close_tab`` for an anchor tab (close its
                session instead) or when ``can_close`` is false.
        """
        tab = self.tab(tab_id)
        if tab.is_anchor:
            raise CannotCloseError(ANCHOR_CLOSE_MESSAGE, code="cannot_close_tab")
        if not tab.can_close:
            raise CannotCloseError(f"Tab {tab_id!r} can't be closed.", code="cannot_close_tab")
        session = self.sessions[tab.session_id]
        index = session.tab_ids.index(tab_id)
        was_session_focus = session.focused_tab_id == tab_id
        session.tab_ids.pop(index)
        self._drop_tab(tab_id)
        events: list = [TabClosed(session.session_id, tab_id)]
        if was_session_focus:
            # Right neighbour, else left: index 0 is the anchor, so the left one exists.
            neighbour = session.tab_ids[index] if index < len(session.tab_ids) else session.tab_ids[index - 1]
            if session.session_id == self.focused_session_id:
                self._focus(session.session_id, neighbour, events, previous_tab_id=tab_id)
            else:
                session.focused_tab_id = neighbour
        self._emit(events)

    def focus_session(self, session_id: str) -> None:
        """Focuses a session, showing its remembered focused tab; clears its notification.

        Focusing the focused session does nothing.

        Events: ``session.focused``, ``tab.focused``, then ``session.updated``
        (``notification``) if the indicator was set.

        Raises:
            NotFoundError: ``session_not_found``.
        """
        session = self.session(session_id)
        if session_id == self.focused_session_id:
            return
        events: list = []
        self._focus(session_id, session.focused_tab_id, events)
        self._emit(events)

    def focus_tab(self, tab_id: str) -> None:
        """Focuses a tab, and its session when that is not focused.

        Focusing the focused tab does nothing.

        Events: ``tab.focused``; preceded by ``session.focused`` and followed by
        ``session.updated`` (notification cleared) when the session changes.

        Raises:
            NotFoundError: ``tab_not_found``.
        """
        self.tab(tab_id)
        events: list = []
        self._focus_tab(tab_id, events)
        self._emit(events)

    def refresh_tab(self, tab_id: str) -> None:
        """Asks the tab's content to reload; the model does not change.

        Events: ``tab.refreshed``.

        Raises:
            NotFoundError: ``tab_not_found``.
        """
        tab = self.tab(tab_id)
        self._emit([TabRefreshed(tab.session_id, tab_id)])

    def request_focus(self, session_id: str) -> None:
        """Raises the "wants attention" indicator on an unfocused session.

        The indicator is cleared when the session gets the focus. On the
        focused session, or when the indicator is already up, it does nothing.

        Events: ``session.updated`` (``notification``) when the indicator goes up.

        Raises:
            NotFoundError: ``session_not_found``.
        """
        session = self.session(session_id)
        if session_id == self.focused_session_id or session.notification:
            return
        session.notification = True
        self._emit([SessionUpdated(session_id, ("notification",))])

    def update_context(self, session_id: str, values: object) -> None:
        """Merges ``values`` into a session's context (top-level keys replace).

        When the title came from the session template and was never set
        explicitly, it is re-resolved with the new context. Tabs keep their
        resolved parameters.

        Events: ``session.updated`` with ``("context",)`` or
        ``("context", "title")``, only when something changed.

        Args:
            session_id: The session.
            values: Keys to set, in any :func:`~apm.params.parse_parameters` form.

        Raises:
            NotFoundError: ``session_not_found``.
            ValidationError: ``invalid_input`` for malformed values.
        """
        session = self.session(session_id)
        values = parse_parameters(values, what="context")
        context = {**session.context, **values}
        if same(context, session.context):
            return
        session.context = context
        changed: tuple[str, ...] = ("context",)
        if session.title_template:
            anchor_title = self.tabs[session.tab_ids[0]].title
            title = first_resolved(session.title_template, context) or anchor_title
            if title != session.title:
                session.title = title
                changed = ("context", "title")
        self._emit([SessionUpdated(session_id, changed)])

    def set_session_title(self, session_id: str, title: object) -> None:
        """Sets a session's title explicitly (it is no longer re-resolved from the template).

        Events: ``session.updated`` (``title``) when it changed.

        Raises:
            NotFoundError: ``session_not_found``.
            ValidationError: ``invalid_input`` when ``title`` is not a string.
            CannotCloseError: ``cannot_change_title`` for the Home session.
        """
        session = self.session(session_id)
        title = parse_text(title, "title")
        if session.is_default:
            raise CannotCloseError(HOME_TITLE_MESSAGE, code="cannot_change_title")
        session.title_template = ()
        if title != session.title:
            session.title = title
            self._emit([SessionUpdated(session_id, ("title",))])

    def set_session_can_close(self, session_id: str, can_close: object) -> None:
        """Sets whether the agent may close a session.

        Events: ``session.updated`` (``can_close``) when it changed.

        Raises:
            NotFoundError: ``session_not_found``.
            ValidationError: ``invalid_input`` when ``can_close`` is not a bool.
            CannotCloseError: ``cannot_close_session`` when making Home closable.
        """
        session = self.session(session_id)
        can_close = parse_bool(can_close, "canClose")
        if session.is_default and can_close:
            raise CannotCloseError("The Home session can't be made closable.", code="cannot_close_session")
        if can_close != session.can_close:
            session.can_close = can_close
            self._emit([SessionUpdated(session_id, ("can_close",))])

    def set_tab_title(self, tab_id: str, title: object) -> None:
        """Sets a tab's title.

        Events: ``tab.updated`` (``title``) when it changed.

        Raises:
            NotFoundError: ``tab_not_found``.
            ValidationError: ``invalid_input`` when ``title`` is not a string.
        """
        tab = self.tab(tab_id)
        title = parse_text(title, "title")
        if title != tab.title:
            tab.title = title
            self._emit([TabUpdated(tab.session_id, tab_id, ("title",))])

    def set_tab_can_close(self, tab_id: str, can_close: object) -> None:
        """Sets whether the agent may close a tab. An anchor still never closes on its own.

        Events: ``tab.updated`` (``can_close``) when it changed.

        Raises:
            NotFoundError: ``tab_not_found``.
            ValidationError: ``invalid_input`` when ``can_close`` is not a bool.
        """
        tab = self.tab(tab_id)
        can_close = parse_bool(can_close, "canClose")
        if can_close != tab.can_close:
            tab.can_close = can_close
            self._emit([TabUpdated(tab.session_id, tab_id, ("can_close",))])

    def navigate_tab(
        self,
        tab_id: str,
        template_name: str,
        app_context: object = None,
        *,
        title: str | None = None,
    ) -> str:
        """Shows another template/parameters in an existing tab (it keeps id, place and ``can_close``).

        If the target record is already open in another tab, this tab is left
        alone and the other one is focused instead.

        Events: ``tab.updated`` naming the fields that changed (any of
        ``template_name``, ``page_type``, ``params``, ``title``, ``app_context``),
        or the focus events of :meth:`focus_tab` for an already open record.

        Args:
            tab_id: The tab to navigate (not an anchor).
            template_name: Tab template to show.
            app_context: Its parameters.
            title: Explicit title.

        Returns:
            The id of the tab now showing the target.

        Raises:
            NotFoundError: ``tab_not_found``.
            ValidationError: ``invalid_input`` for an anchor tab (it defines its session).
            TemplateNotFoundError, TemplateError: when the target cannot be resolved.
        """
        events: list = []
        result = self._navigate_tab(tab_id, template_name, app_context, title, events)
        self._emit(events)
        return result

    def _navigate_tab(
        self, tab_id: str, template_name: str, app_context: object, title: str | None, events: list
    ) -> str:
        tab = self.tab(tab_id)
        if tab.is_anchor:
            raise ValidationError("An anchor tab can't navigate away: it defines its session.")
        template = self.templates.tab_template(template_name)
        app_context = parse_parameters(app_context, what="appContext")
        if title is not None:
            parse_text(title, "title")
        spec = resolve_tab(template, app_context, self.sessions[tab.session_id].context, title=title)
        existing = self._records.get(spec.record) if spec.record else None
        if existing is not None and existing != tab_id:
            self._focus_tab(existing, events)
            return existing
        new_values = {
            "template_name": spec.template_name,
            "page_type": spec.page_type,
            "params": spec.params,
            "title": spec.title,
            "app_context": spec.app_context,
        }
        changed = tuple(name for name, value in new_values.items() if not same(getattr(tab, name), value))
        if changed:
            self._unindex(tab)
            for name in changed:
                setattr(tab, name, new_values[name])
            self._index(tab)
            events.append(TabUpdated(tab.session_id, tab_id, changed))
        return tab_id

    def open(self, target: NavTarget, source: NavSource | str, *, keep_tab: bool = False) -> tuple[str, str]:
        """Opens ``target`` the way a navigation from ``source`` does.

        1. Dedupe: a record already open in any tab focuses that tab (and its session).
        2. Otherwise :func:`~apm.navigation.decide` picks the outcome:
           ``NEW_SESSION`` creates a focused session from the entity's session
           template (``incident`` -> case, ``account``, ``contact``, else
           generic) anchored on the target; ``NEW_TAB`` creates a focused tab in
           the focused session; ``FOCUSED_SESSION`` navigates the focused tab in
           place when it is closable and not an anchor (and not ``keep_tab``),
           else creates a tab like ``NEW_TAB``.

        Events: those of the operation it performs.

        Args:
            target: What to open.
            source: Where the navigation started.
            keep_tab: Never replace the focused tab (the search results page keeps its results and the record
                opens in a new tab beside it).

        Returns:
            ``(session_id, tab_id)`` opened or focused.

        Raises:
            LimitError: when the outcome needs a session or tab that does not fit.
            TemplateNotFoundError, TemplateError, ValidationError: for a bad target.
        """
        source = NavSource.parse(source)
        if not isinstance(target, NavTarget):
            raise invalid_input("target must be a NavTarget.")
        events: list = []
        result = self._open(target, source, events, keep_tab=keep_tab)
        self._emit(events)
        return result

    def _open(self, target: NavTarget, source: NavSource, events: list, *, keep_tab: bool = False
              ) -> tuple[str, str]:
        template = self.templates.tab_template(target.template_name)
        app_context = parse_parameters(target.app_context, what="appContext")
        attributes = parse_parameters(target.attributes, what="attributes")
        focused = self.focused_session
        spec: TabSpec = resolve_tab(template, app_context, focused.context, title=target.title)
        existing = self._records.get(spec.record) if spec.record else None
        if existing is not None:
            self._focus_tab(existing, events)
            return self.tabs[existing].session_id, existing
        outcome = decide(source, focused_is_home=focused.is_default)
        if outcome is NavOutcome.NEW_SESSION:
            session_name, context = self._session_for(target, app_context, attributes)
            return self._create_session(session_name, context, True, target.title, app_context, events)
        if outcome is NavOutcome.FOCUSED_SESSION and not keep_tab:
            tab = self.tabs[focused.focused_tab_id]
            if tab.can_close and not tab.is_anchor:
                tab_id = self._navigate_tab(tab.tab_id, target.template_name, app_context, target.title, events)
                return self.tabs[tab_id].session_id, tab_id
        tab_id = self._create_tab(target.template_name, app_context, focused.session_id, True, target.title, events)
        return focused.session_id, tab_id

    def _session_for(self, target: NavTarget, app_context: dict, attributes: dict) -> tuple[str, dict]:
        """Returns the session template and context for a ``NEW_SESSION`` navigation.

        The entity's session template comes from the templates' ``entity``; the context keys it reads come from
        its ``record_context`` (template data: no per-template branches here).
        """
        entity = target.entity_name
        name = self.templates.session_template_for_entity(entity) if entity else GENERIC_SESSION
        if name != GENERIC_SESSION:
            entity_id = app_context.get("entityId")
            template = self.templates.session_template(name)
            return name, template.context_for_record(
                entity, entity_id if isinstance(entity_id, str) else None, target.title, attributes)
        context: dict = {}
        if attributes:
            context["anchor"] = attributes
        if entity:
            context["entityName"] = entity
            if isinstance(app_context.get("entityId"), str):
                context["entityId"] = app_context["entityId"]
        context["anchorTab"] = {"templateName": target.template_name, "appContext": app_context}
        if target.title:
            context["anchorTab"]["title"] = target.title
        return name, context

    def open_record(
        self,
        entity_name: str,
        entity_id: str | None,
        source: NavSource | str,
        *,
        title: str | None = None,
        attributes: Mapping | None = None,
    ) -> tuple[str, str]:
        """Opens an entity record (``entity_id=None``: a new record) as from ``source``.

        See :meth:`open` for the rules. ``attributes`` (record attribute values)
        become the ``anchor`` of a new session, feeding ``{anchor.*}`` slugs.

        Returns:
            ``(session_id, tab_id)`` opened or focused.

        Raises:
            ValidationError: ``invalid_input`` for a blank entity name or a non-text id.
            LimitError: when a session or tab does not fit.
        """
        if not isinstance(entity_name, str) or not entity_name.strip():
            raise invalid_input("entity_name must be a non-empty string.")
        if entity_id is not None and not isinstance(entity_id, str):
            raise invalid_input("entity_id must be a string or None.")
        if title is not None:
            parse_text(title, "title")
        target = NavTarget.record(
            entity_name.strip(),
            entity_id,
            title=title,
            attributes=parse_parameters(attributes, what="attributes"),
        )
        return self.open(target, source)

    # --- Restore, held sessions and invariants -------------------------------
    #
    # Session restore rebuilds a workspace and the presence gate holds some of its sessions back; both go through
    # these verbs so that no module outside the model sets its fields or repeats its focus rule. Rebuilding and
    # holding happen before anything is painted and announce nothing (a restore emits no events, see
    # ``apm.snapshot.rehydrate``); :meth:`reinstate_sessions` announces what comes back with the usual events.

    def add_restored_session(self, session: Session) -> None:
        """Appends a session rebuilt from saved data (no tabs yet: add them with :meth:`add_restored_tab`).

        Silent (restore emits no events). Raises ``invalid_input`` for a taken id or a full session bar.
        """
        if session.session_id in self.sessions or session.session_id in self.tabs:
            raise invalid_input(f"The session id {session.session_id!r} is taken.")
        if len(self.sessions) >= self.max_sessions:
            raise invalid_input(f"No room for session {session.session_id!r}: the limit is {self.max_sessions}.")
        session.tab_ids = []
        self.sessions[session.session_id] = session

    def add_restored_tab(self, session_id: str, tab_id: str, spec: TabSpec, *, is_anchor: bool) -> Tab:
        """Appends a tab rebuilt from saved data to a session's strip (indexed for record dedupe). Silent."""
        session = self.session(session_id)
        if tab_id in self.tabs or tab_id in self.sessions:
            raise invalid_input(f"The tab id {tab_id!r} is taken.")
        return self._add_tab(session, tab_id, spec, is_anchor=is_anchor)

    def restore_session_fields(self, session_id: str, **values: object) -> None:
        """Sets saved fields of a rebuilt session (``title``, ``notification``, ``context``...). Silent."""
        self._set_fields(self.session(session_id), values, ("title", "notification", "context", "can_close"))

    def restore_tab_fields(self, tab_id: str, **values: object) -> None:
        """Sets saved fields of a rebuilt tab (``title``, ``can_close``). Silent."""
        self._set_fields(self.tab(tab_id), values, ("title", "can_close"))

    def restore_focus(self, session_id: str, focused_tabs: Mapping[str, str]) -> None:
        """Gives every session its restored focused tab and the workspace its focused session, by the focus
        rule (the focused session never shows the attention indicator). Silent."""
        for sid, tab_id in focused_tabs.items():
            session = self.session(sid)
            if tab_id not in session.tab_ids:
                raise invalid_input(f"Session {sid!r} does not hold tab {tab_id!r}.")
            session.focused_tab_id = tab_id
        session = self.session(session_id)
        self._focus(session_id, session.focused_tab_id, [],
                    previous_session_id=session_id, previous_tab_id=session.focused_tab_id)

    def hold_sessions(self, template_names: Iterable[str]) -> HeldSessions:
        """Takes the sessions of ``template_names`` out (Home never), before the first paint; no events.

        When the focused session is held, the focus moves as if it had been closed (the previous session in bar
        order, else Home), by the focus rule (which clears that session's attention indicator); it is given back
        by :meth:`reinstate_sessions`.
        """
        names = set(template_names)
        held = HeldSessions()
        order = list(self.sessions)
        focused = (self.focused_session_id, self.focused_tab_id)
        for session_id in order:
            session = self.sessions[session_id]
            if session_id == HOME_SESSION_ID or session.template_name not in names:
                continue
            tabs = [self.tabs[tab_id] for tab_id in session.tab_ids]
            for tab in tabs:
                self._drop_tab(tab.tab_id)
            del self.sessions[session_id]
            held.sessions.append((session, tabs))
        if held and self.focused_session_id not in self.sessions:
            held.focus = focused
            index = order.index(self.focused_session_id)
            previous = next((sid for sid in reversed(order[:index]) if sid in self.sessions), HOME_SESSION_ID)
            self._focus(previous, self.sessions[previous].focused_tab_id, [],
                        previous_session_id=focused[0], previous_tab_id=focused[1])
            held.focus_while_held = (previous, self.focused_tab_id)
        return held

    def reinstate_sessions(self, held: HeldSessions) -> list[str]:
        """Puts held sessions back at the end of the session bar (saved order kept), with ``session.created`` and
        ``tab.created`` events; the focus goes back to them (``session.focused``/``tab.focused``) when it was
        theirs and has not moved meanwhile.

        A session no longer fits when the agent opened others meanwhile up to the session limit, and a tab is left
        out when its record is open elsewhere now (the agent opened it meanwhile); each such case is a note.

        Returns:
            Notes for a notice (empty when everything came back).
        """
        notes: list[str] = []
        events: list = []
        for session, tabs in held.sessions:
            if session.session_id in self.sessions or len(self.sessions) >= self.max_sessions:
                notes.append(f"Session {session.title!r} could not come back: the limit is {self.max_sessions} "
                             "sessions.")
                continue
            anchor = tabs[0] if tabs else None
            if anchor is None or self._taken(anchor):
                notes.append(f"Session {session.title!r} could not come back: its record is open in another session.")
                continue
            kept = [anchor]
            for tab in tabs[1:]:
                if self._taken(tab):
                    notes.append(f"Tab {tab.title!r} of {session.title!r} did not come back: its record is open "
                                 "elsewhere.")
                else:
                    kept.append(tab)
            session.tab_ids = [tab.tab_id for tab in kept]
            if session.focused_tab_id not in session.tab_ids:
                session.focused_tab_id = anchor.tab_id
            self.sessions[session.session_id] = session
            events.append(SessionCreated(session.session_id, session.template_name, session.title))
            for tab in kept:
                self.tabs[tab.tab_id] = tab
                self._index(tab)
                events.append(TabCreated(session.session_id, tab.tab_id, tab.template_name, tab.title))
        if held.focus is not None and held.focus_while_held == (self.focused_session_id, self.focused_tab_id):
            session_id, _tab_id = held.focus
            if session_id in self.sessions:
                self._focus(session_id, self.sessions[session_id].focused_tab_id, events)
        held.sessions = []
        self._emit(events)
        return notes

    def title_is_explicit(self, session_id: str) -> bool:
        """Whether the session's title was set explicitly (so a context update no longer re-resolves it).

        The model empties ``title_template`` once the title is set explicitly; a template without title
        candidates has an empty one too, and then "explicit" makes no difference on restore.
        """
        session = self.session(session_id)
        if session.title_template or session.is_default:
            return False
        try:
            return bool(self.templates.session_template(session.template_name).title_candidates)
        except ApmError:
            return False

    def problems(self) -> list[str]:
        """Returns the model invariants this workspace breaks (empty when it is consistent).

        The same invariants the model's state-machine test checks after every call: limits, Home first and only
        default, one anchor first in every strip, every tab in exactly one session, focus inside the focused
        session, the focused session without the attention indicator, no record open twice.
        """
        problems = []
        sessions = list(self.sessions.values())
        if not sessions or sessions[0].session_id != HOME_SESSION_ID or not sessions[0].is_default:
            problems.append("Home is not first")
        if any(s.is_default for s in sessions[1:]):
            problems.append("more than one default session")
        if sessions and sessions[0].can_close:
            problems.append("Home is closable")
        if len(sessions) > self.max_sessions:
            problems.append("too many sessions")
        listed = [t for s in sessions for t in s.tab_ids]
        if len(listed) != len(set(listed)) or set(listed) != set(self.tabs):
            problems.append("tabs do not belong to exactly one session")
        for session in sessions:
            if len(session.tab_ids) > self.max_tabs:
                problems.append(f"too many tabs in {session.session_id}")
            if session.focused_tab_id not in session.tab_ids:
                problems.append(f"{session.session_id} focuses a tab it does not hold")
            tabs = [self.tabs.get(t) for t in session.tab_ids]
            if any(t is None or t.session_id != session.session_id for t in tabs):
                problems.append(f"{session.session_id} lists a tab that is not its own")
                continue
            if [t.tab_id for t in tabs if t.is_anchor] != session.tab_ids[:1]:
                problems.append(f"{session.session_id} does not start with its only anchor")
        if self.focused_session_id not in self.sessions:
            problems.append("the focused session does not exist")
        elif self.sessions[self.focused_session_id].notification:
            problems.append("the focused session shows the attention indicator")
        records = {t.tab_id: t.record for t in self.tabs.values() if t.record is not None}
        if len(set(records.values())) != len(records) or self._records != {r: t for t, r in records.items()}:
            problems.append("a record is open twice or the record index disagrees")
        return problems

    # --- Internals -----------------------------------------------------------

    def _emit(self, events: list) -> None:
        # The one place events leave the model, always after the state changed.
        if events:
            self.bus.publish(events)

    def _new_id(self, kind: str) -> str:
        new_id = self.id_factory(kind)
        if not isinstance(new_id, str) or not new_id or new_id in self.sessions or new_id in self.tabs:
            raise invalid_input(f"The id factory returned an unusable {kind} id {new_id!r}.")
        return new_id

    def _add_tab(
        self, session: Session, tab_id: str, spec: TabSpec, *, is_anchor: bool, can_close: bool | None = None
    ) -> Tab:
        tab = Tab(
            tab_id=tab_id,
            session_id=session.session_id,
            template_name=spec.template_name,
            page_type=spec.page_type,
            title=spec.title,
            can_close=spec.can_close if can_close is None else can_close,
            is_anchor=is_anchor,
            params=spec.params,
            app_context=spec.app_context,
        )
        self.tabs[tab_id] = tab
        session.tab_ids.append(tab_id)
        self._index(tab)
        return tab

    def _taken(self, tab: Tab) -> bool:
        return tab.tab_id in self.tabs or (tab.record is not None and tab.record in self._records)

    @staticmethod
    def _set_fields(target: object, values: Mapping[str, object], allowed: tuple[str, ...]) -> None:
        unknown = set(values) - set(allowed)
        if unknown:
            raise invalid_input(f"Not a restorable field: {', '.join(sorted(unknown))}.")
        for name, value in values.items():
            setattr(target, name, value)

    def _drop_tab(self, tab_id: str) -> None:
        self._unindex(self.tabs.pop(tab_id))

    def _index(self, tab: Tab) -> None:
        record = tab.record
        if record is not None:
            self._records[record] = tab.tab_id

    def _unindex(self, tab: Tab) -> None:
        record = tab.record
        if record is not None and self._records.get(record) == tab.tab_id:
            del self._records[record]

    def _focus_tab(self, tab_id: str, events: list) -> None:
        if tab_id != self.focused_tab_id:
            self._focus(self.tabs[tab_id].session_id, tab_id, events)

    def _focus(
        self,
        session_id: str,
        tab_id: str,
        events: list,
        *,
        previous_session_id: str | None = None,
        previous_tab_id: str | None = None,
    ) -> None:
        """Gives the workspace focus to ``tab_id`` of ``session_id``, appending the events.

        ``previous_*`` default to the current focus; closes pass the closed ids.
        """
        if previous_session_id is None:
            previous_session_id = self.focused_session_id
        if previous_tab_id is None:
            previous_tab_id = self.focused_tab_id
        session = self.sessions[session_id]
        session.focused_tab_id = tab_id
        self.focused_session_id = session_id
        if previous_session_id != session_id:
            events.append(SessionFocused(session_id, previous_session_id))
        if previous_tab_id != tab_id:
            events.append(TabFocused(session_id, tab_id, previous_tab_id, previous_session_id))
        if session.notification:
            session.notification = False
            events.append(SessionUpdated(session_id, ("notification",)))
