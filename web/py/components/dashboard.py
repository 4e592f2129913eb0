"""The agent dashboard (Home, and dashboards opened from the site map): my active cases, cases available to work
on (queue items nobody picked), my open activities. Each is a :class:`components.list_view.ListView`.

Opening a record from Home starts a new session from the entity's session template (``NavSource.HOME``; the record
is passed along so ``{anchor.*}`` slugs title the session). Picking a queue item makes it, and its case, the
agent's in one server call; the case then shows in My active cases (record bus) and opens in a new session.

Deleting cases: the server lets only supervisors and admins delete cases, so the Delete button of My active cases
is shown only to agents holding one of those roles (the server's refusal would still be shown as a notice).
"""

from __future__ import annotations

from typing import Any

from apm.model import HOME_TAB_ID
from apm.navigation import NavSource
from apm.templates import DEFAULT_DASHBOARD_ID
from browser.dom import h
from casework.access import is_manager
from casework.entities import ACTIVITY_TYPE
from casework.listcatalog import SPECS, open_target
from casework.records import RecordError
from components.list_view import Action, ListView, delete_records
from components.pages import Page, Services
from components.team_home import TeamTiles

ACTIVITY_SETS = ("tasks", "emails", "phonecalls", "appointments")
MANAGER_ROLES = ("supervisor", "admin")


def is_dashboard(tab: Any) -> bool:
    """Matcher: Home's dashboard, and the agent dashboard opened from the site map."""
    return tab.tab_id == HOME_TAB_ID or (
        tab.page_type.value == "dashboard" and tab.params.get("dashboardId") == DEFAULT_DASHBOARD_ID)


def can_delete_cases(services: Services) -> bool:
    return any(role in MANAGER_ROLES for role in services.agent.roles)


async def open_row(services: Services, entity_set: str, record: dict, source: NavSource) -> None:
    """Open what a row stands for: the record itself, an activity's own type, a queue item's case (read first,
    so the session gets the case's attributes for its title)."""
    target = open_target(entity_set, record)
    if target is None:
        services.notify("This row has no record to open.", "no_record")
        return
    logical, record_id = target
    anchor = record
    if entity_set == "queueitems":
        try:
            anchor = await services.client.get("incidents", record_id)
        except RecordError as error:
            services.notify(error.message or "The case could not be read.", error.code)
            return
    services.open_record(logical, record_id, source, record=anchor)


async def choose_activity_type(services: Services) -> str | None:
    """Ask which kind of activity to create; ``None`` when cancelled."""
    buttons = [("Cancel", None)] + [(label, value, "secondary") for value, label in ACTIVITY_TYPE]
    return await services.dialogs.show("New activity", "What kind of activity?", buttons, label="new-activity")


async def create_activity(services: Services) -> None:
    kind = await choose_activity_type(services)
    if kind:
        services.open_record(kind, None, NavSource.CREATE_RECORD)


async def pick_items(services: Services, items: list[dict], open_case: bool = True) -> None:
    """Pick queue items: each becomes the agent's with its case; one picked case opens in a new session."""
    picked = []
    for item in items:
        try:
            _, case = await services.client.pick_queue_item(item)
            picked.append(case)
        except RecordError as error:
            services.notify(error.message or f"The server answered {error.status}.", error.code)
    if len(picked) == 1:
        services.notify(f"Picked “{picked[0].get('title') or 'the case'}”: it is yours now, in My active cases.",
                        "picked")
        if open_case:
            services.open_record("incident", picked[0]["incidentid"], NavSource.HOME, record=picked[0])
    elif picked:
        services.notify(f"Picked {len(picked)} items: they are in My active cases.", "picked")


class DashboardPage(Page):
    """Three lists; their states (filter, sort, page, selection, scroll) are the page's view state."""

    LISTS = ("cases", "activities", "queue")

    def mount(self, panel: Any) -> None:
        services = self.services
        saved = self.initial_state.get("lists") if isinstance(self.initial_state.get("lists"), dict) else {}
        source = NavSource.HOME if self.tab_id == HOME_TAB_ID else NavSource.OPEN_FORM
        case_delete = ((lambda rows: delete_records(services, "incidents", rows))
                       if can_delete_cases(services) else None)
        manager = is_manager(services.agent.roles)
        self.lists: dict[str, ListView] = {} if manager else {
            "cases": ListView(
                self, SPECS["dashboard.cases"], title="My active cases", state=saved.get("cases"), name="cases",
                on_open=lambda record: open_row(services, "incidents", record, source),
                actions=[Action("New case", lambda _rows: services.open_record(
                    "incident", None, NavSource.CREATE_RECORD), kind="primary", name="new-case")],
                on_delete=case_delete, watch=("incidents",)),
            "queue": ListView(
                self, SPECS["dashboard.queue"], title="Cases available to work on", state=saved.get("queue"),
                name="queue", on_open=lambda record: open_row(services, "queueitems", record, source),
                actions=[Action("Pick", lambda rows: pick_items(services, rows), needs=1, kind="primary",
                                name="pick")],
                watch=("queueitems", "incidents")),
            "activities": ListView(
                self, SPECS["dashboard.activities"], title="My open activities", state=saved.get("activities"),
                name="activities", on_open=lambda record: open_row(services, "activitypointers", record, source),
                actions=[Action("New activity", lambda _rows: create_activity(services), kind="primary",
                                name="new-activity")],
                on_delete=lambda rows: delete_records(services, "activitypointers", rows),
                watch=ACTIVITY_SETS + ("activitypointers",)),
        }
        heading = "Agent dashboard"
        names = self.LISTS
        self.team: TeamTiles | None = None
        if manager:  # issue 15, item 11: a home that fits the role (the agent's own lists are not built)
            heading, names = "Team dashboard", ("unassigned", "high")
            self.team = TeamTiles(services)
            for name, title in (("unassigned", "Unassigned cases"), ("high", "High-priority cases")):
                self.lists[name] = ListView(
                    self, SPECS[f"team.{name}"], title=title, state=saved.get(name), name=name,
                    on_open=lambda record: open_row(services, "incidents", record, source), watch=("incidents",))
        panel.classList.add("has-dashboard")
        self.root = h(
            "div", {"class": "dashboard", "data-dashboard": DEFAULT_DASHBOARD_ID,
                    "data-home": "team" if manager else "agent"},
            h("h1", {"class": "dashboard-title"}, heading),
            *([self.team.mount()] if self.team else []),
            h("div", {"class": "dashboard-grid is-team" if manager else "dashboard-grid"},
              *(self.lists[name].mount() for name in names)),
        )
        panel.appendChild(self.root)

    def refresh(self) -> None:
        """``tab.refreshed``: reload every list's page, keeping everything else (the view cleared the panel: the
        same DOM goes back in)."""
        if not self.root.parentNode:
            self.panel.appendChild(self.root)
        for view in self.lists.values():
            view.reload()
        if self.team:
            self.team.reload()

    def shown(self) -> None:
        for view in self.lists.values():
            view.shown()

    def view_state(self) -> dict | None:
        return {"lists": {name: view.state.to_dict() for name, view in self.lists.items()}}

    def dispose(self) -> None:
        for view in getattr(self, "lists", {}).values():
            view.dispose()
        super().dispose()
