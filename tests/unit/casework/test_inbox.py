"""The inbox's pure rules: query parsing, filter, sort (a total order), view placement of pushed changes, keyboard
moves, restore."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.inbox import (
    InboxQueryError,
    InboxState,
    Query,
    arrange,
    conversation_item,
    counts,
    matches,
    view_of,
)

ME, OTHER, QUEUE = "u-me", "u-other", "q-1"


def item(key: str, customer: str, time: str, unread: int = 0, **extra) -> dict:
    return {"key": key, "kind": "conversation", "id": key, "customer": customer, "time": time, "unread": unread,
            **extra}


ITEMS = [item("a", "Zoe", "2026-12-01T10:00:00Z", 2), item("b", "adam", "2026-12-01T09:00:00Z"),
         item("c", "Mia", "2026-12-01T11:00:00Z", 1), item("d", "Adam", "2026-12-01T09:00:00Z")]


def keys(items) -> list[str]:
    return [i["key"] for i in items]


def test_query_defaults_and_parse() -> None:
    assert Query.parse({}) == Query("all", "date", "desc")
    assert Query.parse({"filter": "unread", "sort": "customer", "order": "asc"}) == Query("unread", "customer", "asc")


@pytest.mark.parametrize("params, field", [({"filter": "new"}, "filter"), ({"sort": "priority"}, "sort"),
                                           ({"order": "up"}, "order")])
def test_query_refuses_values_outside_choices(params, field) -> None:
    with pytest.raises(InboxQueryError) as error:
        Query.parse(params)
    assert error.value.field == field


def test_filters() -> None:
    assert keys(arrange(ITEMS, Query("unread"))) == ["c", "a"]
    assert keys(arrange(ITEMS, Query("read", order="asc"))) == ["b", "d"]
    assert [matches(i, "all") for i in ITEMS] == [True] * 4


def test_sort_by_date_latest_or_oldest_on_top_with_key_tie_break() -> None:
    assert keys(arrange(ITEMS, Query())) == ["c", "a", "d", "b"]
    assert keys(arrange(ITEMS, Query(order="asc"))) == ["b", "d", "a", "c"]


def test_sort_by_customer_ignores_case() -> None:
    assert keys(arrange(ITEMS, Query(sort="customer", order="asc"))) == ["b", "d", "c", "a"]
    assert keys(arrange(ITEMS, Query(sort="customer", order="desc"))) == ["a", "c", "d", "b"]


def test_counts_accrue_unread_items() -> None:
    assert counts(ITEMS) == {"count": 4, "unread": 2}


@given(st.lists(st.tuples(st.sampled_from(["x", "Y", "z"]), st.integers(0, 5), st.integers(0, 2)), max_size=20),
       st.sampled_from(["date", "customer"]))
def test_asc_is_the_reverse_of_desc(rows, sort) -> None:
    items = [item(f"k{n}", c, f"2026-12-01T0{t}:00:00Z", u) for n, (c, t, u) in enumerate(rows)]
    assert keys(arrange(items, Query(sort=sort, order="asc"))) == keys(arrange(items, Query(sort=sort)))[::-1]


@pytest.mark.parametrize("fields, view", [
    ({"ownerid": ME, "statuscode": 2}, "assigned"), ({"ownerid": ME, "statuscode": 5}, "assigned"),
    ({"ownerid": ME, "statuscode": 4}, "resolved"), ({"ownerid": None, "statuscode": 1, "queueid": QUEUE},
                                                     "unassigned"),
    ({"ownerid": None, "statuscode": 1, "queueid": "q-elsewhere"}, None), ({"ownerid": OTHER, "statuscode": 2}, None),
])
def test_conversation_views(fields, view) -> None:
    assert view_of({"kind": "conversation", **fields}, ME, [QUEUE]) == view


def test_record_views() -> None:
    assert view_of({"kind": "case", "ownerid": ME, "statecode": 0}, ME) == "cases"
    assert view_of({"kind": "case", "ownerid": ME, "statecode": 1}, ME) is None
    assert view_of({"kind": "email", "ownerid": ME, "statecode": 0}, ME) == "email"
    assert view_of({"kind": "activity", "ownerid": ME, "statecode": 0}, ME) == "activities"


def _conversation(cid: str, owner, status: int, **extra) -> dict:
    return conversation_item({"conversationid": cid, "customername": f"Customer {cid}", "channel": "chat",
                              "title": "Help", "ownerid": owner, "queueid": QUEUE, "statuscode": status,
                              "createdon": f"2026-12-01T10:0{cid[-1]}:00Z", **extra})


def test_assignment_elsewhere_moves_the_selection_to_the_neighbour() -> None:
    state = InboxState(view="unassigned").with_items("unassigned", [
        {**_conversation("c1", None, 1), "unread": 1}, _conversation("c2", None, 1), _conversation("c3", None, 1)])
    state = state.select("conversation:c2")
    state = state.place(_conversation("c2", OTHER, 2), ME, [QUEUE])
    assert keys(state.rows()) == ["conversation:c3", "conversation:c1"]
    assert state.selected == "conversation:c1"


def test_accepting_moves_a_conversation_to_assigned_keeping_its_preview() -> None:
    state = InboxState(view="unassigned").with_items("unassigned", [{**_conversation("c1", None, 1),
                                                                    "preview": "hello", "unread": 1}])
    state = state.place(_conversation("c1", ME, 2), ME, [QUEUE])
    assert state.rows() == []
    moved = state.with_view("assigned").rows()
    assert [(m["key"], m["preview"], m["unread"], m["view"]) for m in moved] == [
        ("conversation:c1", "hello", 1, "assigned")]
    assert state.view_counts()["assigned"] == {"count": 1, "unread": 1}


def test_move_clamps_and_starts_at_the_first_row() -> None:
    state = InboxState(view="assigned").with_items("assigned", [_conversation(f"c{n}", ME, 2) for n in range(3)])
    order = keys(state.rows())
    state = state.move(1)
    assert state.selected == order[0]
    state = state.move(1).move(1).move(1)
    assert state.selected == order[2]
    assert state.move(-5).selected == order[0]


def test_unknown_view_is_refused() -> None:
    with pytest.raises(InboxQueryError):
        InboxState().with_view("spam")


def test_restore_round_trip_and_defensive_load() -> None:
    state = InboxState(view="cases", query=Query("unread", "customer", "asc"), selected="case:1")
    assert InboxState.rehydrate(state.dehydrate()) == InboxState(view="cases", query=Query("unread", "customer", "asc"),
                                                                 selected="case:1")
    assert InboxState.rehydrate({"view": "nope", "filter": "x", "selected": 3}) == InboxState()
    assert InboxState.rehydrate("garbage") == InboxState()


def test_derived_rows_follow_new_items_but_survive_moves_and_switches() -> None:
    state = InboxState(view="assigned").with_items("assigned", [_conversation("c1", ME, 2)])
    rows = state.rows()
    assert state.move(1).rows() is rows and state.with_view("cases").with_view("assigned").rows() is rows
    grown = state.with_items("assigned", [_conversation("c1", ME, 2), _conversation("c2", ME, 2)])
    assert len(grown.rows()) == 2 and len(state.rows()) == 1
    assert grown.view_counts()["assigned"]["count"] == 2 and state.view_counts()["assigned"]["count"] == 1


def test_a_profile_chooses_the_inbox_views_and_their_order() -> None:
    from casework.inbox import VIEW_IDS, check_profile_views, profile_views

    assert profile_views({"inboxViews": ["assigned", "cases", "assigned", "spam"]}) == ("assigned", "cases")
    for settings in (None, {}, {"inboxViews": []}, {"inboxViews": ["spam"]}, {"inboxViews": "cases"}):
        assert profile_views(settings) == VIEW_IDS  # nothing usable: every view, never an empty inbox
    check_profile_views(["email", "cases"])
    for bad in ([], ["cases", "cases"], ["my-active-cases"], "cases", [3]):
        with pytest.raises(ValueError):
            check_profile_views(bad)
