"""An entity's list page (page type ``entitylist``, ``entityName`` of cases, accounts, contacts, activities,
knowledge articles, queues, queue items): one full-height :class:`components.list_view.ListView` with its views.

Opening a row follows ``NavSource.OPEN_FORM`` (from Home: a new session; elsewhere: a new tab in the focused
session). A queue opens its items (a queue-item list narrowed to the queue, ``viewId`` ``queue:<id>``).
"""

from __future__ import annotations

from typing import Any

from apm.navigation import NavSource, NavTarget
from casework.entities import entity
from casework.listcatalog import list_spec
from components.dashboard import ACTIVITY_SETS, can_delete_cases, create_activity, open_row, pick_items
from components.list_view import Action, ListView, delete_records
from components.pages import Page

# What a list page may create and delete, by entity set (the server stays the authority).
_CREATABLE = {"incidents", "accounts", "contacts", "knowledgearticles"}
_MANAGER_DELETES = {"incidents", "accounts", "contacts", "knowledgearticles", "queues"}


def has_list(tab: Any) -> bool:
    """Matcher: an ``entitylist`` tab of an entity we have a list for."""
    if tab.page_type.value != "entitylist":
        return False
    try:
        list_spec(str(tab.params.get("entityName")))
    except KeyError:
        return False
    return True


class EntityListPage(Page):
    """A full-height list of one entity set; its state is the page's view state ``{"list": {...}}``."""

    def mount(self, panel: Any) -> None:
        services = self.services
        params = self.params
        view_id = params.get("viewId")
        self.spec = spec = list_spec(str(params["entityName"]), view_id if isinstance(view_id, str) else None)
        entity_set = spec.entity_set
        meta = entity(entity_set)
        actions: list[Action] = []
        if entity_set in _CREATABLE:
            actions.append(Action(f"New {meta.singular.lower()}", lambda _rows: services.open_record(
                meta.logical, None, NavSource.CREATE_RECORD), kind="primary", name="new"))
        if entity_set == "activitypointers":
            actions.append(Action("New activity", lambda _rows: create_activity(services), kind="primary",
                                  name="new-activity"))
        if entity_set == "queueitems":
            actions.append(Action("Pick", lambda rows: pick_items(services, rows), needs=1, kind="primary",
                                  name="pick"))
        on_delete = None
        if entity_set == "activitypointers" or (entity_set in _MANAGER_DELETES and can_delete_cases(services)):
            def on_delete(rows: list[dict]) -> Any:
                return delete_records(services, entity_set, rows)
        watch = {"activitypointers": ACTIVITY_SETS + ("activitypointers",),
                 "queueitems": ("queueitems", "incidents")}.get(entity_set, (entity_set,))
        title = self.tab.title if self.tab.title and self.tab.title != "Entity list" else meta.plural
        self.list = ListView(self, spec, title=title, state=self.initial_state.get("list"),
                             on_open=self._open, actions=actions, on_delete=on_delete, watch=watch, name="list",
                             heading_level="h1")
        panel.classList.add("has-list")
        self.root = h_root = self.list.mount()
        h_root.classList.add("is-page")
        panel.appendChild(h_root)

    async def _open(self, record: dict) -> None:
        if self.spec.entity_set == "queues":
            name = str(record.get("name") or "Queue")
            target = NavTarget("msdyn_entitylist", {"entityName": "queueitem", "viewId": f"queue:{record['queueid']}",
                                                    "title": name}, title=name)
            self.services.open(target, NavSource.OPEN_FORM)
            return
        await open_row(self.services, self.spec.entity_set, record, NavSource.OPEN_FORM)

    def refresh(self) -> None:
        if not self.root.parentNode:
            self.panel.appendChild(self.root)
        self.list.reload()

    def shown(self) -> None:
        self.list.shown()

    def view_state(self) -> dict | None:
        return {"list": self.list.state.to_dict()}

    def dispose(self) -> None:
        if hasattr(self, "list"):
            self.list.dispose()
        super().dispose()
