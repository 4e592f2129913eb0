"""Which page shows which tab: every page class, registered with its matcher, most specific first; the form
extensions (a record's timeline, a case's actions); and the header's quick create.

Tabs no page accepts fall back to ``components.tab_panel.TabPanelRenderer`` (title, template, parameters).
"""

from __future__ import annotations

from components import calendar, case_actions, contact_cases, embedded_pages, knowledge, quick_create, timeline
from components.dashboard import DashboardPage, is_dashboard
from components.directory_pages import QueuePage, UserCardPage
from components.entity_list import EntityListPage, has_list
from components.form_extensions import extend_form
from components.pages import PageHost, is_page_type, is_record
from components.record_form import FORM_ENTITIES, RecordFormPage
from components.search_page import SearchPage


def register_pages(host: PageHost) -> None:
    """Register every page with ``host`` (order matters: the first matching page wins)."""
    host.register(is_dashboard, DashboardPage)
    host.register(has_list, EntityListPage)
    host.register(is_page_type("search"), SearchPage)
    calendar.register(host.register)  # the agent calendar (casework_calendar)
    host.register(is_record(*FORM_ENTITIES), RecordFormPage)
    knowledge.register(host)  # the msdyn_omnichannel_kbsearch tab (before the web resources it would be)
    host.register(is_record("systemuser"), UserCardPage)  # an owner's "Open": a card, not the developer page
    host.register(is_record("queue"), QueuePage)
    embedded_pages.register(host)  # web resources and websites, in iframes
    extend_form(timeline.TIMELINE_ENTITIES, timeline.install)
    extend_form(("incident",), case_actions.install)
    extend_form(("contact",), contact_cases.install)  # the contact's open cases, above its timeline
    quick_create.install(host.services)  # the header's "+" (needs the services, like the pages)
