"""The timeline's pure parts: relative and absolute times, day groups, filters, merging, bus relevance, drafts."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework import timeline as tl
from casework.recordbus import CREATED, DELETED, UPDATED, RecordChange

NOW = dt.datetime(2026, 11, 27, 15, 30, tzinfo=dt.UTC)


def ago(**delta: float) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


def item(item_id: str, when: dt.datetime, kind: str = "task", **extra: object) -> dict:
    return {"type": kind, "id": item_id, "subject": f"S {item_id}", "text": None,
            "createdon": when.isoformat().replace("+00:00", "Z"), "ownerid": None, "statecode": 0, **extra}


@pytest.mark.parametrize(("when", "expected"), [
    (ago(seconds=10), "just now"),
    (NOW + dt.timedelta(seconds=30), "just now"),  # a little clock skew
    (ago(minutes=1), "1 min ago"),
    (ago(minutes=59), "59 min ago"),
    (ago(hours=3, minutes=10), "3 h ago"),
    (ago(hours=23), "23 h ago"),
    (ago(days=1, hours=1), "yesterday"),
    (ago(days=4), "4 days ago"),
    (dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC), "12 Mar"),
    (dt.datetime(2025, 3, 12, 9, 0, tzinfo=dt.UTC), "12 Mar 2025"),
    (NOW + dt.timedelta(days=3), "30 Nov"),  # far in the future: the date, never "-3 days ago"
])
def test_relative_time_reads_like_an_agent_says_it(when: dt.datetime, expected: str) -> None:
    assert tl.relative_time(when, NOW) == expected


def test_absolute_time_is_exact_and_in_utc() -> None:
    when = dt.datetime(2026, 11, 27, 10, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert tl.absolute_time(when) == "Fri 27 Nov 2026, 09:05 UTC"


def test_parse_time_accepts_the_api_format_and_refuses_junk() -> None:
    assert tl.parse_time("2026-11-27T10:00:00.123456Z") == dt.datetime(2026, 11, 27, 10, 0, 0, 123456, dt.UTC)
    assert tl.parse_time("2026-11-27T10:00:00") == dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC)
    assert tl.parse_time("yesterday") is None
    assert tl.parse_time(None) is None


def test_items_group_under_day_headings_in_their_order() -> None:
    items = [item("a", ago(minutes=5)), item("b", ago(hours=2)), item("c", ago(days=1, hours=2)),
             item("d", ago(days=3)), item("e", dt.datetime(2026, 9, 2, tzinfo=dt.UTC)),
             item("f", dt.datetime(2026, 9, 1, tzinfo=dt.UTC)), item("g", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))]
    groups = tl.group_items(items, NOW)
    assert [(label, [i["id"] for i in members]) for label, members in groups] == [
        ("Today", ["a", "b"]), ("Yesterday", ["c"]), ("Last 7 days", ["d"]), ("September 2026", ["e", "f"]),
        ("January 2025", ["g"])]


def test_filters_keep_only_their_type_and_all_keeps_everything() -> None:
    items = [item("n", NOW, "note"), item("t", NOW, "task"), item("p", NOW, "phonecall"), item("e", NOW, "email"),
             item("r", NOW, "incidentresolution")]
    assert [i["id"] for i in tl.filter_items(items, "all")] == ["n", "t", "p", "e", "r"]
    assert [i["id"] for i in tl.filter_items(items, "note")] == ["n"]
    assert [i["id"] for i in tl.filter_items(items, "phonecall")] == ["p"]
    assert [i["id"] for i in tl.filter_items(items, "email")] == ["e"]
    assert [f.label for f in tl.FILTERS] == ["All", "Notes", "Tasks", "Phone calls", "Emails"]


def test_activities_open_as_records_and_notes_or_resolutions_expand_inline() -> None:
    assert tl.nav_target(item("t1", NOW, "task")) == ("task", "t1")
    assert tl.nav_target(item("p1", NOW, "phonecall")) == ("phonecall", "p1")
    assert tl.nav_target(item("e1", NOW, "email")) == ("email", "e1")
    assert tl.nav_target(item("a1", NOW, "appointment")) == ("appointment", "a1")
    assert tl.nav_target(item("n1", NOW, "note")) is None
    assert tl.nav_target(item("r1", NOW, "incidentresolution")) is None
    assert tl.nav_target(item("x1", NOW, "fax")) is None  # unknown types never navigate anywhere


def test_merge_replaces_by_id_and_keeps_newest_first_with_the_servers_tie_break() -> None:
    old = [item("b", ago(hours=1)), item("c", ago(hours=2))]
    merged = tl.merge_items(old, [item("a", NOW), item("c", ago(hours=2), subject="changed"),
                                  item("a2", ago(hours=1))])
    assert [i["id"] for i in merged] == ["a", "a2", "b", "c"]  # equal times: id ascending, as the server orders
    assert merged[-1]["subject"] == "changed"


@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 10_000)), max_size=30),
       st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 10_000)), max_size=30))
def test_merge_never_duplicates_and_is_sorted(first: list, second: list) -> None:
    def build(rows: list) -> list[dict]:
        return [item(i, ago(minutes=m)) for i, m in rows]

    merged = tl.merge_items(build(first), build(second))
    ids = [i["id"] for i in merged]
    assert len(ids) == len(set(ids)) == len({i for i, _ in first} | {i for i, _ in second})
    times = [tl.parse_time(i["createdon"]) for i in merged]
    assert times == sorted(times, reverse=True)


def test_summary_collapses_whitespace_and_cuts_at_a_word() -> None:
    assert tl.summary("  two\n\nlines  ") == "two lines"
    assert tl.summary("word " * 50, limit=20) == "word word word word…"
    assert tl.summary(None) == ""


def test_title_falls_back_to_text_then_type() -> None:
    assert tl.title_of({"type": "note", "subject": "  ", "text": "Called back"}) == "Called back"
    assert tl.title_of({"type": "note", "subject": None, "text": None}) == "Note"
    assert tl.status_of({"type": "task", "statecode": 1}) == "Completed"
    assert tl.status_of({"type": "note", "statecode": 1}) == ""
    assert tl.status_of({"type": "incidentresolution", "statecode": 1}) == ""


def test_records_become_items() -> None:
    note = {"annotationid": "n1", "subject": None, "notetext": "Hi", "createdon": "2026-11-27T10:00:00Z",
            "ownerid": "u1", "objectid": "c1"}
    assert tl.item_from_record("annotations", note) == {
        "type": "note", "id": "n1", "subject": None, "text": "Hi", "createdon": "2026-11-27T10:00:00Z",
        "ownerid": "u1", "statecode": 1}
    call = {"activityid": "p1", "activitytypecode": "phonecall", "subject": "Call", "description": "d",
            "createdon": "2026-11-27T10:00:00Z", "ownerid": "u1", "statecode": 0}
    assert tl.item_from_record("phonecalls", call)["type"] == "phonecall"
    assert tl.item_from_record("activitypointers", call)["type"] == "phonecall"
    assert tl.item_from_record("incidents", {"incidentid": "c1"}) is None


def test_bus_changes_concern_the_timeline_of_what_they_regard() -> None:
    case = "C1"
    mine = RecordChange("tasks", "t1", CREATED, {"activityid": "t1", "regardingobjectid": "c1"})
    other = RecordChange("tasks", "t2", CREATED, {"activityid": "t2", "regardingobjectid": "c2"})
    note = RecordChange("annotations", "n1", UPDATED, {"annotationid": "n1", "objectid": "c1"})
    action = RecordChange("incidents", "c1", UPDATED, {"incidentid": "c1"}, related=("activitypointers",))
    deleted_shown = RecordChange("tasks", "t9", DELETED, None)
    moved_away = RecordChange("tasks", "t8", UPDATED, {"activityid": "t8", "regardingobjectid": "c2"})
    assert tl.concerns(mine, case, set())
    assert not tl.concerns(other, case, set())
    assert tl.concerns(note, case, set())
    assert tl.concerns(action, case, set())
    assert tl.concerns(deleted_shown, case, {"t9"}) and not tl.concerns(deleted_shown, case, set())
    assert tl.concerns(moved_away, case, {"t8"})


def test_drafts_validate_like_the_server() -> None:
    assert tl.validate_draft("note", "", "Some text") == {}
    assert tl.validate_draft("note", "", "   ") == {"text": "Write the note's text."}
    assert tl.validate_draft("task", " ", "") == {"subject": "A task needs a subject."}
    assert tl.validate_draft("phonecall", "Call", "", "1" * 51) == {
        "phone": "The phone number is longer than 50 characters."}
    assert "subject" in tl.validate_draft("note", "x" * 301, "text")
    assert "text" in tl.validate_draft("task", "ok", "x" * 20001)


def test_draft_bodies_attach_to_the_record() -> None:
    assert tl.draft_body("note", "incident", "c1", "  ", " text ") == (
        "annotations", {"notetext": "text", "objectid": "c1", "objecttypecode": "incident"})
    assert tl.draft_body("task", "account", "a1", "Do it", "") == (
        "tasks", {"subject": "Do it", "regardingobjectid": "a1", "regardingobjecttypecode": "account"})
    assert tl.draft_body("phonecall", "incident", "c1", "Call", "said hi", "+1 555") == (
        "phonecalls", {"subject": "Call", "regardingobjectid": "c1", "regardingobjecttypecode": "incident",
                       "description": "said hi", "directioncode": True, "phonenumber": "+1 555"})


def test_draft_bodies_pass_the_servers_own_validation() -> None:
    from server.api.entities import ENTITY_SETS
    from server.api.records import validate_body

    guid = "0b4c7a52-5f2e-4a57-9d6c-1f7d1c1c2a10"
    for kind in tl.DRAFT_KINDS:
        entity_set, body = tl.draft_body(kind, "incident", guid, "Subject", "Text", "+1 555")
        validate_body(ENTITY_SETS[entity_set], body, creating=True)  # raises on a field the server refuses


# -- unsaved drafts of the add bar -----------------------------------------------------------------------------------
CASE_ID = "7b1c0d5e-0000-4000-8000-000000000001"


def test_an_empty_draft_is_not_unsaved_and_keeps_nothing() -> None:
    draft = tl.TimelineDraft("note", "  ", "\n", "", CASE_ID)
    assert not draft.unsaved and draft.to_state() is None
    assert not tl.TimelineDraft("task", phone="555", record_id=CASE_ID).unsaved  # a phone only counts for a call
    assert tl.TimelineDraft("phonecall", phone="555", record_id=CASE_ID).unsaved


def test_a_typed_draft_round_trips_through_the_view_state() -> None:
    draft = tl.TimelineDraft("phonecall", "Call back", "about the refund", "+1 555 0100", CASE_ID)
    state = draft.to_state()
    assert state is not None and tl.holds_unsaved(state)
    assert tl.parse_timeline_draft(state, CASE_ID.upper()) == tl.TimelineDraft(
        "phonecall", "Call back", "about the refund", "+1 555 0100", CASE_ID.upper())


def test_a_note_keeps_no_phone_number() -> None:
    state = tl.TimelineDraft("note", "", "half a note", "555", CASE_ID).to_state()
    assert state == {"timeline_draft": {"kind": "note", "subject": "", "text": "half a note", "phone": "",
                                        "id": CASE_ID}}


def test_a_draft_for_another_record_or_malformed_is_dropped() -> None:
    state = tl.TimelineDraft("note", "", "text", "", CASE_ID).to_state()
    assert tl.parse_timeline_draft(state, "another-id") is None
    assert tl.parse_timeline_draft(state, None) is None
    for bad in (None, [], {"timeline_draft": "x"}, {"timeline_draft": {"kind": "letter", "text": "x", "id": CASE_ID}},
                {"timeline_draft": {"kind": "note", "text": 5, "id": CASE_ID}}):
        assert tl.parse_timeline_draft(bad, CASE_ID) is None
    long = tl.parse_timeline_draft({"timeline_draft": {"kind": "task", "subject": "s" * 1000, "id": CASE_ID}}, CASE_ID)
    assert long is not None and len(long.subject) == 300


def test_holds_unsaved_knows_form_and_timeline_drafts() -> None:
    assert tl.holds_unsaved({"draft": {}}) and tl.holds_unsaved({"timeline_draft": {}})
    assert not tl.holds_unsaved({"scroll": 4}) and not tl.holds_unsaved(None)
