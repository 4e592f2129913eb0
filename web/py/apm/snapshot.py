"""Session restore, the pure part: a workspace to a JSON-safe envelope and back again.

:func:`dehydrate` turns a :class:`~apm.model.Workspace` (plus the UI's per-tab view
state and per-session extras) into ``{"schema": 1, "saved_at": ..., "data": ...}``.
:func:`rehydrate` turns any payload back into a valid workspace and never raises:
what it cannot use it drops or repairs and lists in :attr:`RestoreResult.dropped`.
Storage lives elsewhere (``casework.statedb``); the lifecycle is in ``docs/restore.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .errors import ApmError, invalid_input
from .events import EventBus
from .model import (
    DEFAULT_MAX_SESSIONS,
    DEFAULT_MAX_TABS,
    HOME_SESSION_ID,
    HOME_TAB_ID,
    CounterIds,
    Session,
    Tab,
    Workspace,
)
from .params import plain
from .slugs import first_resolved
from .templates import (
    PAGE_PARAMETERS,
    STRUCTURED_PARAMETERS,
    PageType,
    TabSpec,
    TemplateRegistry,
    is_allowed_website_url,
    record_identity,
)

SCHEMA_VERSION = 1
UNAVAILABLE_TITLE = "Record no longer available"
MAX_ID_LENGTH = 200
# Bounds on the work a hostile or corrupt payload can cause; real payloads are far below them.
MAX_ENTRIES_EXAMINED = 2000
MAX_NOTES = 50
# Parameters that may hold structured data (as in templates.py); every other parameter is text.
_STRUCTURED = STRUCTURED_PARAMETERS


class SnapshotError(Exception):
    """A payload (or one migration step) that cannot be used at all. Only raised by :func:`migrate`."""


@dataclass(frozen=True)
class RestoreResult:
    """What :func:`rehydrate` made of a payload.

    Attributes:
        workspace: The restored workspace; always valid (Home only when ``fresh``).
        view_state: Tab id -> the UI's opaque view state, for restored tabs only.
        extras: Session id -> the per-session extras slot, for restored sessions only.
        dropped: Human-readable notes on what was dropped or repaired, for the notice.
        fresh: True when nothing was restored (no payload, or nothing usable).
        quarantine: True when the payload was unusable in whole or in part: keep the raw text aside.
        saved_at: The envelope's ``saved_at`` when it was text, else ``None``.
        migrated_from: The payload's schema version when it was older than :data:`SCHEMA_VERSION`.
    """

    workspace: Workspace
    view_state: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)
    dropped: tuple[str, ...] = ()
    fresh: bool = True
    quarantine: bool = False
    saved_at: str | None = None
    migrated_from: int | None = None


# --- Dehydrate ----------------------------------------------------------------------


def tab_record(tab: Tab, params: dict, app_context: dict) -> dict:
    """One tab as the snapshot stores it (``params``/``app_context``: the tab's, copied or not by the caller).

    The one place of the tab record's fields and their order: ``casework.restore_cache`` builds its incremental
    saves from it, and its envelope must stay byte-identical to :func:`dehydrate`'s.
    """
    return {
        "tab_id": tab.tab_id,
        "template_name": tab.template_name,
        "page_type": tab.page_type.value,
        "title": tab.title,
        "can_close": tab.can_close,
        "is_anchor": tab.is_anchor,
        "params": params,
        "app_context": app_context,
    }


def dehydrate(
    workspace: Workspace,
    *,
    saved_at: str,
    view_state: Mapping[str, dict] | None = None,
    extras: Mapping[str, dict] | None = None,
    copy: bool = True,
) -> dict:
    """Returns the workspace as a JSON-safe envelope of the current schema.

    Sessions come in bar order and tabs in strip order, each with its id; templates
    are referenced by unique name. Entries of ``view_state`` / ``extras`` for tabs /
    sessions that no longer exist are left out. The result shares nothing with the
    workspace, so it can be kept or mutated freely.

    ``copy=False`` is for a caller that serialises the result at once (the restore
    store): nested values are then shared with the workspace and the caller, and
    ``view_state`` / ``extras`` are not checked (the caller has checked them). It
    makes a 10 x 10 save about 2.5 times cheaper.

    Args:
        workspace: The workspace to save.
        saved_at: Timestamp text (ISO 8601 UTC) written in the envelope.
        view_state: Tab id -> JSON object (list filters, scroll, unsaved drafts...).
        extras: Session id -> JSON object (productivity pane state...).
        copy: Deep-copy and check nested values (see above).

    Returns:
        ``{"schema": SCHEMA_VERSION, "saved_at": saved_at, "data": {...}}``.

    Raises:
        ValidationError: ``invalid_input`` when a ``view_state`` / ``extras`` entry is
            not a JSON object (non-string keys, NaN, sets, objects...).
    """
    view_state = view_state or {}
    extras = extras or {}
    clone = json_copy if copy else _same
    checked = _json_object if copy else _same
    sessions = []
    for session in workspace.sessions.values():
        tabs = []
        for tab_id in session.tab_ids:
            tab = workspace.tabs[tab_id]
            tabs.append(tab_record(tab, clone(tab.params), clone(tab.app_context)))
        record = {
            "session_id": session.session_id,
            "template_name": session.template_name,
            "title": session.title,
            "title_explicit": _title_is_explicit(workspace, session),
            "can_close": session.can_close,
            "notification": session.notification,
            "context": clone(session.context),
            "focused_tab_id": session.focused_tab_id,
            "tabs": tabs,
        }
        if session.session_id in extras:
            record["extras"] = checked(extras[session.session_id], f"extras[{session.session_id!r}]")
        sessions.append(record)
    views = {
        tab_id: checked(value, f"view_state[{tab_id!r}]")
        for tab_id, value in view_state.items()
        if tab_id in workspace.tabs
    }
    data = {"focused_session_id": workspace.focused_session_id, "sessions": sessions, "view_state": views}
    return {"schema": SCHEMA_VERSION, "saved_at": saved_at, "data": data}


def _same(value: object, where: str = "") -> object:
    return value


def _title_is_explicit(workspace: Workspace, session: Session) -> bool:
    return workspace.title_is_explicit(session.session_id)


_INF = float("inf")
_MAX_DEPTH = 32  # as apm.params.plain: state nested deeper could not be saved again


def _fast_copy(value: object, depth: int) -> object:
    # Exact JSON types only (what json.loads and the model produce); anything else goes to plain().
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if value != value or value == _INF or value == -_INF:
            raise ValueError
        return value
    if depth >= _MAX_DEPTH:
        raise ValueError
    if kind is dict:
        copy = {}
        for key, item in value.items():
            if type(key) is not str:
                raise ValueError
            copy[key] = _fast_copy(item, depth + 1)
        return copy
    if kind is list:
        return [_fast_copy(item, depth + 1) for item in value]
    raise ValueError


def json_copy(value: object, where: str = "value") -> object:
    """Returns a deep copy of JSON-compatible ``value``; :func:`apm.params.plain` semantics, faster.

    Raises:
        ValidationError: ``invalid_input`` for anything that is not plain JSON (NaN, sets,
            non-string keys, nesting deeper than 32 levels...).
    """
    try:
        return _fast_copy(value, 0)
    except ValueError:
        # Slow path: tuples, Mapping types and subclasses are accepted as plain() accepts them,
        # and plain() names the offending path in its error.
        return plain(value, where)


def _json_object(value: object, where: str) -> dict:
    if not isinstance(value, Mapping):
        raise invalid_input(f"{where} must be a JSON object, not {type(value).__name__}.")
    return json_copy(value, where)


# --- Migrations -----------------------------------------------------------------------


def _migrate_0_to_1(envelope: dict) -> dict:
    """Schema 0, the pre-versioned shape: ``{"sessions": [...], "focused": id, "drafts": {...}}``.

    It had no envelope, no Home entry (Home was implicit), no anchor flag (the first
    tab was the anchor), no session ``can_close``/notification and no app context;
    drafts were a tab id -> draft map. Anything it does not recognise is passed on
    as is, for :func:`rehydrate` to judge.
    """
    old = envelope.get("data")
    old = old if isinstance(old, dict) else {}
    raw_sessions = old.get("sessions")
    # Not a list: passed on as is, so rehydrate reports it rather than restoring an empty workspace silently.
    sessions: object = raw_sessions
    if isinstance(raw_sessions, list):
        # Home was implicit in schema 0: it comes back as it starts.
        home_tab = {"tab_id": HOME_TAB_ID, "is_anchor": True, "title": "Dashboard", "can_close": False}
        sessions = [{"session_id": HOME_SESSION_ID, "title": "Home", "focused_tab_id": HOME_TAB_ID, "tabs": [home_tab]}]
    for raw in raw_sessions[:MAX_ENTRIES_EXAMINED] if isinstance(raw_sessions, list) else []:
        if not isinstance(raw, dict):
            sessions.append(raw)
            continue
        tabs = []
        raw_tabs = raw.get("tabs")
        for index, tab in enumerate(raw_tabs[:MAX_ENTRIES_EXAMINED] if isinstance(raw_tabs, list) else []):
            if not isinstance(tab, dict):
                tabs.append(tab)
                continue
            tabs.append(
                {
                    "tab_id": tab.get("id"),
                    "template_name": tab.get("template"),
                    "page_type": tab.get("pageType"),
                    "title": tab.get("title"),
                    "can_close": tab.get("canClose", index != 0),
                    "is_anchor": index == 0,
                    "params": tab.get("params", {}),
                    "app_context": {},
                }
            )
        sessions.append(
            {
                "session_id": raw.get("id"),
                "template_name": raw.get("template"),
                "title": raw.get("title"),
                "title_explicit": False,
                "can_close": True,
                "notification": False,
                "context": raw.get("context", {}),
                "focused_tab_id": raw.get("focusedTab"),
                "tabs": tabs,
            }
        )
    drafts = old.get("drafts")
    views = {}
    if isinstance(drafts, dict):
        views = {tab_id: {"draft": draft} for tab_id, draft in drafts.items()}
    data = {"focused_session_id": old.get("focused"), "sessions": sessions, "view_state": views}
    return {"schema": 1, "saved_at": envelope.get("saved_at"), "data": data}


MIGRATIONS: dict[int, Callable[[dict], dict]] = {0: _migrate_0_to_1}
"""Version N -> the migration from schema N to N+1 (each takes and returns a whole envelope)."""


def schema_of(payload: object) -> int | None:
    """Returns the schema version of a parsed payload (0 for the pre-versioned shape), or ``None``."""
    if not isinstance(payload, dict):
        return None
    if "schema" in payload:
        version = payload["schema"]
        return version if isinstance(version, int) and not isinstance(version, bool) else None
    return 0 if "sessions" in payload else None


def migrate(envelope: object) -> dict:
    """Brings a parsed payload of any known schema up to :data:`SCHEMA_VERSION`.

    Schema 0 (no envelope) is wrapped first; then each migration N -> N+1 runs in order.

    Args:
        envelope: A parsed payload (dict).

    Returns:
        An envelope whose ``schema`` is :data:`SCHEMA_VERSION` and ``data`` is a dict.

    Raises:
        SnapshotError: for an unrecognised shape, a future schema, or a migration
            that does not produce the next version.
    """
    version = schema_of(envelope)
    if version is None:
        raise SnapshotError("The saved workspace has no recognisable schema version.")
    if version > SCHEMA_VERSION:
        raise SnapshotError(
            f"The saved workspace was written by a newer version of Casework (schema {version}, "
            f"this one reads up to {SCHEMA_VERSION}); it was kept aside, not restored."
        )
    if version < 0:
        raise SnapshotError(f"The saved workspace has an invalid schema version {version}.")
    if version == 0:
        saved_at = envelope.get("saved_at")
        envelope = {"schema": 0, "saved_at": saved_at, "data": envelope}
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise SnapshotError(f"No migration from schema {version}.")
        envelope = step(envelope)
        if schema_of(envelope) != version + 1:
            raise SnapshotError(f"The migration from schema {version} did not produce schema {version + 1}.")
        version += 1
    if not isinstance(envelope.get("data"), dict):
        raise SnapshotError("The saved workspace has no data object.")
    return envelope


# --- Rehydrate --------------------------------------------------------------------------


class _Notes:
    """Collects the human-readable notes, capped so a garbage payload cannot flood the notice."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.extra = 0

    def add(self, text: str) -> None:
        if len(self.items) < MAX_NOTES:
            self.items.append(text)
        else:
            self.extra += 1

    def result(self) -> tuple[str, ...]:
        if self.extra:
            return (*self.items, f"... and {self.extra} more.")
        return tuple(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def _valid_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and value.isprintable()


def _show(value: object) -> str:
    """A short printable form of a saved value for a note (never the repr of a hostile structure)."""
    if not isinstance(value, str):
        return repr(value) if value is None or isinstance(value, (bool, int, float)) else f"<{type(value).__name__}>"
    return repr(value[:60] + "..." if len(value) > 60 else value)


def _check_params(page_type: PageType, params: object) -> tuple[dict | None, str]:
    """Returns ``(params copy, "")`` when they are valid for the page type, else ``(None, reason)``.

    The same rules resolution enforces (templates.resolve_tab), re-checked because the
    saved parameters are used as they are: a hand-edited ``javascript:`` url must not come back.
    """
    if not isinstance(params, dict):
        return None, "its parameters are not an object"
    try:
        params = json_copy(params)
    except ApmError:
        return None, "its parameters are not plain JSON"
    page = PAGE_PARAMETERS[page_type]
    unknown = [key for key in params if key not in page.known]
    if unknown:
        return None, f"unknown parameter {_show(unknown[0])}"
    for key in page.required:
        if params.get(key) in (None, ""):
            return None, f"required parameter {key!r} is missing"
    for key, value in params.items():
        if key not in _STRUCTURED and not isinstance(value, str):
            return None, f"parameter {key!r} is not text"
    if page_type is PageType.SEARCH:
        search_type = params["searchType"]
        if isinstance(search_type, bool) or search_type not in (0, 1):
            return None, "searchType is not 0 or 1"
    elif page_type is PageType.WEBSITE:
        if not is_allowed_website_url(params["url"]):
            return None, "its url is not https (nor a path of this site)"
    return params, ""


@dataclass
class _TabPlan:
    tab_id: str
    spec: TabSpec
    is_anchor: bool


class _Rebuild:
    """One restore: validates the v1 data against the registry and limits, then builds the workspace."""

    def __init__(self, ws: Workspace, data: dict, notes: _Notes) -> None:
        self.ws = ws
        self.data = data
        self.notes = notes
        self.taken: set[str] = {HOME_SESSION_ID, HOME_TAB_ID}
        self.records: set[tuple[str, str]] = set()
        self.seen_ids: list[str] = []  # every id-looking string met, restored or not, to seed the id factory
        self.examined = 0
        self.used = False

    def budget(self) -> bool:
        self.examined += 1
        return self.examined <= MAX_ENTRIES_EXAMINED

    # -- tabs --

    def tab_plan(self, raw: object, session_label: str, *, anchor: bool) -> _TabPlan | None:
        """Validates one saved tab; notes and returns ``None`` when it cannot be used."""
        if not isinstance(raw, dict):
            self.notes.add(f"A tab of {session_label} was dropped: it is not an object.")
            return None
        tab_id = raw.get("tab_id")
        if isinstance(tab_id, str):
            self.seen_ids.append(tab_id)
        title = raw.get("title")
        label = f"Tab {_show(title)} ({_show(tab_id)}) of {session_label}"
        if not _valid_id(tab_id):
            self.notes.add(f"{label} was dropped: its id is not valid.")
            return None
        if tab_id in self.taken:
            self.notes.add(f"{label} was dropped: its id is used twice.")
            return None
        if (raw.get("is_anchor") is True) is not anchor:
            why = "its anchor tab is missing" if anchor else "it claims to be a second anchor"
            self.notes.add(f"{label} was dropped: {why}.")
            return None
        try:
            template = self.ws.templates.tab_template(raw.get("template_name"))
        except ApmError:
            self.notes.add(f"{label} was dropped: unknown tab template {_show(raw.get('template_name'))}.")
            return None
        if raw.get("page_type") != template.page_type.value:
            self.notes.add(f"{label} was dropped: its template {template.unique_name!r} changed page type.")
            return None
        params, reason = _check_params(template.page_type, raw.get("params"))
        if params is None:
            self.notes.add(f"{label} was dropped: {reason}.")
            return None
        record = record_identity(params.get("entityName"), params.get("entityId"))
        if template.page_type is not PageType.ENTITY_RECORD:
            record = None
        if record is not None and record in self.records:
            self.notes.add(f"{label} was dropped: its record {record[0]} {record[1]} is already open in another tab.")
            return None
        if not isinstance(title, str):
            title = template.name
            self.notes.add(f"{label}: its title was not text; the template's name is used.")
        can_close = raw.get("can_close")
        if not isinstance(can_close, bool):
            can_close = template.can_close
            self.notes.add(f"{label}: its closability was not true/false; the template's is used.")
        app_context = raw.get("app_context")
        try:
            app_context = json_copy(app_context) if isinstance(app_context, dict) else None
        except ApmError:
            app_context = None
        if app_context is None:
            app_context = {}
            if raw.get("app_context") not in (None, {}):
                self.notes.add(f"{label}: its app context was not a JSON object and was cleared.")
        self.taken.add(tab_id)
        if record is not None:
            self.records.add(record)
        spec = TabSpec(template.unique_name, template.page_type, params, title, can_close, app_context, record)
        return _TabPlan(tab_id, spec, anchor)

    # -- sessions --

    def session_header(self, raw: object, index: int) -> dict | None:
        """Validates a saved session's own fields; returns the repaired fields or ``None``."""
        if not isinstance(raw, dict):
            self.notes.add(f"Session #{index + 1} was dropped: it is not an object.")
            return None
        session_id = raw.get("session_id")
        if isinstance(session_id, str):
            self.seen_ids.append(session_id)
        label = f"Session {_show(raw.get('title'))} ({_show(session_id)})"
        if not _valid_id(session_id):
            self.notes.add(f"{label} was dropped: its id is not valid.")
            return None
        if session_id in self.taken:
            self.notes.add(f"{label} was dropped: its id is used twice.")
            return None
        try:
            template = self.ws.templates.session_template(raw.get("template_name"))
        except ApmError:
            self.notes.add(f"{label} was dropped: unknown session template {_show(raw.get('template_name'))}.")
            return None
        context = raw.get("context")
        try:
            context = json_copy(context) if isinstance(context, dict) else None
        except ApmError:
            context = None
        if context is None:
            context = {}
            if raw.get("context") is not None:
                self.notes.add(f"{label}: its context was not a JSON object and was cleared.")
        return {"session_id": session_id, "template": template, "context": context, "label": label, "raw": raw}

    def session_fields(self, header: dict, anchor_title: str) -> Session:
        raw, template, label = header["raw"], header["template"], header["label"]
        explicit = raw.get("title_explicit") is True
        title_template = () if explicit else template.title_candidates
        title = raw.get("title")
        if not isinstance(title, str):
            title = first_resolved(template.title_candidates, header["context"]) or anchor_title
            self.notes.add(f"{label}: its title was not text and was worked out again.")
        can_close = raw.get("can_close")
        if not isinstance(can_close, bool):
            can_close = True
            self.notes.add(f"{label}: its closability was not true/false; it is closable.")
        return Session(
            session_id=header["session_id"],
            template_name=template.unique_name,
            title=title,
            title_template=title_template,
            can_close=can_close,
            notification=raw.get("notification") is True,
            context=header["context"],
        )

    def rest_tabs(self, raw_tabs: list, session_label: str, room: int) -> list[_TabPlan]:
        """Validates the non-anchor tabs; keeps the first ``room`` valid ones."""
        plans: list[_TabPlan] = []
        for position, raw in enumerate(raw_tabs):
            if len(plans) >= room:
                beyond = len(raw_tabs) - position
                self.notes.add(
                    f"{beyond} tab(s) of {session_label} were dropped: "
                    f"the limit is {self.ws.max_tabs} tabs per session."
                )
                for rest in raw_tabs[position:]:
                    if isinstance(rest, dict) and isinstance(rest.get("tab_id"), str):
                        self.seen_ids.append(rest["tab_id"])
                break
            if not self.budget():
                self.notes.add(f"Further tabs of {session_label} were not examined: the saved data is too large.")
                break
            plan = self.tab_plan(raw, session_label, anchor=False)
            if plan is not None:
                plans.append(plan)
        return plans

    def run(self) -> tuple[Workspace, dict, dict]:
        ws, data = self.ws, self.data
        raw_sessions = data.get("sessions")
        if not isinstance(raw_sessions, list):
            self.notes.add("The saved workspace has no session list; nothing was restored.")
            raw_sessions = []
        # Home: whatever the saved order, it is the fresh workspace's first session.
        home_raw = next(
            (s for s in raw_sessions if isinstance(s, dict) and s.get("session_id") == HOME_SESSION_ID), None
        )
        others = [s for s in raw_sessions if home_raw is None or s is not home_raw]
        self.used = home_raw is not None
        # Pass 1: sessions with a usable anchor, within max_sessions (Home counts). Anchors are claimed
        # before any other tab, so a duplicated record costs an additional tab, never a whole session.
        accepted: list[tuple[dict, _TabPlan, list]] = []
        for index, raw in enumerate(others):
            if len(accepted) + 1 >= ws.max_sessions:
                beyond = len(others) - index
                self.notes.add(f"{beyond} session(s) were dropped: the limit is {ws.max_sessions} sessions.")
                for rest in others[index:]:
                    if isinstance(rest, dict) and isinstance(rest.get("session_id"), str):
                        self.seen_ids.append(rest["session_id"])
                break
            if not self.budget():
                self.notes.add("Further sessions were not examined: the saved data is too large.")
                break
            header = self.session_header(raw, index)
            if header is None:
                continue
            raw_tabs = raw.get("tabs")
            if not isinstance(raw_tabs, list) or not raw_tabs:
                self.notes.add(f"{header['label']} was dropped: it has no tabs.")
                continue
            self.taken.add(header["session_id"])
            anchor = self.tab_plan(raw_tabs[0], header["label"], anchor=True)
            if anchor is None:
                self.taken.discard(header["session_id"])
                self.notes.add(f"{header['label']} was dropped: its anchor tab could not be restored.")
                continue
            accepted.append((header, anchor, raw_tabs[1:]))
            self.used = True
        # Pass 2: Home's own fields and tabs beyond its dashboard.
        home = ws.sessions[HOME_SESSION_ID]
        home_saved_focus: tuple[object, list] = (None, [])
        if isinstance(home_raw, dict):
            home_saved_focus = self.restore_home(home, home_raw)
        elif isinstance(data.get("sessions"), list):
            self.notes.add("Home was missing from the saved workspace; a fresh Home is shown.")
        # Pass 3: the other sessions' additional tabs, then build.
        saved_focus: dict[str, tuple[object, list]] = {HOME_SESSION_ID: home_saved_focus}
        for header, anchor, raw_tabs in accepted:
            rest = self.rest_tabs(raw_tabs, header["label"], ws.max_tabs - 1)
            session = self.session_fields(header, anchor.spec.title)
            ws.add_restored_session(session)
            for plan in (anchor, *rest):
                ws.add_restored_tab(session.session_id, plan.tab_id, plan.spec, is_anchor=plan.is_anchor)
            saved_focus[session.session_id] = (header["raw"].get("focused_tab_id"), header["raw"].get("tabs"))
        focused_tabs = {}
        for session in ws.sessions.values():
            focus, strip = saved_focus.get(session.session_id, (None, []))
            focused_tabs[session.session_id] = self.pick_tab(session, focus, strip)
        # The focus rule: the focused session never shows the indicator.
        ws.restore_focus(self.pick_session(data.get("focused_session_id"), raw_sessions), focused_tabs)
        kept = [home_raw] if isinstance(home_raw, dict) else []
        return ws, *self.views_and_extras([*kept, *(header["raw"] for header, _, _ in accepted)])

    def restore_home(self, home: Session, raw: dict) -> tuple[object, list]:
        label = "Home"
        if isinstance(raw.get("title"), str):
            self.ws.restore_session_fields(home.session_id, title=raw["title"])
        self.ws.restore_session_fields(home.session_id, notification=raw.get("notification") is True)
        context = raw.get("context")
        try:
            if isinstance(context, dict):
                self.ws.restore_session_fields(home.session_id, context=json_copy(context))
        except ApmError:
            self.notes.add("Home: its context was not a JSON object and was cleared.")
        raw_tabs = raw.get("tabs")
        if not isinstance(raw_tabs, list):
            self.notes.add("Home: its saved tabs were not a list; only its dashboard is shown.")
            raw_tabs = []
        rest = list(raw_tabs)
        if rest and isinstance(rest[0], dict) and rest[0].get("tab_id") == HOME_TAB_ID:
            saved = rest.pop(0)
            # Only what an agent can change on the dashboard comes back; the rest is today's template.
            if isinstance(saved.get("title"), str):
                self.ws.restore_tab_fields(HOME_TAB_ID, title=saved["title"])
            if isinstance(saved.get("can_close"), bool):
                self.ws.restore_tab_fields(HOME_TAB_ID, can_close=saved["can_close"])
        elif isinstance(raw.get("tabs"), list):
            # A saved Home always lists its dashboard first: without it the data was edited or damaged, and whatever
            # else Home had open may be missing from it too (an emptied list loses them without a trace otherwise).
            self.notes.add("Home: its saved tabs did not start with its dashboard (damaged data); Home may be missing "
                           "tabs it had open.")
        for plan in self.rest_tabs(rest, label, self.ws.max_tabs - 1):
            self.ws.add_restored_tab(home.session_id, plan.tab_id, plan.spec, is_anchor=False)
        return raw.get("focused_tab_id"), raw_tabs

    def pick_tab(self, session: Session, focus: object, strip: object) -> str:
        """The saved focused tab, else the workspace's close rule: right neighbour, else left."""
        if isinstance(focus, str) and focus in session.tab_ids:
            return focus
        saved = [t.get("tab_id") if isinstance(t, dict) else None for t in strip] if isinstance(strip, list) else []
        choice = session.tab_ids[0]
        if focus in saved and isinstance(focus, str):
            index = saved.index(focus)
            right = [t for t in saved[index + 1 :] if t in session.tab_ids]
            left = [t for t in saved[:index] if t in session.tab_ids]
            choice = right[0] if right else (left[-1] if left else choice)
            self.notes.add(f"The focus of {_show(session.title)} moved from {_show(focus)}, which was dropped.")
        elif focus is not None:
            self.notes.add(f"The focused tab of {_show(session.title)} was not valid; its first tab is focused.")
        return choice

    def pick_session(self, focus: object, raw_sessions: list) -> str:
        """The saved focused session, else the close rule: the previous session in bar order, else Home."""
        if isinstance(focus, str) and focus in self.ws.sessions:
            return focus
        saved = [s.get("session_id") if isinstance(s, dict) else None for s in raw_sessions]
        if isinstance(focus, str) and focus in saved:
            left = [s for s in saved[: saved.index(focus)] if s in self.ws.sessions]
            self.notes.add(f"The focused session {_show(focus)} was dropped; the one before it is focused.")
            return left[-1] if left else HOME_SESSION_ID
        if focus is not None:
            self.notes.add("The focused session was not valid; Home is focused.")
        return HOME_SESSION_ID

    def views_and_extras(self, kept_sessions: list[dict]) -> tuple[dict, dict]:
        views: dict = {}
        raw_views = self.data.get("view_state")
        if isinstance(raw_views, dict):
            for tab_id, value in list(raw_views.items())[:MAX_ENTRIES_EXAMINED]:
                if tab_id not in self.ws.tabs:
                    continue  # its tab was dropped (and noted) or never existed
                try:
                    views[tab_id] = _json_object(value, "view state")
                except ApmError:
                    self.notes.add(f"The view state of tab {_show(tab_id)} was not a JSON object and was dropped.")
        elif raw_views is not None:
            self.notes.add("The saved view state was not an object and was dropped.")
        extras: dict = {}
        for raw in kept_sessions:  # only the restored sessions' own records, never a dropped duplicate's
            if "extras" not in raw:
                continue
            try:
                extras[raw["session_id"]] = _json_object(raw["extras"], "extras")
            except ApmError:
                self.notes.add(f"The extras of session {_show(raw['session_id'])} were not a JSON object.")
        return views, extras


def _fresh_workspace(
    templates: TemplateRegistry | None,
    max_sessions: object,
    max_tabs: object,
    id_factory: Callable[[str], str] | None,
    bus: EventBus | None,
    notes: _Notes,
) -> Workspace:
    try:
        return Workspace(max_sessions, max_tabs, templates, id_factory, bus=bus)
    except Exception as exc:  # a bad profile or registry must not stop boot
        notes.add(f"The restore settings were not usable ({exc}); the default limits and templates are used.")
        return Workspace(DEFAULT_MAX_SESSIONS, DEFAULT_MAX_TABS, None, id_factory, bus=bus)


class _SkipTaken:
    """Wraps an id factory without ``advance_past`` so it never returns a restored id."""

    def __init__(self, factory: Callable[[str], str], taken: Iterable[str]) -> None:
        self.factory = factory
        self.taken = set(taken)

    def __call__(self, kind: str) -> str:
        for _ in range(10_000):
            new_id = self.factory(kind)
            if new_id not in self.taken:
                return new_id
        return new_id  # the workspace refuses it with a clear error rather than looping forever


def _parse(payload: object) -> object:
    if isinstance(payload, (bytes, bytearray)):
        payload = bytes(payload).decode("utf-8")
    if isinstance(payload, str):
        return json.loads(payload) if payload.strip() else None
    return payload


def rehydrate(
    payload: object,
    *,
    templates: TemplateRegistry | None = None,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    max_tabs: int = DEFAULT_MAX_TABS,
    id_factory: Callable[[str], str] | None = None,
    bus: EventBus | None = None,
) -> RestoreResult:
    """Rebuilds a workspace from a saved payload; never raises.

    Rules (each drop or repair is noted in ``dropped``): unknown templates, bad or
    duplicate ids, a tab whose record is already open elsewhere (anchors win), tabs and
    sessions beyond today's limits (the first ones are kept), sessions whose anchor is
    unusable are dropped; a focus that points nowhere is moved by the workspace's close
    rules. Home always exists. A future schema restores nothing. No events are
    emitted; later ids continue after the highest restored one.

    Args:
        payload: The envelope as a dict, JSON text or UTF-8 bytes (any schema); anything else.
        templates: The registry to resolve templates against (built-ins by default).
        max_sessions: Today's session limit (Home included).
        max_tabs: Today's tab limit per session.
        id_factory: The id factory the workspace will use; a :class:`~apm.model.CounterIds`
            is advanced past the restored ids, any other factory is wrapped to skip them.
        bus: The event bus to give the workspace (subscribers see no restore events).

    Returns:
        A :class:`RestoreResult`.
    """
    notes = _Notes()
    saved_at: str | None = None
    migrated_from: int | None = None
    factory = id_factory if id_factory is not None else CounterIds()
    try:
        parsed = _parse(payload)
        if parsed is None:
            ws = _fresh_workspace(templates, max_sessions, max_tabs, factory, bus, notes)
            return RestoreResult(ws, dropped=notes.result(), fresh=True, quarantine=bool(notes))
        if isinstance(parsed, dict) and isinstance(parsed.get("saved_at"), str):
            saved_at = parsed["saved_at"]
        version = schema_of(parsed)
        envelope = migrate(parsed)
        if version is not None and version < SCHEMA_VERSION:
            migrated_from = version
        ws = _fresh_workspace(templates, max_sessions, max_tabs, factory, bus, notes)
        rebuild = _Rebuild(ws, envelope["data"], notes)
        ws, views, extras = rebuild.run()
        problems = workspace_problems(ws)
        if problems:  # belt and braces: never hand out a workspace that breaks the model's rules
            raise SnapshotError("the restored workspace was inconsistent: " + "; ".join(problems[:3]))
        restored_ids = [*ws.sessions, *ws.tabs, *rebuild.seen_ids]
        if hasattr(factory, "advance_past"):
            factory.advance_past(restored_ids)
        else:
            ws.id_factory = _SkipTaken(factory, restored_ids)
        fresh = not rebuild.used
        return RestoreResult(ws, views, extras, notes.result(), fresh, bool(notes), saved_at, migrated_from)
    except Exception as exc:  # restore never raises: any failure gives a fresh workspace
        if isinstance(exc, SnapshotError):
            message = str(exc)
        elif isinstance(exc, (ValueError, UnicodeDecodeError, RecursionError)):
            message = "The saved workspace is not valid JSON (truncated or corrupted); nothing was restored."
        else:
            message = f"The saved workspace could not be restored ({type(exc).__name__}: {exc})."
        notes = _Notes()
        notes.add(message)
        fallback = CounterIds() if id_factory is None else id_factory
        ws = _fresh_workspace(templates, max_sessions, max_tabs, fallback, bus, notes)
        return RestoreResult(ws, dropped=notes.result(), fresh=True, quarantine=True, saved_at=saved_at)


def workspace_problems(ws: Workspace) -> list[str]:
    """Returns the model invariants ``ws`` breaks (empty when it is consistent): ``Workspace.problems()``."""
    return ws.problems()


# --- Records that may have gone -----------------------------------------------------------


def records_to_check(snapshot: object) -> set[tuple[str, str]]:
    """Returns the ``(entity_name, entity_id)`` identities of the records tabs show.

    The browser asks the server which of them still exist and are visible to the agent,
    then calls :func:`mark_unavailable` with the rest.

    Args:
        snapshot: A :class:`RestoreResult`, a :class:`~apm.model.Workspace` or a
            v1 envelope dict (anything else gives an empty set).

    Returns:
        Identities lower-cased with GUID braces stripped (as the workspace dedupes them).
    """
    if isinstance(snapshot, RestoreResult):
        snapshot = snapshot.workspace
    if isinstance(snapshot, Workspace):
        return {t.record for t in snapshot.tabs.values() if t.record is not None}
    found: set[tuple[str, str]] = set()
    data = snapshot.get("data") if isinstance(snapshot, dict) else None
    sessions = data.get("sessions") if isinstance(data, dict) else None
    for session in sessions if isinstance(sessions, list) else []:
        tabs = session.get("tabs") if isinstance(session, dict) else None
        for tab in tabs if isinstance(tabs, list) else []:
            if not isinstance(tab, dict) or tab.get("page_type") != PageType.ENTITY_RECORD.value:
                continue
            params = tab.get("params")
            if isinstance(params, dict):
                identity = record_identity(params.get("entityName"), params.get("entityId"))
                if identity is not None:
                    found.add(identity)
    return found


def mark_unavailable(
    result: RestoreResult, missing: Iterable[tuple[str, str]] | Mapping[tuple[str, str], str]
) -> RestoreResult:
    """Turns the tabs of records that are gone (or no longer visible) into "no longer available" tabs.

    Nothing is dropped: the tab keeps its id, place, session and view state (a draft can
    still be copied out); its title becomes :data:`UNAVAILABLE_TITLE` and its view state
    gets ``"unavailable": {"reason", "entityName", "entityId", "title"}`` for the UI to
    render instead of the form. Runs before the first paint, so it emits no events.

    Args:
        result: What :func:`rehydrate` returned.
        missing: Record identities ``(entity_name, entity_id)`` (tuples or 2-item lists; any
            case, braces allowed) that are gone; a mapping gives a reason per record
            (``"deleted"``, ``"forbidden"``...), else the reason is ``"unavailable"``.

    Returns:
        A new :class:`RestoreResult` sharing the (updated) workspace, with the tabs
        listed in ``dropped``.
    """
    reasons: dict[tuple[str, str], str] = {}
    for item in missing:
        # Pairs may arrive as JSON arrays from the browser.
        identity = record_identity(*item) if isinstance(item, (tuple, list)) and len(item) == 2 else None
        if identity is not None:
            reason = missing[item] if isinstance(missing, Mapping) else "unavailable"
            reasons[identity] = reason if isinstance(reason, str) else "unavailable"
    views = dict(result.view_state)
    notes = list(result.dropped)
    for tab in result.workspace.tabs.values():
        record = tab.record
        if record is None or record not in reasons:
            continue
        view = dict(views.get(tab.tab_id, {}))
        previous = view.get("unavailable")
        old_title = previous["title"] if isinstance(previous, dict) and "title" in previous else tab.title
        result.workspace.restore_tab_fields(tab.tab_id, title=UNAVAILABLE_TITLE)
        view["unavailable"] = {
            "reason": reasons[record],
            "entityName": tab.params.get("entityName"),
            "entityId": tab.params.get("entityId"),
            "title": old_title,
        }
        views[tab.tab_id] = view
        notes.append(f"Tab {old_title!r} ({record[0]} {record[1]}) shows a record that is no longer available.")
    return RestoreResult(
        result.workspace,
        views,
        result.extras,
        tuple(notes),
        result.fresh,
        result.quarantine,
        result.saved_at,
        result.migrated_from,
    )
