"""Which page shows which tab: every page class, registered with its matcher, most specific first.

Tabs no page accepts fall back to ``components.tab_panel.TabPanelRenderer`` (title, template, parameters).
"""

from __future__ import annotations

from components.dashboard import DashboardPage, is_dashboard
from components.entity_list import EntityListPage, has_list
from components.pages import PageHost


def register_pages(host: PageHost) -> None:
    """Register every page with ``host`` (order matters: the first matching page wins)."""
    host.register(is_dashboard, DashboardPage)
    host.register(has_list, EntityListPage)
