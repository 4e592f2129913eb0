"""Which page shows which tab: every page class, registered with its matcher, most specific first.

Tabs no page accepts fall back to ``components.tab_panel.TabPanelRenderer`` (title, template, parameters).
"""

from __future__ import annotations

from components import quick_create
from components.pages import PageHost, is_record
from components.record_form import FORM_ENTITIES, RecordFormPage


def register_pages(host: PageHost) -> None:
    """Register every page with ``host`` (order matters: the first matching page wins)."""
    host.register(is_record(*FORM_ENTITIES), RecordFormPage)
    quick_create.install(host.services)  # the header's "+" (needs the services, like the pages)
