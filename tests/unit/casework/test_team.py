"""The team home's counts (casework.team, issue 15 item 11)."""

from __future__ import annotations

from casework.team import TileRow, open_load_filter, ordered, queue_item_filters


def test_filters_of_the_team_tiles() -> None:
    everything, waiting = queue_item_filters("q-1")
    assert everything == "queueid eq 'q-1'"
    assert waiting == "queueid eq 'q-1' and workerid eq null"
    assert open_load_filter("u-1") == "ownerid eq 'u-1' and statecode eq 0"


def test_busiest_first_unreadable_last_then_by_name() -> None:
    rows = [TileRow("a", "bob", (3,)), TileRow("b", "Ann", (3,)), TileRow("c", "Cy", (None,)), TileRow("d", "Di", (9,))]
    assert [row.record_id for row in ordered(rows)] == ["d", "b", "a", "c"]
