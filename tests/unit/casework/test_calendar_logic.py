"""The agent calendar's pure logic: ranges in local time, items, placement side by side, rescheduling."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework import calendar as cal

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
AGENT = "0d6c3a4e-1111-4222-8333-444455556666"


def task(hour: int, minute: int = 0, day: int = 2, **fields) -> dict:
    return {"activityid": f"t-{day}-{hour}-{minute}", "subject": "Call back",
            "scheduledend": f"2026-12-{day:02d}T{hour:02d}:{minute:02d}:00Z", "@odata.etag": 'W/"1"', **fields}


def appointment(start: str, end: str, record_id: str = "a1") -> dict:
    return {"activityid": record_id, "subject": "Visit", "scheduledstart": start, "scheduledend": end,
            "@odata.etag": 'W/"1"'}


# -- ranges ---------------------------------------------------------------------------------------------------------

def test_a_week_runs_monday_to_sunday_around_any_day_of_it():
    view = cal.CalendarView("week", dt.date(2026, 12, 2))  # a Wednesday
    assert view.days[0] == dt.date(2026, 11, 30) and view.days[-1] == dt.date(2026, 12, 6)
    assert cal.CalendarView("week", dt.date(2026, 12, 6)).days == view.days  # Sunday: the same week
    assert view.heading() == "30 November – 6 December 2026"


def test_headings_say_the_range_once():
    assert cal.CalendarView("day", dt.date(2026, 12, 2)).heading() == "Wednesday 2 December 2026"
    assert cal.CalendarView("week", dt.date(2026, 12, 9)).heading() == "7 – 13 December 2026"
    assert cal.CalendarView("week", dt.date(2026, 12, 30)).heading() == "28 December 2026 – 3 January 2027"


def test_previous_and_next_move_by_the_mode():
    day = cal.CalendarView("day", dt.date(2026, 12, 31))
    assert day.shifted(1).anchor == dt.date(2027, 1, 1)
    assert day.with_mode("week").shifted(-1).days[0] == dt.date(2026, 12, 21)


def test_bounds_are_local_midnights_and_a_week_across_a_clock_change_has_its_real_length():
    view = cal.CalendarView("week", dt.date(2026, 10, 25))  # Berlin leaves summer time on Sunday 25 October
    start, end = view.bounds(BERLIN)
    assert cal.wire(start) == "2026-10-18T22:00:00Z"  # Monday 19 October 00:00 CEST
    assert cal.wire(end) == "2026-10-25T23:00:00Z"  # Monday 26 October 00:00 CET
    assert end.astimezone(UTC) - start.astimezone(UTC) == dt.timedelta(days=7, hours=1)


def test_the_filter_asks_for_the_agents_open_activities_due_in_the_range():
    start, end = cal.CalendarView("day", dt.date(2026, 12, 2)).bounds(BERLIN)
    assert cal.range_filter(AGENT, start, end) == (
        f"ownerid eq {AGENT} and statecode eq 0 and scheduledend ge 2026-12-01T23:00:00Z "
        "and scheduledend lt 2026-12-02T23:00:00Z")
    assert cal.undated_filter(AGENT) == f"ownerid eq {AGENT} and statecode eq 0 and scheduledend eq null"
    with pytest.raises(ValueError):
        cal.range_filter("x' or 1 eq 1", start, end)


def test_a_saved_view_comes_back_and_a_broken_one_falls_back_to_this_week():
    view = cal.CalendarView("day", dt.date(2026, 12, 3))
    today = dt.date(2026, 12, 2)
    assert cal.CalendarView.from_dict(view.to_dict(), today) == view
    assert cal.CalendarView.from_dict({"mode": "month", "anchor": "soon"}, today) == cal.CalendarView("week", today)
    assert cal.CalendarView.from_dict(None, today) == cal.CalendarView("week", today)


# -- items ----------------------------------------------------------------------------------------------------------

def test_undated_records_give_no_item_and_tasks_are_half_hour_blocks_at_their_due_time():
    assert cal.item_of("tasks", {"activityid": "x", "scheduledend": None}) is None
    assert cal.item_of("emails", task(9)) is None
    item = cal.item_of("tasks", task(9))
    assert (item.start, item.end) == (dt.datetime(2026, 12, 2, 9, tzinfo=UTC), dt.datetime(2026, 12, 2, 9, 30,
                                                                                              tzinfo=UTC))
    assert item.time_text(BERLIN) == "Due 10:00" and item.label == "Task" and item.key == "tasks:t-2-9-0"


def test_an_appointment_spans_start_to_end_and_a_missing_start_is_half_an_hour_before_the_end():
    item = cal.item_of("appointments", appointment("2026-12-02T09:00:00Z", "2026-12-02T10:30:00Z"))
    assert item.time_text(UTC) == "09:00–10:30"
    bad = cal.item_of("appointments", appointment("2026-12-02T11:00:00Z", "2026-12-02T10:30:00Z"))
    assert bad.time_text(UTC) == "10:00–10:30"


def test_the_undated_note_counts():
    assert cal.undated_note(0) == ""
    assert cal.undated_note(1) == "1 open activity without a due date, not shown."
    assert cal.undated_note(3) == "3 open activities without a due date, not shown."


# -- placement ------------------------------------------------------------------------------------------------------

def test_items_that_overlap_sit_side_by_side_and_the_next_free_lane_is_reused():
    items = cal.items_of({"appointments": [appointment("2026-12-02T09:00:00Z", "2026-12-02T11:00:00Z")],
                          "tasks": [task(9, 30), task(10, 15), task(14)]})
    placed = {p.item.id: p for p in cal.place_day(items, dt.date(2026, 12, 2), UTC)}
    assert (placed["a1"].top, placed["a1"].height, placed["a1"].lane, placed["a1"].lanes) == (540, 120, 0, 2)
    assert (placed["t-2-9-30"].lane, placed["t-2-9-30"].lanes) == (1, 2)
    assert (placed["t-2-10-15"].lane, placed["t-2-10-15"].lanes) == (1, 2)  # 9:30's lane is free again at 10:15
    assert (placed["t-2-14-0"].lane, placed["t-2-14-0"].lanes) == (0, 1)  # a cluster of its own


def test_items_land_in_their_local_day_and_a_late_task_stays_inside_it():
    items = cal.items_of({"tasks": [task(23, 45, day=1), task(23, 40, day=2)]})
    wednesday = cal.place_day(items, dt.date(2026, 12, 2), BERLIN)  # 23:45Z on the 1st is 00:45 on the 2nd
    assert [(p.item.id, p.top) for p in wednesday] == [("t-1-23-45", 45)]
    thursday = cal.place_day(items, dt.date(2026, 12, 3), BERLIN)
    assert [(p.item.id, p.top, p.height) for p in thursday] == [("t-2-23-40", 40, 30)]
    utc_day = cal.place_day(items, dt.date(2026, 12, 2), UTC)
    assert [(p.top, p.height) for p in utc_day] == [(1410, 30)]  # 23:40 drawn 23:30-24:00


def test_a_long_appointment_is_clipped_to_each_day_it_covers():
    items = cal.items_of({"appointments": [appointment("2026-12-02T22:00:00Z", "2026-12-03T02:00:00Z")]})
    assert [(p.top, p.height) for p in cal.place_day(items, dt.date(2026, 12, 2), UTC)] == [(1320, 120)]
    assert [(p.top, p.height) for p in cal.place_day(items, dt.date(2026, 12, 3), UTC)] == [(0, 120)]


@given(st.lists(st.tuples(st.integers(0, 47), st.integers(1, 8)), max_size=12))
def test_boxes_in_the_same_lane_never_overlap_and_lanes_fit(slots):
    records = [appointment(f"2026-12-02T{s // 2:02d}:{30 * (s % 2):02d}:00Z",
                           cal.wire(dt.datetime(2026, 12, 2, s // 2, 30 * (s % 2), tzinfo=UTC)
                                    + dt.timedelta(minutes=30 * n)), f"a{i}") for i, (s, n) in enumerate(slots)]
    placed = cal.place_day(cal.items_of({"appointments": records}), dt.date(2026, 12, 2), UTC)
    assert len(placed) == len(records)
    for p in placed:
        assert 0 <= p.lane < p.lanes and 0 <= p.top and p.top + p.height <= 24 * 60
    for a in placed:
        for b in placed:
            if a is not b and a.lane == b.lane:
                assert a.top + a.height <= b.top or b.top + b.height <= a.top
            if a.top < b.top + b.height and b.top < a.top + a.height:
                assert a.lanes == b.lanes  # overlapping boxes are in one cluster


# -- rescheduling ---------------------------------------------------------------------------------------------------

def test_a_move_keeps_the_duration_of_an_appointment_and_moves_a_task_alone():
    meeting = cal.item_of("appointments", appointment("2026-12-02T09:00:00Z", "2026-12-02T10:30:00Z"))
    assert cal.moved(meeting, dt.timedelta(minutes=30), UTC) == {"scheduledend": "2026-12-02T11:00:00Z",
                                                                  "scheduledstart": "2026-12-02T09:30:00Z"}
    assert cal.moved(cal.item_of("tasks", task(9)), dt.timedelta(days=-1), UTC) == {
        "scheduledend": "2026-12-01T09:00:00Z"}


def test_a_task_with_a_start_keeps_its_start_to_due_span():
    item = cal.item_of("tasks", task(10, scheduledstart="2026-12-02T09:00:00Z"))
    assert cal.moved(item, dt.timedelta(minutes=-30), UTC) == {"scheduledend": "2026-12-02T09:30:00Z",
                                                              "scheduledstart": "2026-12-02T08:30:00Z"}


def test_a_day_later_is_the_same_local_time_across_a_clock_change():
    item = cal.item_of("tasks", {"activityid": "x", "scheduledend": "2026-10-24T08:00:00Z"})  # 10:00 CEST
    assert cal.moved(item, dt.timedelta(days=1), BERLIN) == {"scheduledend": "2026-10-25T09:00:00Z"}  # 10:00 CET


def test_a_drop_snaps_to_the_half_hour_of_the_day_it_lands_in():
    item = cal.item_of("tasks", task(9, 10))
    delta = cal.drop_delta(item, dt.date(2026, 12, 4), 14 * 60 + 40, UTC)  # dropped at 14:40 on Friday
    assert cal.moved(item, delta, UTC) == {"scheduledend": "2026-12-04T14:30:00Z"}
    assert cal.moved(item, cal.drop_delta(item, dt.date(2026, 12, 2), -50, UTC), UTC) == {
        "scheduledend": "2026-12-02T00:00:00Z"}
    assert cal.moved(item, cal.drop_delta(item, dt.date(2026, 12, 2), 9 * 60 + 10, BERLIN), BERLIN) == {
        "scheduledend": "2026-12-02T08:00:00Z"}  # 09:10 local snaps to 09:00 local


def test_alt_arrows_move_half_an_hour_or_a_day_and_other_keys_do_nothing():
    assert cal.key_delta("ArrowUp", alt=True) == dt.timedelta(minutes=-30)
    assert cal.key_delta("ArrowDown", alt=True) == dt.timedelta(minutes=30)
    assert cal.key_delta("ArrowLeft", alt=True) == dt.timedelta(days=-1)
    assert cal.key_delta("ArrowRight", alt=True) == dt.timedelta(days=1)
    assert cal.key_delta("ArrowUp", alt=False) is None and cal.key_delta("Enter", alt=True) is None
    assert cal.key_delta("ArrowDown", alt=True, others=True) is None  # Alt+Shift+ArrowDown: the next session


def test_a_conflict_names_their_due_time_and_mine():
    theirs = task(15)
    mine = {"scheduledend": "2026-12-02T10:30:00Z"}
    assert cal.conflict_rows(mine, theirs, UTC) == [("Due", "Wednesday 2 December 15:00",
                                                     "Wednesday 2 December 10:30")]


def test_regarding_ids_are_asked_once_per_record_and_known_names_are_skipped():
    items = cal.items_of({"tasks": [
        task(9, regardingobjectid="c1", regardingobjecttypecode="incident"),
        task(10, regardingobjectid="c1", regardingobjecttypecode="incident"),
        task(11, regardingobjectid="k9", regardingobjecttypecode="contact"),
        task(12, regardingobjectid="c2", regardingobjecttypecode="incident")]})
    assert cal.regarding_ids(items, {"c2"}) == {"contact": ["k9"], "incident": ["c1"]}
