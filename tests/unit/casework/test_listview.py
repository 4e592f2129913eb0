"""List state (search, view, column filters, sort, page, selection, scroll) -> the list query; restore; the list
catalogue (lookups, cell text). The built filters are checked with the server's own OData parser."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import column

from casework.listcatalog import LOOKUP_BATCH, SPECS, cell_text, format_datetime, list_spec, lookup_queries, open_target
from casework.listview import DEFAULT_PAGE_SIZE, MAX_SELECTION, ListState
from casework.records import RecordClient, RecordError
from server.api.odata import FilterParser, parse_orderby
from tests.support.aio import run
from tests.support.live_app import live_transport

CASES = SPECS["incident"]
ME = "11111111-2222-4333-8444-555555555555"
IDS = [f"r{i}" for i in range(10)]


def parses(text: str | None, fields: set[str]) -> None:
    """The server accepts ``text`` as a $filter over ``fields`` (all typed as text except known ints/guids)."""
    if text is None:
        return
    kinds = {"statecode": "int", "prioritycode": "int", "statuscode": "int", "ownerid": "guid", "workerid": "guid",
             "queueid": "guid"}
    FilterParser(text, {name: (column(name), kinds.get(name, "string")) for name in fields}).parse()


def test_default_state_queries_the_first_view_in_its_order() -> None:
    state = CASES.default_state()
    query = state.query(CASES, ME)
    assert query["filter"] == f"ownerid eq '{ME}' and statecode eq 0"
    assert query["orderby"] == "createdon desc"
    assert (query["top"], query["skip"], query["count"]) == (DEFAULT_PAGE_SIZE, 0, True)
    assert query["select"][0] == "incidentid" and "title" in query["select"] and "customeridtype" in query["select"]


def test_search_is_quoted_and_or_ed_over_the_searchable_fields() -> None:
    state = CASES.default_state().with_search("O'Brien) or (1 eq 1")
    text = state.query(CASES, ME)["filter"]
    assert "contains(title,'O''Brien) or (1 eq 1')" in text and "contains(ticketnumber," in text
    assert "contains(customeridname,'O''Brien) or (1 eq 1')" in text  # the Customer column, by the name it shows
    parses(text, {"ownerid", "statecode", "title", "ticketnumber", "customeridname"})


@settings(max_examples=200)
@given(st.text(max_size=120))
def test_any_search_text_stays_one_literal(text: str) -> None:
    state = CASES.default_state().with_search(text)
    parsed = state.query(CASES, ME)["filter"]
    parses(parsed, {"ownerid", "statecode", "title", "ticketnumber", "customeridname"})
    if text.replace("\x00", "").strip():  # NUL is dropped from the search text
        assert parsed.count("contains(") == 3


def test_views_column_filters_and_sort_change_the_query_and_start_over() -> None:
    state = CASES.default_state().go_to(3).with_view(CASES, "resolved")
    assert state.page == 0 and state.sort == "resolvedon" and state.descending
    assert state.query(CASES, ME)["filter"] == "statecode eq 1"
    state = state.go_to(2).with_filter("prioritycode", 1)
    assert state.page == 0 and state.query(CASES, ME)["filter"] == "statecode eq 1 and prioritycode eq 1"
    assert state.with_filter("prioritycode", None).filters == ()
    assert state.with_filter("notafilter", "x").query(CASES, ME)["filter"] == "statecode eq 1 and prioritycode eq 1"
    sorted_once = state.go_to(1).toggle_sort(CASES, "title")
    assert (sorted_once.sort, sorted_once.descending, sorted_once.page) == ("title", False, 0)
    # equal titles come newest-resolved first (the view's own order), not by id
    assert sorted_once.toggle_sort(CASES, "title").orderby(CASES) == "title desc,resolvedon desc"
    # a lookup column sorts by the name it shows; a field the list does not show is not a sort
    assert sorted_once.toggle_sort(CASES, "customerid").orderby(CASES) == "customeridname asc,resolvedon desc"
    assert sorted_once.toggle_sort(CASES, "ownerid").orderby(CASES) == "owneridname asc,resolvedon desc"
    assert sorted_once.toggle_sort(CASES, "description") is sorted_once
    assert parse_orderby(sorted_once.orderby(CASES), {"title": None, "resolvedon": None}) == [
        ("title", False), ("resolvedon", True)]
    assert state.with_view(CASES, "resolved").orderby(CASES) == "resolvedon desc"  # no second copy of itself


def test_clear_all_drops_search_and_filters_but_keeps_the_view_and_sort() -> None:
    state = CASES.default_state().with_view(CASES, "resolved").toggle_sort(CASES, "title")
    assert not state.narrowed and state.cleared() is state
    narrowed = state.with_filter("prioritycode", 1).with_search("printer").go_to(2)
    assert narrowed.narrowed
    cleared = narrowed.cleared()
    assert (cleared.search, cleared.filters, cleared.page) == ("", (), 0)
    assert (cleared.view, cleared.sort) == ("resolved", "title")


def test_paging_labels_and_limits() -> None:
    state = CASES.default_state()
    assert state.pager_label(5000, 50) == "1–50 of 5,000"
    second = state.go_to(1, total=5000)
    assert second.query(CASES, ME)["skip"] == 50 and second.pager_label(5000, 50) == "51–100 of 5,000"
    assert state.go_to(999, total=120).page == 2 and state.go_to(-4).page == 0
    assert state.go_to(2, total=120).has_next(120) is False and state.has_next(120)
    assert state.has_next(None, next_link=True) and not state.has_previous() and second.has_previous()
    assert state.pager_label(0, 0) == "No records"
    assert state.with_page_size(100).page_size == 100 and state.with_page_size(7).page_size == DEFAULT_PAGE_SIZE


def test_click_ctrl_and_shift_select_like_a_desktop_list() -> None:
    state = CASES.default_state().click(IDS, "r2")
    assert state.selected == ("r2",) and state.anchor == "r2"
    state = state.click(IDS, "r5", shift=True)
    assert state.selected == ("r2", "r3", "r4", "r5") and state.anchor == "r2"
    state = state.click(IDS, "r3", ctrl=True)
    assert state.selected == ("r2", "r4", "r5") and state.anchor == "r3"
    state = state.click(IDS, "r8", shift=True, ctrl=True)
    assert state.selected == ("r2", "r4", "r5", "r3", "r6", "r7", "r8")
    assert state.click(IDS, "r1").selected == ("r1",)
    assert state.click(IDS, "nope") is state
    assert state.toggle("r2").selected == ("r4", "r5", "r3", "r6", "r7", "r8")


def test_select_page_selects_all_then_clears_them_and_retain_drops_vanished_rows() -> None:
    state = CASES.default_state().click(IDS, "r1")
    every = state.select_page(IDS)
    assert set(every.selected) == set(IDS)
    assert every.select_page(IDS).selected == ()
    kept = every.with_focus("r9").retain(["r1", "r2"])
    assert kept.selected == ("r1", "r2") and kept.focus is None


def test_focus_moves_and_clamps() -> None:
    state = CASES.default_state().move_focus(IDS, 1)
    assert state.focus == "r0"
    assert state.move_focus(IDS, 3).focus == "r3" and state.move_focus(IDS, -1).focus == "r0"
    assert state.move_focus(IDS, 10**6).focus == "r9" and state.move_focus([], 1) is state


def test_round_trip_through_json() -> None:
    state = (CASES.default_state().with_view(CASES, "all_active").with_search("printer")
             .with_filter("prioritycode", 1).toggle_sort(CASES, "title").toggle_sort(CASES, "title")
             .with_page_size(25).go_to(3).click(IDS, "r1").click(IDS, "r3", shift=True).with_scroll(420.6))
    assert ListState.from_dict(CASES, json.loads(json.dumps(state.to_dict()))) == state


@st.composite
def states(draw) -> ListState:
    state = CASES.default_state().with_view(CASES, draw(st.sampled_from([v.key for v in CASES.views])))
    state = state.with_search(draw(st.text(max_size=30)))
    if draw(st.booleans()):
        state = state.with_filter("prioritycode", draw(st.sampled_from([1, 2, 3])))
    for name in draw(st.lists(st.sampled_from(CASES.columns), max_size=3)):
        state = state.toggle_sort(CASES, name)
    state = state.with_page_size(draw(st.sampled_from([25, 50, 100]))).go_to(draw(st.integers(0, 50)))
    for row, shift, ctrl in draw(st.lists(st.tuples(st.sampled_from(IDS), st.booleans(), st.booleans()), max_size=5)):
        state = state.click(IDS, row, shift=shift, ctrl=ctrl)
    return state.with_scroll(draw(st.integers(0, 10**6)))


@given(states())
def test_every_state_survives_restore(state: ListState) -> None:
    assert ListState.from_dict(CASES, json.loads(json.dumps(state.to_dict()))) == state


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                   max_size=4), max_leaves=12)


@given(st.one_of(JSONISH, st.dictionaries(st.sampled_from(list(CASES.default_state().to_dict())), JSONISH)))
def test_garbage_restores_to_a_usable_state(data) -> None:
    state = ListState.from_dict(CASES, data)
    query = state.query(CASES, ME)
    parses(query["filter"], {"ownerid", "statecode", "title", "ticketnumber", "prioritycode", "customeridname"})
    assert query["top"] in (25, 50, 100, 250) and query["skip"] >= 0
    assert len(state.selected) <= MAX_SELECTION and state.scroll >= 0
    json.dumps(state.to_dict())


def test_every_catalogued_list_builds_a_query() -> None:
    for name, spec in SPECS.items():
        for view in spec.views:
            query = spec.default_state().with_view(spec, view.key).with_search("x").query(spec, ME)
            assert query["select"][0] == spec.key, name
            assert spec.can_sort(query["orderby"].split()[0]), name


def test_queue_view_narrows_items_to_one_queue() -> None:
    queue = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    spec = list_spec("queueitems", f"queue:{queue}")
    assert spec.default_state().filter_text(spec, ME) == f"workerid eq null and queueid eq '{queue}'"
    assert list_spec("incidents") is SPECS["incident"] and list_spec("queueitem", "other") is SPECS["queueitem"]
    with pytest.raises(KeyError):
        list_spec("widgets")


def test_lookup_queries_batch_by_target_and_skip_known_ids() -> None:
    rows = [{"customerid": f"a{i}", "customeridtype": "account"} for i in range(LOOKUP_BATCH + 5)]
    rows += [{"customerid": "c1", "customeridtype": "contact"}, {"customerid": "a0", "customeridtype": "account"},
             {"customerid": None, "customeridtype": "account"}, {"customerid": "x", "customeridtype": "bogus"}]
    requests = lookup_queries(rows, ("title", "customerid"), known={"a1"})
    assert [(target, count) for target, _, count in requests] == [
        ("accounts", LOOKUP_BATCH), ("accounts", 4), ("contacts", 1)]
    assert requests[0][1].startswith("accountid eq 'a0' or accountid eq 'a2'")
    assert requests[2][1] == "contactid eq 'c1'"
    assert lookup_queries(rows, ("customerid",), known={r["customerid"] for r in rows if r["customerid"]}) == []


def test_cells_show_names_labels_and_readable_dates() -> None:
    record = {"customerid": "a1", "prioritycode": 1, "statuscode": 2, "createdon": "2026-03-14T09:05:00Z",
              "knowledgearticleviews": 12345, "title": "<b>x</b>"}
    assert cell_text("incidents", "customerid", record, {"a1": "Contoso"}) == "Contoso"
    assert cell_text("incidents", "customerid", record, {}) == "…"
    assert cell_text("incidents", "prioritycode", record, {}) == "High"
    assert cell_text("incidents", "statuscode", record, {}) == "On hold"
    assert cell_text("tasks", "prioritycode", record, {}) == "Normal"  # activities: 0 low, 1 normal, 2 high
    assert cell_text("activitypointers", "activitytypecode", {"activitytypecode": "phonecall"}, {}) == "Phone call"
    assert cell_text("incidents", "createdon", record, {}) == "14 Mar 2026 09:05"
    assert cell_text("incidents", "createdon", record, {}, offset_minutes=120) == "14 Mar 2026 11:05"
    assert cell_text("knowledgearticles", "knowledgearticleviews", record, {}) == "12,345"
    assert cell_text("incidents", "title", record, {}) == "<b>x</b>"
    assert cell_text("incidents", "subject", record, {}) == ""
    assert format_datetime("not a date") == "not a date"


def test_rows_open_their_own_record() -> None:
    assert open_target("activitypointers", {"activityid": "t1", "activitytypecode": "phonecall"}) == ("phonecall", "t1")
    assert open_target("activitypointers", {"activityid": "t1", "activitytypecode": "odd"}) is None
    assert open_target("queueitems", {"queueitemid": "q", "objectid": "c"}) == ("incident", "c")
    assert open_target("incidents", {"incidentid": "c"}) == ("incident", "c")


# -- against the real server -------------------------------------------------------------------------------------

@pytest.fixture
def live(seeded_template: Path, tmp_path: Path) -> Iterator[tuple[RecordClient, list]]:
    changes: list = []
    with live_transport(seeded_template, tmp_path) as transport:
        yield RecordClient(transport, on_change=changes.append), changes


def test_every_list_query_is_accepted_by_the_server(live) -> None:
    client, _ = live

    async def scenario() -> None:
        me = (await client.login("agent3", "casework"))["user"]["systemuserid"]
        for name, spec in SPECS.items():
            for view in spec.views:
                state = spec.default_state().with_view(spec, view.key)
                for column_name in spec.columns:
                    state = state.toggle_sort(spec, column_name)
                page = await client.list(spec.entity_set, **state.with_search("a'b").query(spec, me))
                assert page.count is not None, name
                page = await client.list(spec.entity_set, **state.query(spec, me))
                for target, text, count in lookup_queries(page.records, spec.columns, set()):
                    found = await client.list(target, filter=text, top=count)
                    assert len(found.records) == count, (name, target)

    run(scenario())


def test_pick_queue_item_through_the_client_announces_both_changes(live) -> None:
    client, changes = live

    async def scenario() -> None:
        me = (await client.login("agent3", "casework"))["user"]["systemuserid"]
        spec = SPECS["dashboard.queue"]
        item = (await client.list(spec.entity_set, **spec.default_state().query(spec, me))).records[0]
        item = await client.get("queueitems", item["queueitemid"])
        picked, case = await client.pick_queue_item(item)
        assert picked["workerid"] == me and case["ownerid"] == me
        assert [(c.entity_set, c.record_id) for c in changes] == [
            ("queueitems", item["queueitemid"]), ("incidents", case["incidentid"])]
        await client.login("agent6", "casework")  # a member of agent3's queue
        with pytest.raises(RecordError) as taken:
            await client.pick_queue_item(picked)
        assert taken.value.status == 409 and taken.value.code == "already_picked"

    run(scenario())


def test_an_open_activity_past_its_due_date_is_overdue_and_a_done_or_undated_one_is_not() -> None:
    from casework.listcatalog import is_overdue

    now = "2026-03-02T10:00:00"
    assert is_overdue("scheduledend", {"scheduledend": "2026-03-01T09:00:00Z", "statecode": 0}, now)
    assert not is_overdue("scheduledend", {"scheduledend": "2026-03-03T09:00:00Z", "statecode": 0}, now)
    assert not is_overdue("scheduledend", {"scheduledend": "2026-03-01T09:00:00Z", "statecode": 1}, now)
    assert not is_overdue("scheduledend", {"scheduledend": None, "statecode": 0}, now)
    assert not is_overdue("createdon", {"createdon": "2020-01-01T00:00:00Z"}, now)
