"""Application tab templates, session templates, the registry and their resolution.

A tab template names a page type and parameters whose string values may hold
slugs; resolving it against a session context (plus the caller's app context)
gives a :class:`TabSpec`, the plain description of one tab. A session template
names an anchor tab template and additional tab templates; resolving it gives a
:class:`SessionPlan`. Resolution is pure and raises before anything is created.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .errors import TemplateError, invalid_input, template_not_found
from .params import plain
from .slugs import first_resolved, percent_encode, resolve, to_text

# <prefix>_<name>: a 3-8 character publisher prefix, as Dataverse unique names use.
UNIQUE_NAME_PATTERN = re.compile(r"[A-Za-z0-9]{3,8}_[A-Za-z0-9_]+", re.ASCII)


class PageType(StrEnum):
    """What a tab shows. Values are the strings JavaScript sees."""

    ENTITY_RECORD = "entityrecord"
    ENTITY_LIST = "entitylist"
    DASHBOARD = "dashboard"
    SEARCH = "search"
    WEBSITE = "website"
    WEB_RESOURCE = "webresource"
    CUSTOM = "custom"


class SessionType(StrEnum):
    """Whether a session template is bound to one entity or takes its anchor from the context."""

    ENTITY = "entity"
    GENERIC = "generic"


@dataclass(frozen=True)
class PageParameters:
    """Parameter names a page type knows; ``required`` ones must resolve to a value."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional


PAGE_PARAMETERS = {
    PageType.ENTITY_RECORD: PageParameters(("entityName",), ("entityId", "formId", "data", "validateRecord")),
    PageType.ENTITY_LIST: PageParameters(("entityName",), ("viewId",)),
    PageType.DASHBOARD: PageParameters(("dashboardId",)),
    # An empty search text opens the search page ready for input, so only the type is required.
    PageType.SEARCH: PageParameters(("searchType",), ("searchText",)),
    PageType.WEBSITE: PageParameters(("url",), ("data",)),
    PageType.WEB_RESOURCE: PageParameters(("webresourceName",), ("data",)),
    # The reference: only the page's name is required; a template may require more (``TabTemplate.required``).
    PageType.CUSTOM: PageParameters(("name",), ("entityName", "recordId")),
}
# Parameters that may hold structured data; every other parameter must be text.
STRUCTURED_PARAMETERS = frozenset({"data", "searchType", "validateRecord"})
_STRUCTURED = STRUCTURED_PARAMETERS


def is_allowed_website_url(url: str) -> bool:
    """The reference requires ``https://``; a path of this site (``/...``) is allowed too, so it works offline.
    Anything else (``javascript:``, ``data:``, ``http:``, ``//other-host``) would run in, or leak from, the
    workspace."""
    url = url.strip()
    own_path = url.startswith("/") and not url.startswith(("//", "/\\"))
    return url.lower().startswith("https://") or own_path


DEFAULT_DASHBOARD_ID = "agent-dashboard"


def validate_unique_name(name: object, kind: str = "template") -> str:
    """Checks a template unique name: ``<prefix>_<name>``, prefix 3-8 ASCII letters or digits.

    Args:
        name: The candidate name.
        kind: Word used in the error message.

    Returns:
        ``name`` unchanged.

    Raises:
        TemplateError: ``invalid_template`` when the name does not fit.
    """
    if not isinstance(name, str) or not UNIQUE_NAME_PATTERN.fullmatch(name):
        raise TemplateError(
            f"Invalid {kind} unique name {name!r}: expected <prefix>_<name> where the prefix is "
            "3 to 8 ASCII letters or digits and the name is letters, digits or underscores."
        )
    return name


