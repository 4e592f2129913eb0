"""The team tiles of the supervisor's and admin's home (issue 15, item 11): queues (items, waiting for an agent)
and each agent's open load (active cases owned). Read-only; names open the queue or the user card. The counts are
``casework.team``'s ``$count`` queries, run together; they read again with the page (``refresh``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from apm.navigation import NavSource
from browser.dom import build, clear, on, unique_id
from casework.records import RecordError
from casework.team import MAX_AGENTS, MAX_QUEUES, TileRow, open_load_filter, ordered, queue_item_filters
from components.pages import Services, spawn


class TeamTile:
    """One tile: a heading and a small table (name, then counts)."""

    def __init__(self, services: Services, name: str, title: str, logical: str, headers: tuple[str, ...]) -> None:
        self.services = services
        self.logical = logical
        self.headers = headers
        heading_id = unique_id("team-title")
        self.root, refs = build(
            ["section", {"class": "team-tile", "data-tile": name, "aria-labelledby": heading_id},
             ["h2", {"class": "team-tile-title", "id": heading_id}, title],
             ["p", {"class": "team-status muted", "role": "status", "$ref": "status"}, "Loading…"],
             ["table", {"class": "team-table", "$ref": "table"},
              ["thead", None, ["tr", None, *[["th", {"scope": "col"}, header] for header in headers]]],
              ["tbody", {"$ref": "body"}]]])
        self.status, self.body = refs["status"], refs["body"]
        on(self.body, "click", self._clicked)

    def render(self, rows: list[TileRow], failed: str | None = None) -> None:
        clear(self.body)
        self.status.textContent = failed or ("" if rows else "Nothing to show.")
        specs = []
        for row in rows:
            cells = [["td", {"class": "team-count"}, "–" if count is None else str(count)] for count in row.counts]
            specs.append(["tr", {"data-id": row.record_id},
                          ["th", {"scope": "row"},
                           ["button", {"type": "button", "class": "team-open", "data-id": row.record_id},
                            row.name]], *cells])
        fragment, _ = build(["", None, specs])
        self.body.appendChild(fragment)

    def _clicked(self, event: Any) -> None:
        button = event.target.closest(".team-open")
        if button and button.dataset.id:
            self.services.open_record(self.logical, str(button.dataset.id), NavSource.HOME,
                                      title=str(button.textContent))


class TeamTiles:
    """The queues tile and the agents' load tile."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.queues = TeamTile(services, "queues", "Team queues", "queue", ("Queue", "Items", "Waiting"))
        self.load = TeamTile(services, "load", "Agents' open load", "systemuser", ("Agent", "Open cases"))
        self.root, _ = build(["div", {"class": "team-tiles"}])
        self.root.appendChild(self.queues.root)
        self.root.appendChild(self.load.root)

    def mount(self) -> Any:
        self.reload()
        return self.root

    def reload(self) -> None:
        spawn(self._queues())
        spawn(self._load())

    async def _count(self, entity_set: str, filter_text: str) -> int | None:
        try:
            page = await self.services.client.list(entity_set, filter=filter_text, top=1, count=True)
        except RecordError:
            return None
        return page.count

    async def _queues(self) -> None:
        client = self.services.client
        try:
            queues = (await client.list("queues", select=["queueid", "name"], orderby="name asc",
                                        top=MAX_QUEUES)).records
        except RecordError as error:
            self.queues.render([], f"The queues could not be read: {error.message}")
            return
        counts = await asyncio.gather(*[self._count("queueitems", text) for queue in queues
                                        for text in queue_item_filters(str(queue["queueid"]))])
        rows = [TileRow(str(queue["queueid"]), str(queue.get("name") or "(no name)"),
                        (counts[2 * n], counts[2 * n + 1])) for n, queue in enumerate(queues)]
        self.queues.render(ordered(rows))

    async def _load(self) -> None:
        client = self.services.client
        try:
            users = (await client.list("systemusers", select=["systemuserid", "fullname"],
                                       filter="isdisabled eq false", orderby="fullname asc",
                                       top=MAX_AGENTS)).records
        except RecordError as error:
            self.load.render([], f"The agents could not be read: {error.message}")
            return
        counts = await asyncio.gather(*[self._count("incidents", open_load_filter(str(user["systemuserid"])))
                                        for user in users])
        rows = [TileRow(str(user["systemuserid"]), str(user.get("fullname") or "(no name)"), (count,))
                for user, count in zip(users, counts, strict=True)]
        self.load.render(ordered(rows))
