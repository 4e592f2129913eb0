"""Where a navigation lands: the multisession navigation table as one pure function.

:func:`decide` maps the origin of a navigation (:class:`NavSource`) to an
:class:`NavOutcome`; :meth:`apm.model.Workspace.open` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .errors import invalid_input


class NavSource(StrEnum):
    """Where the agent started a navigation."""

    HOME = "home"  # a record opened from the Home session
    GLOBAL_SEARCH = "global_search"  # the global search box
    SEARCH_RESULTS = "search_results"  # the retrieved search records
    QUICK_CREATE_NOTIFICATION = "quick_create_notification"  # the quick-create "record created" notice
    CREATE_RECORD = "create_record"  # creating a new record
    TIMELINE = "timeline"  # an activity on a form's timeline
    FORM_LOOKUP = "form_lookup"  # a lookup field on a form
    SITEMAP_VIEW = "sitemap_view"  # a view from the site map
    SITEMAP_DASHBOARD = "sitemap_dashboard"  # a dashboard from the site map
    SITEMAP_PAGE = "sitemap_page"  # any other page from the site map
    OPEN_FORM = "open_form"  # Xrm.Navigation.openForm
    NAVIGATE_TO = "navigate_to"  # Xrm.Navigation.navigateTo

    @classmethod
    def parse(cls, value: object) -> NavSource:
        """Accepts a member, its value (``"timeline"``) or its name (``"TIMELINE"``).

        Raises:
            ValidationError: ``invalid_input`` for anything else.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = value.strip()
            for member in cls:
                if key == member.value or key.upper() == member.name:
                    return member
        raise invalid_input(f"Unknown navigation source {value!r}; expected one of {[m.value for m in cls]}.")


class NavOutcome(StrEnum):
    """What a navigation does.

    * ``NEW_SESSION``: open a new session anchored on the target.
    * ``NEW_TAB``: open a new tab in the focused session.
    * ``FOCUSED_SESSION``: load in the focused session. The focused tab of the
      focused session navigates to the target in place when it is navigable
      (closable, not an anchor — which also rules out Home's dashboard);
      otherwise a new tab opens in the focused session.
    """

    NEW_SESSION = "new_session"
    NEW_TAB = "new_tab"
    FOCUSED_SESSION = "focused_session"


_TABLE = {
    NavSource.HOME: NavOutcome.NEW_SESSION,
    NavSource.GLOBAL_SEARCH: NavOutcome.NEW_SESSION,
    NavSource.SEARCH_RESULTS: NavOutcome.FOCUSED_SESSION,
    NavSource.QUICK_CREATE_NOTIFICATION: NavOutcome.NEW_SESSION,
    NavSource.CREATE_RECORD: NavOutcome.NEW_SESSION,
    NavSource.TIMELINE: NavOutcome.NEW_TAB,
    NavSource.FORM_LOOKUP: NavOutcome.NEW_TAB,
    NavSource.SITEMAP_VIEW: NavOutcome.NEW_TAB,
    NavSource.SITEMAP_DASHBOARD: NavOutcome.NEW_TAB,
    NavSource.SITEMAP_PAGE: NavOutcome.FOCUSED_SESSION,
}


def decide(source: NavSource, *, focused_is_home: bool) -> NavOutcome:
    """Returns the outcome of a navigation from ``source``.

    ================================  =========================================
    source                            outcome
    ================================  =========================================
    HOME                              NEW_SESSION
    GLOBAL_SEARCH                     NEW_SESSION
    SEARCH_RESULTS                    FOCUSED_SESSION
    QUICK_CREATE_NOTIFICATION         NEW_SESSION
    CREATE_RECORD                     NEW_SESSION
    TIMELINE                          NEW_TAB
    FORM_LOOKUP                       NEW_TAB
    SITEMAP_VIEW                      NEW_TAB
    SITEMAP_DASHBOARD                 NEW_TAB
    SITEMAP_PAGE                      FOCUSED_SESSION
    OPEN_FORM, NAVIGATE_TO            NEW_SESSION if Home is focused, else NEW_TAB
    ================================  =========================================

    Args:
        source: Where the navigation started (a member, value or name).
        focused_is_home: Whether the Home session is the focused session.

    Returns:
        The :class:`NavOutcome`.

    Raises:
        ValidationError: ``invalid_input`` for an unknown source.
    """
    source = NavSource.parse(source)
    if source in (NavSource.OPEN_FORM, NavSource.NAVIGATE_TO):
        return NavOutcome.NEW_SESSION if focused_is_home else NavOutcome.NEW_TAB
    return _TABLE[source]


@dataclass
class NavTarget:
    """What a navigation opens: a tab template with its app context.

    Attributes:
        template_name: Tab template unique name.
        app_context: Parameters for the tab.
        title: Explicit tab title.
        attributes: Record attributes; they become the ``anchor`` of a new session.
    """

    template_name: str
    app_context: dict = field(default_factory=dict)
    title: str | None = None
    attributes: dict | None = None

    @classmethod
    def record(
        cls,
        entity_name: str,
        entity_id: str | None = None,
        *,
        title: str | None = None,
        attributes: dict | None = None,
    ) -> NavTarget:
        """Returns the target for an entity record (``entity_id=None`` for a new record)."""
        app_context = {"entityName": entity_name}
        if entity_id is not None:
            app_context["entityId"] = entity_id
        return cls("msdyn_entityrecord", app_context, title, attributes)

    @property
    def entity_name(self) -> str | None:
        """The target's entity name when it is an entity record, else ``None``."""
        name = self.app_context.get("entityName")
        return name if self.template_name == "msdyn_entityrecord" and isinstance(name, str) else None