def _strings(value: object, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise TemplateError(f"{what} must be a list of strings.")
    return tuple(value)


@dataclass(frozen=True)
class TabTemplate:
    """An application tab template.

    Attributes:
        unique_name: ``<prefix>_<name>``, e.g. ``msdyn_entityrecord``.
        name: Display name; also the title when ``title`` resolves to nothing.
        page_type: What the tab shows.
        title: Title text, may contain slugs.
        title_fallbacks: Further title candidates, tried in order when a
            candidate has an unknown slug or is blank.
        params: Page parameters; string values may contain slugs.
        can_close: Whether tabs made from it start closable.
        required: Parameters this template needs beyond its page type's
            (a conversation page needs its ``recordId``).

    Raises:
        TemplateError: ``invalid_template`` on construction for a bad unique
            name, a parameter the page type does not know, or a blank name.
    """

    unique_name: str
    name: str
    page_type: PageType
    title: str = ""
    title_fallbacks: tuple[str, ...] = ()
    params: Mapping = field(default_factory=dict)
    can_close: bool = True
    required: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        validate_unique_name(self.unique_name, "tab template")
        if not isinstance(self.name, str) or not self.name.strip():
            raise TemplateError(f"Tab template {self.unique_name!r} needs a display name.")
        try:
            page_type = PageType(self.page_type)
        except ValueError:
            raise TemplateError(
                f"Tab template {self.unique_name!r} has unknown page type {self.page_type!r}."
            ) from None
        known = PAGE_PARAMETERS[page_type].known
        if not isinstance(self.params, Mapping):
            raise TemplateError(f"Tab template {self.unique_name!r}: params must be an object.")
        extra = [key for key in self.params if key not in known]
        if extra:
            raise TemplateError(
                f"Tab template {self.unique_name!r}: page type {page_type.value!r} has no "
                f"parameter {extra[0]!r} (known: {', '.join(known)})."
            )
        if not isinstance(self.title, str) or not isinstance(self.can_close, bool):
            raise TemplateError(f"Tab template {self.unique_name!r}: title must be text, can_close a bool.")
        # Frozen: normalise through object.__setattr__ so later callers cannot alias our dict.
        object.__setattr__(self, "page_type", page_type)
        object.__setattr__(self, "params", plain(self.params, "params"))
        object.__setattr__(self, "title_fallbacks", _strings(self.title_fallbacks, "title_fallbacks"))
        object.__setattr__(self, "required", _strings(self.required, "required"))

    @classmethod
    def from_dict(cls, data: Mapping) -> TabTemplate:
        """Builds a template from its JSON form (``uniqueName``, ``name``, ``pageType``,
        ``title``, ``titleFallbacks``, ``params``, ``canClose``).

        Raises:
            TemplateError: ``invalid_template`` for a malformed template.
        """
        if not isinstance(data, Mapping):
            raise TemplateError("A tab template must be an object.")
        return cls(
            unique_name=data.get("uniqueName"),
            name=data.get("name") or data.get("uniqueName") or "",
            page_type=data.get("pageType"),
            title=data.get("title", ""),
            title_fallbacks=data.get("titleFallbacks", ()),
            params=data.get("params") or {},
            can_close=data.get("canClose", True),
            required=data.get("required", ()),
        )


@dataclass(frozen=True)
class SessionTemplate:
    """A session template.

    Attributes:
        unique_name: ``<prefix>_<name>``, e.g. ``msdyn_case_session``.
        name: Display name.
        type: ``entity`` (bound to ``entity``) or ``generic``.
        entity: Entity logical name for ``entity`` templates.
        title: Session title, may contain slugs; with ``title_fallbacks`` the
            first candidate resolving completely wins, else the anchor tab title.
        title_fallbacks: Further title candidates.
        anchor_tab: Unique name of the anchor tab template. ``None`` for
            generic templates, whose anchor comes from the session context
            (see :func:`resolve_session`).
        anchor_app_context: App context for the anchor tab; string values are
            slug-resolved against the session context and dropped when empty. A
            list of strings is a list of alternatives: the first that resolves
            completely wins (``["{entityId}", "{caseId}"]`` reads the reference's
            ``entityId`` and, for older callers, ``caseId``).
        record_context: The context keys a session opened *for a record* gets
            (``Workspace.open`` with ``NEW_SESSION``): key -> alternatives
            resolved against ``{entityName, entityId, title, anchor}`` of the
            opened record, e.g. ``{"caseId": ["{entityId}"]}``. Template data,
            so the model has no per-template branches.
        additional_tabs: Tab template unique names opened after the anchor.
        agent_script: Unique name of an agent script (kept, not used yet).

    Raises:
        TemplateError: ``invalid_template`` on construction for a bad unique
            name or an inconsistent type/entity/anchor combination.
    """

    unique_name: str
    name: str
    type: SessionType = SessionType.GENERIC
    entity: str | None = None
    title: str = ""
    title_fallbacks: tuple[str, ...] = ()
    anchor_tab: str | None = None
    anchor_app_context: Mapping = field(default_factory=dict)
    additional_tabs: tuple[str, ...] = ()
    agent_script: str | None = None
    record_context: Mapping = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_unique_name(self.unique_name, "session template")
        try:
            kind = SessionType(self.type)
        except ValueError:
            raise TemplateError(f"Session template {self.unique_name!r} has unknown type {self.type!r}.") from None
        if kind is SessionType.ENTITY and (not isinstance(self.entity, str) or not self.entity):
            raise TemplateError(f"Entity session template {self.unique_name!r} needs an entity.")
        if kind is SessionType.ENTITY and self.anchor_tab is None:
            raise TemplateError(f"Entity session template {self.unique_name!r} needs an anchor tab template.")
        if not isinstance(self.title, str):
            raise TemplateError(f"Session template {self.unique_name!r}: title must be text.")
        object.__setattr__(self, "type", kind)
        object.__setattr__(self, "anchor_app_context", plain(self.anchor_app_context, "anchor_app_context"))
        record_context = plain(self.record_context, "record_context")
        if not isinstance(record_context, dict):
            raise TemplateError(f"Session template {self.unique_name!r}: record_context must be an object.")
        object.__setattr__(
            self, "record_context",
            {key: _strings(value, f"record_context.{key}") for key, value in record_context.items()},
        )
        object.__setattr__(self, "additional_tabs", _strings(self.additional_tabs, "additional_tabs"))
        object.__setattr__(self, "title_fallbacks", _strings(self.title_fallbacks, "title_fallbacks"))

    @property
    def title_candidates(self) -> tuple[str, ...]:
        """The non-blank title texts in order of preference."""
        return tuple(t for t in (self.title, *self.title_fallbacks) if t.strip())

    @classmethod
    def from_dict(cls, data: Mapping) -> SessionTemplate:
        """Builds a template from its JSON form (``uniqueName``, ``name``, ``type``,
        ``entity``, ``title``, ``titleFallbacks``, ``anchorTab``, ``anchorAppContext``,
        ``additionalTabs``, ``agentScript``, ``recordContext``).

        Raises:
            TemplateError: ``invalid_template`` for a malformed template.
        """
        if not isinstance(data, Mapping):
            raise TemplateError("A session template must be an object.")
        return cls(
            unique_name=data.get("uniqueName"),
            name=data.get("name") or data.get("uniqueName") or "",
            type=data.get("type", SessionType.GENERIC),
            entity=data.get("entity"),
            title=data.get("title", ""),
            title_fallbacks=data.get("titleFallbacks", ()),
            anchor_tab=data.get("anchorTab"),
            anchor_app_context=data.get("anchorAppContext") or {},
            additional_tabs=data.get("additionalTabs", ()),
            agent_script=data.get("agentScript"),
            record_context=data.get("recordContext") or {},
        )

    def context_for_record(
        self, entity_name: str, entity_id: str | None, title: str | None, attributes: Mapping | None
    ) -> dict:
        """The session context of a session this template opens for a record (see ``record_context``)."""
        context: dict = {}
        if attributes:
            context["anchor"] = dict(attributes)
        context["entityName"] = entity_name
        if isinstance(entity_id, str):
            context["entityId"] = entity_id
        source = {**context, **({"title": title} if isinstance(title, str) and title else {})}
        for key, candidates in self.record_context.items():
            value = first_resolved(candidates, source)
            if value is not None:
                context[key] = value
        return context


# --- Built-ins ----------------------------------------------------------------

BUILTIN_TAB_TEMPLATES = (
    # Generic templates: the caller's app context supplies the parameters.
    TabTemplate("msdyn_entityrecord", "Entity record", PageType.ENTITY_RECORD, title="{title}"),
    TabTemplate("msdyn_entitylist", "Entity list", PageType.ENTITY_LIST, title="{title}"),
    TabTemplate(
        "msdyn_dashboard",
        "Dashboard",
        PageType.DASHBOARD,
        title="Dashboard",
        params={"dashboardId": DEFAULT_DASHBOARD_ID},
    ),
    TabTemplate(
        "msdyn_search",
        "Search",
        PageType.SEARCH,
        title="Search",
        params={"searchType": 0, "searchText": "{searchText}"},
    ),
    TabTemplate(
        "msdyn_knowledgesearch",
        "Knowledge search",
        PageType.WEB_RESOURCE,
        title="Knowledge search",
        # Pre-fills the search box with the anchor record's title, as the product does for cases.
        params={"webresourceName": "msdyn_kbsearchpagehost.html", "data": "{anchor.title}"},
    ),
    # Generic templates behind Xrm.Navigation.navigateTo's webresource and custom page inputs.
    TabTemplate("msdyn_webresource", "Web resource", PageType.WEB_RESOURCE, title="{title}"),
    TabTemplate("msdyn_custompage", "Custom page", PageType.CUSTOM, title="{title}"),
    TabTemplate("msdyn_website", "Website", PageType.WEBSITE, title="{title}"),
    # The developer console (components.console): a REPL in the page's own Python.
    TabTemplate("casework_console", "Python console", PageType.CUSTOM, title="Python console",
                params={"name": "casework_console"}),
    # The agent calendar (components.calendar): the agent's activities by due time, a day or a week.
    TabTemplate("casework_calendar", "Agent calendar", PageType.CUSTOM, title="My calendar",
                params={"name": "casework_calendar"}),
    # The reference's knowledge search tab ("Knowledge Search (Web Resource)"): ``data`` is the search text.
    TabTemplate(
        "msdyn_omnichannel_kbsearch",
        "Knowledge Search",
        PageType.WEB_RESOURCE,
        title="Knowledge search",
        params={"webresourceName": "msdyn_kbsearchpagehost.html", "data": "{anchor.title}"},
    ),
    TabTemplate(
        "msdyn_customersummary",
        "Customer summary",
        PageType.CUSTOM,
        title="Customer summary",
        params={
            "entityName": "msdyn_ocliveworkitem",
            "name": "msdyn_customersummary",
            "recordId": "{conversationId}",
        },
        required=("entityName", "recordId"),
    ),
    TabTemplate(
        "msdyn_conversation",
        "Conversation",
        PageType.CUSTOM,
        title="{customerName}",
        params={
            "entityName": "msdyn_ocliveworkitem",
            "name": "msdyn_conversation",
            "recordId": "{conversationId}",
        },
        required=("entityName", "recordId"),
    ),
)

def _case_template(unique_name: str, name: str) -> SessionTemplate:
    # The reference's keys (entityName/entityId, also inside parametersStr) and our older {caseId}/{caseTitle}.
    return SessionTemplate(
        unique_name,
        name,
        SessionType.ENTITY,
        entity="incident",
        title="{anchor.ticketnumber}",
        title_fallbacks=("{caseTitle}", "{anchor.title}"),
        anchor_tab="msdyn_entityrecord",
        anchor_app_context={"entityName": "incident", "entityId": ["{entityId}", "{caseId}"], "title": "{caseTitle}"},
        record_context={"caseId": ["{entityId}"], "caseTitle": ["{anchor.title}", "{title}"]},
    )


#: One session template per channel, as the reference's "<Channel> session - default" templates (the channel's name
#: -> its unique name and display name). ``msdyn_chat_session`` (live chat) is first, so it is the one
#: ``open_record("msdyn_ocliveworkitem", ...)`` uses when the channel is not known.
CHANNEL_SESSION_TEMPLATES: dict[str, tuple[str, str]] = {
    "chat": ("msdyn_chat_session", "Chat session - default"),
    "sms": ("msdyn_sms_session", "SMS session - default"),
    "whatsapp": ("msdyn_whatsapp_session", "WhatsApp session - default"),
    "facebook": ("msdyn_facebook_session", "Facebook session - default"),
    "line": ("msdyn_line_session", "LINE session - default"),
    "wechat": ("msdyn_wechat_session", "WeChat session - default"),
    "teams": ("msdyn_teams_session", "Teams session - default"),
}


def _conversation_template(unique_name: str, name: str) -> SessionTemplate:
    # Anchor: the conversation (transcript and composer); the customer summary beside it; titled {customerName}.
    return SessionTemplate(
        unique_name,
        name,
        SessionType.ENTITY,
        entity="msdyn_ocliveworkitem",
        title="{customerName}",
        anchor_tab="msdyn_conversation",
        anchor_app_context={"recordId": ["{conversationId}", "{entityId}"]},
        additional_tabs=("msdyn_customersummary",),
        record_context={"conversationId": ["{entityId}"], "customerName": ["{anchor.customername}", "{title}"]},
    )


BUILTIN_SESSION_TEMPLATES = (
    SessionTemplate("msdyn_generic_session", "Generic session", SessionType.GENERIC),
    _case_template("msdyn_case_session", "Case session"),
    # The name the reference's createSession samples use ("Case entity session - default template").
    _case_template("case_entity_session_default_template", "Case entity session - default template"),
    SessionTemplate(
        "msdyn_account_session",
        "Account session",
        SessionType.ENTITY,
        entity="account",
        title="{anchor.name}",
        title_fallbacks=("{customerName}",),
        anchor_tab="msdyn_entityrecord",
        anchor_app_context={
            "entityName": "account", "entityId": ["{entityId}", "{accountId}"], "title": "{anchor.name}",
        },
        record_context={"customerName": ["{anchor.name}", "{title}"]},
    ),
    SessionTemplate(
        "msdyn_contact_session",
        "Contact session",
        SessionType.ENTITY,
        entity="contact",
        title="{anchor.fullname}",
        title_fallbacks=("{customerName}",),
        anchor_tab="msdyn_entityrecord",
        anchor_app_context={
            "entityName": "contact", "entityId": ["{entityId}", "{contactId}"], "title": "{anchor.fullname}",
        },
        record_context={"customerName": ["{anchor.fullname}", "{title}"]},
    ),
    *(_conversation_template(unique_name, name) for unique_name, name in CHANNEL_SESSION_TEMPLATES.values()),
)

GENERIC_SESSION = "msdyn_generic_session"


def _entity_templates(templates: tuple[SessionTemplate, ...] | list[SessionTemplate]) -> dict[str, str]:
    """Entity (lower case) -> the first entity session template bound to it, in registration order."""
    table: dict[str, str] = {}
    for template in templates:
        if template.type is SessionType.ENTITY and template.entity:
            table.setdefault(template.entity.lower(), template.unique_name)
    return table


#: Read from each built-in template's ``entity`` (a registry answers for its own templates, see
#: :meth:`TemplateRegistry.session_template_for_entity`).
ENTITY_SESSION_TEMPLATES = _entity_templates(BUILTIN_SESSION_TEMPLATES)


def session_template_for_entity(entity_name: str) -> str:
    """Returns the built-in session template ``open_record`` uses for an entity.

    Args:
        entity_name: Entity logical name (any case).

    Returns:
        The first built-in entity template whose ``entity`` it is (``msdyn_case_session`` for ``incident``,
        ``msdyn_chat_session`` for ``msdyn_ocliveworkitem``...), else ``msdyn_generic_session``.
    """
    return ENTITY_SESSION_TEMPLATES.get(entity_name.lower(), GENERIC_SESSION)


class TemplateRegistry:
    """Tab and session templates by unique name.

    Args:
        builtins: Whether to start with the ``msdyn_*`` built-in templates.
    """

    def __init__(self, *, builtins: bool = True) -> None:
        self._tabs: dict[str, TabTemplate] = {}
        self._sessions: dict[str, SessionTemplate] = {}
        if builtins:
            for tab in BUILTIN_TAB_TEMPLATES:
                self.register_tab_template(tab)
            for session in BUILTIN_SESSION_TEMPLATES:
                self.register_session_template(session)

    def register_tab_template(self, template: TabTemplate | Mapping) -> TabTemplate:
        """Adds a tab template (or its JSON form).

        Returns:
            The registered :class:`TabTemplate`.

        Raises:
            TemplateError: ``invalid_template`` when malformed or the unique name is taken.
        """
        if not isinstance(template, TabTemplate):
            template = TabTemplate.from_dict(template)
        if template.unique_name in self._tabs:
            raise TemplateError(f"A tab template named {template.unique_name!r} already exists.")
        self._tabs[template.unique_name] = template
        return template

    def register_session_template(self, template: SessionTemplate | Mapping) -> SessionTemplate:
        """Adds a session template (or its JSON form); its tab templates must be registered first.

        Returns:
            The registered :class:`SessionTemplate`.

        Raises:
            TemplateError: ``invalid_template`` when malformed or the unique name is taken.
            TemplateNotFoundError: ``template_not_found`` for an unknown anchor/additional tab template.
        """
        if not isinstance(template, SessionTemplate):
            template = SessionTemplate.from_dict(template)
        if template.unique_name in self._sessions:
            raise TemplateError(f"A session template named {template.unique_name!r} already exists.")
        # Checked now rather than at session creation, so a typo surfaces at start-up.
        for name in (template.anchor_tab, *template.additional_tabs):
            if name is not None:
                self.tab_template(name)
        self._sessions[template.unique_name] = template
        return template

    def session_template_for_entity(self, entity_name: str) -> str:
        """The session template a record of ``entity_name`` opens in: the first registered entity template whose
        ``entity`` it is, else ``msdyn_generic_session``."""
        return _entity_templates(list(self._sessions.values())).get(entity_name.lower(), GENERIC_SESSION)

    def tab_template(self, name: object) -> TabTemplate:
        """Returns the tab template called ``name``.

        Raises:
            TemplateNotFoundError: ``template_not_found``.
        """
        template = self._tabs.get(name) if isinstance(name, str) else None
        if template is None:
            raise template_not_found("tab", name)
        return template

    def session_template(self, name: object) -> SessionTemplate:
        """Returns the session template called ``name``.

        Raises:
            TemplateNotFoundError: ``template_not_found``.
        """
        template = self._sessions.get(name) if isinstance(name, str) else None
        if template is None:
            raise template_not_found("session", name)
        return template

    def tab_templates(self) -> list[TabTemplate]:
        """Returns every tab template in registration order."""
        return list(self._tabs.values())

    def session_templates(self) -> list[SessionTemplate]:
        """Returns every session template in registration order."""
        return list(self._sessions.values())


# --- Resolution -----------------------------------------------------------------


def record_identity(entity_name: object, entity_id: object) -> tuple[str, str] | None:
    """Returns the identity of the record a tab shows, or ``None`` for no saved record.

    Names and ids compare case-insensitively and GUID braces are ignored, so
    ``("Incident", "{ABC}")`` and ``("incident", "abc")`` are the same record.
    """
    if not isinstance(entity_name, str) or not isinstance(entity_id, str):
        return None
    name, rid = entity_name.strip().lower(), entity_id.strip().strip("{}").strip().lower()
    if not name or not rid:
        return None
    return name, rid


@dataclass
class TabSpec:
    """A fully resolved tab, ready to be created or navigated to.

    Attributes:
        template_name: The tab template's unique name.
        page_type: The template's page type.
        params: Resolved page parameters (only names the page type knows).
        title: Resolved title.
        can_close: Initial closability.
        app_context: The caller's app context (copied).
        record: ``(entity_name, entity_id)`` for a saved entity record, else ``None``.
    """

    template_name: str
    page_type: PageType
    params: dict
    title: str
    can_close: bool
    app_context: dict
    record: tuple[str, str] | None = None


def _resolve_value(value: object, context: Mapping, *, url: bool = False) -> object:
    if isinstance(value, str):
        return resolve(value, context, url=url).text
    if isinstance(value, dict):
        return {k: _resolve_value(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_value(v, context) for v in value]
    return value


def resolve_tab(
    template: TabTemplate,
    app_context: Mapping | None = None,
    session_context: Mapping | None = None,
    *,
    title: str | None = None,
) -> TabSpec:
    """Resolves a tab template into a :class:`TabSpec`.

    Rules:
        * Slug context is the session context overlaid by the app context.
        * Template parameter strings are slug-resolved; app-context keys the page
          type knows override them and are taken as data (not slug-parsed).
        * Empty optional parameters are dropped; a missing required one is an error.
        * ``searchType`` must be 0 (relevance) or 1 (categorized).
        * A website ``url`` must be https (or a path of this site); slug values in it
          are percent-encoded, and ``data`` (resolved, percent-encoded) is appended:
          the reference's "URL = url + resolved data".
        * Title: ``title`` if given and not blank, else the first template title
          candidate that resolves completely, else the template's display name.

    Args:
        template: The tab template.
        app_context: Caller parameters (already parsed).
        session_context: The session's context.
        title: Explicit title overriding the template's.

    Returns:
        The resolved :class:`TabSpec`.

    Raises:
        TemplateError: ``invalid_template`` for a missing required parameter or a bad value.
    """
    app_context = dict(app_context or {})
    context = {**(session_context or {}), **app_context}
    page = PAGE_PARAMETERS[template.page_type]
    params: dict = {}
    for key, raw in template.params.items():
        is_url = template.page_type is PageType.WEBSITE and key == "url"
        params[key] = _resolve_value(raw, context, url=is_url)
    for key in page.known:
        if key in app_context:
            params[key] = app_context[key]
    if template.page_type is PageType.ENTITY_RECORD and isinstance(params.get("entityId"), str):
        params["entityId"] = params["entityId"].strip()  # the reference's own sample has " 22cc22cc-..."
    for key in list(params):
        if params[key] is None or params[key] == "":
            del params[key]
    missing = [key for key in (*page.required, *template.required) if key not in params]
    if missing:
        raise TemplateError(
            f"Tab template {template.unique_name!r} ({template.page_type.value}) needs parameter "
            f"{missing[0]!r}; pass it in the app context or the session context."
        )
    for key, value in params.items():
        if key not in _STRUCTURED and not isinstance(value, str):
            raise TemplateError(f"Parameter {key!r} of {template.unique_name!r} must be text.")
    _check_page(template, params)
    record = None
    if template.page_type is PageType.ENTITY_RECORD:
        record = record_identity(params.get("entityName"), params.get("entityId"))
    if isinstance(title, str) and title.strip():
        final_title = title.strip()
    else:
        final_title = first_resolved((template.title, *template.title_fallbacks), context) or template.name
    return TabSpec(
        template_name=template.unique_name,
        page_type=template.page_type,
        params=params,
        title=final_title,
        can_close=template.can_close,
        app_context=app_context,
        record=record,
    )


def _check_page(template: TabTemplate, params: dict) -> None:
    if template.page_type is PageType.SEARCH:
        search_type = params["searchType"]
        if isinstance(search_type, str) and search_type.strip() in ("0", "1"):
            search_type = int(search_type)
        if isinstance(search_type, bool) or search_type not in (0, 1):
            raise TemplateError(
                f"searchType of {template.unique_name!r} must be 0 (relevance) or 1 (categorized), "
                f"not {params['searchType']!r}."
            )
        params["searchType"] = search_type
    elif template.page_type is PageType.WEBSITE:
        url = params["url"].strip()
        if not is_allowed_website_url(url):
            raise TemplateError(
                f"The url of {template.unique_name!r} must start with https:// (or be a path of this site, /...).")
        if "data" in params:
            url += percent_encode(to_text(params["data"]))  # the reference: URL = url + resolved data
        params["url"] = url


@dataclass
class SessionPlan:
    """A fully resolved session: its anchor, additional tabs and title."""

    template_name: str
    anchor: TabSpec
    additional: list[TabSpec]
    title: str
    title_template: tuple[str, ...]


def anchor_source(template: SessionTemplate, context: Mapping) -> tuple[str, dict, str | None]:
    """Returns ``(tab_template_name, app_context, title)`` of a session's anchor tab.

    Entity templates use ``anchor_tab`` with ``anchor_app_context`` slug-resolved
    against the context. Generic templates read the session context:

    * ``anchorTab``: ``{"templateName": str, "appContext": {...}?, "title": str?}``; or
    * ``entityName`` (and optional ``entityId``, ``title``): an entity record anchor; or
    * ``controlName`` (the reference's PCF control page): a custom page of that name.

    Raises:
        TemplateError: ``invalid_template`` when a generic session has neither.
        ValidationError: ``invalid_input`` for a malformed ``anchorTab``.
    """
    if template.anchor_tab is not None:
        app_context = {}
        for key, raw in template.anchor_app_context.items():
            if isinstance(raw, list) and raw and all(isinstance(item, str) for item in raw):
                value = first_resolved(tuple(raw), context)
            else:
                value = _resolve_value(raw, context)
            if value not in (None, ""):
                app_context[key] = value
        return template.anchor_tab, app_context, None
    spec = context.get("anchorTab")
    if spec is not None:
        if not isinstance(spec, Mapping) or not isinstance(spec.get("templateName"), str):
            raise invalid_input('anchorTab must be {"templateName": ..., "appContext": {...}}.')
        app_context = spec.get("appContext")
        app_context = {} if app_context is None else app_context
        if not isinstance(app_context, Mapping):
            raise invalid_input("anchorTab.appContext must be an object.")
        anchor_title = spec.get("title")
        if anchor_title is not None and not isinstance(anchor_title, str):
            raise invalid_input("anchorTab.title must be text.")
        return spec["templateName"], dict(app_context), anchor_title
    if isinstance(context.get("entityName"), str):
        app_context = {k: context[k] for k in ("entityName", "entityId", "title") if context.get(k) is not None}
        return "msdyn_entityrecord", app_context, None
    if isinstance(context.get("controlName"), str) and context["controlName"].strip():
        # The reference's PCF control page: parametersStr [["controlName", ...], ["data", ...]]. Casework shows it
        # as a custom page named after the control (its data stays in the session context).
        name = context["controlName"].strip()
        return "msdyn_custompage", {"name": name, "title": name}, None
    raise TemplateError(
        f"Session template {template.unique_name!r} is generic: its session context needs "
        '"anchorTab": {"templateName": ..., "appContext": {...}}, an "entityName" or a "controlName".'
    )


def resolve_session(
    registry: TemplateRegistry,
    template: SessionTemplate,
    context: Mapping,
    *,
    anchor_title: str | None = None,
    anchor_app_context: Mapping | None = None,
) -> SessionPlan:
    """Resolves a session template against a session context.

    Args:
        registry: Where the tab templates are looked up.
        template: The session template.
        context: The session context (already parsed).
        anchor_title: Explicit title for the anchor tab.
        anchor_app_context: Extra app context for the anchor tab, overriding
            the template's (``open`` uses it to keep e.g. a ``formId``).

    Returns:
        The :class:`SessionPlan`. Its title is the first template title
        candidate that resolves completely, else the anchor tab's title.

    Raises:
        TemplateError: ``invalid_template`` / ``template_not_found`` when a tab cannot be resolved.
        ValidationError: ``invalid_input`` for a malformed generic anchor.
    """
    tab_name, app_context, context_title = anchor_source(template, context)
    app_context.update(anchor_app_context or {})
    anchor = resolve_tab(registry.tab_template(tab_name), app_context, context, title=anchor_title or context_title)
    additional = [resolve_tab(registry.tab_template(name), {}, context) for name in template.additional_tabs]
    candidates = template.title_candidates
    title = first_resolved(candidates, context) or anchor.title
    return SessionPlan(template.unique_name, anchor, additional, title, candidates)
