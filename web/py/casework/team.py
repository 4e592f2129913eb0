"""The team home of supervisors and admins (issue 15, item 11): what the tiles count, as pure logic.

Two read-only tiles: each queue's items (all, and those nobody works on yet), and each agent's open load (active
cases they own). The counts come from ``$count`` queries of the ordinary list API (``$top=1``), one per queue or
agent, so the server's authorisation applies unchanged; there is no aggregate endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from casework.listview import Condition

MAX_QUEUES = 20
MAX_AGENTS = 40


@dataclass(frozen=True)
class TileRow:
    """One row of a tile: the record it counts for and its counts (``None``: could not be read)."""

    record_id: str
    name: str
    counts: tuple[int | None, ...]


def queue_item_filters(queue_id: str) -> tuple[str, str]:
    """``$filter`` of a queue's items, and of those nobody works on."""
    queue = Condition("queueid", "eq", queue_id).odata(None)
    return queue, f"{queue} and {Condition('workerid', 'eq', None).odata(None)}"


def open_load_filter(user_id: str) -> str:
    """``$filter`` of the active cases ``user_id`` owns."""
    return f"{Condition('ownerid', 'eq', user_id).odata(None)} and {Condition('statecode', 'eq', 0).odata(None)}"


def ordered(rows: list[TileRow]) -> list[TileRow]:
    """Busiest first (by the first count; unreadable counts last), then by name."""
    return sorted(rows, key=lambda row: (row.counts[0] is None, -(row.counts[0] or 0), row.name.lower()))
