"""Record form state (casework.forms): dirty tracking, PATCH bodies, validation, server errors, the three-way
conflict merge and drafts. Hypothesis checks the invariants an agent relies on: nothing typed is lost."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from casework.entities import entity
from casework.forms import (
    FormState,
    editable_fields,
    from_input,
    input_text,
    new_record_base,
    parse_draft,
    server_field_errors,
)

CASE = entity("incident")
TASK = entity("task")
CONTACT = entity("contact")
ACCOUNT_ID = "11111111-1111-1111-1111-111111111111"
CONTACT_ID = "22222222-2222-2222-2222-222222222222"


def case_record(**changes) -> dict:
    record = {"@odata.etag": 'W/"1"', "incidentid": "c-1", "ticketnumber": "CAS-01001", "title": "Printer offline",
              "description": "", "customerid": ACCOUNT_ID, "customeridtype": "account", "prioritycode": 2,
              "caseorigincode": "web", "subject": None, "productname": None, "statecode": 0, "statuscode": 1,
              "ownerid": "u-1", "queueid": None}
    record.update(changes)
    return record


# -- dirty tracking and bodies ---------------------------------------------------------------------------------------

def test_an_edit_marks_the_field_dirty_and_putting_it_back_clears_it() -> None:
    state = FormState(CASE, case_record())
    assert not state.dirty
    assert state.set("title", "Printer on fire")
    assert state.dirty_fields() == ["title"]
    assert not state.set("title", "Printer offline")
    assert state.edits == {}


def test_patch_body_has_only_changed_fields_typed() -> None:
    state = FormState(CASE, case_record())
    state.set("prioritycode", "1")  # a <select>'s text
    state.set("subject", "Hardware")
    assert state.patch_body() == {"prioritycode": 1, "subject": "Hardware"}


def test_a_polymorphic_lookup_sends_its_id_and_type() -> None:
    state = FormState(CASE, case_record())
    state.set("customerid", {"id": CONTACT_ID, "type": "contact", "name": "Ada Lovelace"})
    assert state.patch_body() == {"customerid": CONTACT_ID, "customeridtype": "contact"}


def test_a_cleared_optional_lookup_sends_null_for_id_and_type() -> None:
    state = FormState(TASK, {"activityid": "t-1", "@odata.etag": 'W/"3"', "subject": "Call back",
                             "regardingobjectid": "c-1", "regardingobjecttypecode": "incident"})
    assert state.value("regardingobjectid") == {"id": "c-1", "type": "incident", "name": None}
    state.set("regardingobjectid", None)
    assert state.patch_body() == {"regardingobjectid": None, "regardingobjecttypecode": None}


def test_a_lookup_whose_name_arrives_later_is_not_an_edit() -> None:
    state = FormState(CASE, case_record())
    state.set("customerid", {"id": ACCOUNT_ID, "type": "account", "name": "Contoso"})
    assert not state.dirty


def test_read_only_fields_are_never_edited_or_sent() -> None:
    state = FormState(CASE, case_record())
    state.set("ownerid", {"id": "u-2", "type": "systemuser"})
    state.set("ticketnumber", "CAS-99")
    assert not state.dirty and state.patch_body() == {}


def test_empty_text_equals_null_in_the_record() -> None:
    state = FormState(CASE, case_record(subject=None))
    state.set("subject", "")
    assert not state.dirty


def test_create_body_leaves_empty_optional_fields_to_server_defaults() -> None:
    state = FormState(CASE, {})
    assert state.is_new
    state.set("title", "New one")
    state.set("customerid", {"id": ACCOUNT_ID, "type": "account", "name": "Contoso"})
    state.set("prioritycode", 1)
    assert state.create_body() == {"title": "New one", "customerid": ACCOUNT_ID, "customeridtype": "account",
                                   "prioritycode": 1}


def test_a_new_case_starts_from_the_defaults_without_being_dirty() -> None:
    state = FormState(CASE, new_record_base(CASE))
    assert state.is_new and not state.dirty
    state.set("title", "New")
    assert state.create_body() == {"title": "New", "prioritycode": 2, "caseorigincode": "phone", "statuscode": 1}


# -- validation ------------------------------------------------------------------------------------------------------

def test_validation_names_required_too_long_and_unknown_choices() -> None:
    state = FormState(CASE, case_record())
    state.set("title", "   ")
    state.set("subject", "x" * 101)
    state.set("prioritycode", 7)
    errors = state.validate()
    assert errors["title"] == "Case title is required."
    assert "at most 100" in errors["subject"]
    assert errors["prioritycode"].startswith("Priority must be one of")
    assert set(errors) == {"title", "subject", "prioritycode"}


def test_a_new_record_needs_every_required_field() -> None:
    errors = FormState(CONTACT, {}).validate()
    assert set(errors) == {"firstname", "lastname"}


def test_a_saved_record_with_valid_values_has_no_errors() -> None:
    assert FormState(CASE, case_record()).validate() == {}


def test_server_errors_map_to_form_fields_and_lookup_type_fields() -> None:
    assert server_field_errors(CASE, "title", "title cannot be blank.") == {"title": "title cannot be blank."}
    assert server_field_errors(CASE, "customeridtype", "bad") == {"customerid": "bad"}
    assert server_field_errors(CASE, "versionnumber", "nope") == {"": "nope"}
    assert server_field_errors(CASE, None, "nope") == {"": "nope"}


# -- conflicts -------------------------------------------------------------------------------------------------------

def test_compare_lists_their_changes_my_edits_and_collisions() -> None:
    state = FormState(CASE, case_record())
    state.set("title", "Mine")
    state.set("subject", "Mine too")
    theirs = case_record(**{"@odata.etag": 'W/"2"', "title": "Theirs", "prioritycode": 1})
    conflict = state.compare(theirs)
    assert conflict.theirs_changed == ["title", "prioritycode"]
    assert conflict.collisions == ["title"]
    rows = {c.name: c for c in conflict.changes}
    assert rows["title"].theirs == "Theirs" and rows["title"].mine == "Mine" and rows["title"].base == "Printer offline"
    assert rows["subject"].edited and not rows["subject"].collides
    assert not rows["prioritycode"].edited


def test_same_edit_on_both_sides_is_no_collision() -> None:
    state = FormState(CASE, case_record())
    state.set("title", "Same")
    assert state.compare(case_record(title="Same")).collisions == []


def test_reload_takes_theirs_and_rebase_keeps_mine_with_their_etag() -> None:
    theirs = case_record(**{"@odata.etag": 'W/"2"', "title": "Theirs", "prioritycode": 1})
    state = FormState(CASE, case_record())
    state.set("title", "Mine")
    state.set("subject", "Hardware")
    state.rebase(theirs)
    assert state.etag == 'W/"2"'
    assert state.patch_body() == {"title": "Mine", "subject": "Hardware"}
    assert state.value("prioritycode") == 1  # their change stays
    state.reload(theirs)
    assert not state.dirty and state.value("title") == "Theirs"


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
CASE_EDITS = st.fixed_dictionaries({}, optional={
    "title": TEXT, "subject": TEXT, "productname": TEXT, "description": TEXT,
    "prioritycode": st.sampled_from([1, 2, 3]), "caseorigincode": st.sampled_from(["phone", "email", "web", "chat"]),
    "statuscode": st.sampled_from([1, 2, 3, 4]),
    "customerid": st.sampled_from([{"id": ACCOUNT_ID, "type": "account", "name": "A"},
                                   {"id": CONTACT_ID, "type": "contact", "name": "C"}]),
})
CASE_THEIRS = st.fixed_dictionaries({}, optional={
    "title": TEXT, "subject": st.none() | TEXT, "prioritycode": st.sampled_from([1, 2, 3]),
    "statuscode": st.sampled_from([1, 2, 3, 4]), "description": TEXT,
})


@settings(max_examples=200, deadline=None)
@given(CASE_EDITS)
def test_patch_body_holds_exactly_the_dirty_fields(edits: dict) -> None:
    state = FormState(CASE, case_record())
    for name, value in edits.items():
        state.set(name, value)
    body = state.patch_body()
    sent = {name for name in body if name != "customeridtype"}
    assert sent == set(state.dirty_fields())
    for name in state.dirty_fields():
        f = state.form_field(name)
        assert not _same(f, state.value(name), state.base_value(name))
    json.dumps(body)  # always sendable


@settings(max_examples=200, deadline=None)
@given(CASE_EDITS, CASE_THEIRS)
def test_keep_mine_loses_nothing_typed_and_keeps_their_other_changes(edits: dict, their_changes: dict) -> None:
    state = FormState(CASE, case_record())
    for name, value in edits.items():
        state.set(name, value)
    typed = {name: state.value(name) for name in state.edits}
    theirs = case_record(**{"@odata.etag": 'W/"9"', **their_changes})
    state.rebase(theirs)
    assert state.etag == 'W/"9"'
    for name, value in typed.items():
        assert _same(state.form_field(name), state.value(name), value)  # mine, after the rebase
    reloaded = FormState(CASE, theirs)
    for f in editable_fields(CASE):
        if f.name not in typed:
            assert _same(f, state.value(f.name), reloaded.value(f.name))  # theirs, untouched


@settings(max_examples=200, deadline=None)
@given(CASE_EDITS)
def test_a_draft_round_trips_through_json(edits: dict) -> None:
    state = FormState(CASE, case_record())
    for name, value in edits.items():
        state.set(name, value)
    draft = state.draft(1_700_000_000_000)
    if not state.dirty:
        assert draft is None
        return
    restored = parse_draft(json.loads(json.dumps(draft)), CASE, "c-1")
    assert restored is not None and restored.base_etag == 'W/"1"' and restored.touched == 1_700_000_000_000
    again = FormState(CASE, case_record(), restored.fields)
    assert again.patch_body() == state.patch_body()


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.one_of(JSON, st.fixed_dictionaries({"draft": st.fixed_dictionaries({
    "entity": st.just("incident"), "id": st.just("c-1"),
    "fields": st.dictionaries(st.sampled_from(["title", "customerid", "prioritycode", "bogus", "ownerid"]), JSON),
    "base_etag": JSON}), "touched": JSON})))
def test_restoring_garbage_never_raises_and_yields_a_usable_state(garbage: object) -> None:
    draft = parse_draft(garbage, CASE, "c-1")
    if draft is None:
        return
    state = FormState(CASE, case_record(), draft.fields)
    state.validate()
    json.dumps(state.patch_body())


def test_a_draft_is_for_its_own_record_only() -> None:
    state = FormState(CASE, case_record())
    state.set("title", "Mine")
    draft = state.draft(5)
    assert parse_draft(draft, CASE, "c-2") is None
    assert parse_draft(draft, TASK, "c-1") is None
    assert parse_draft(draft, CASE, "c-1").fields == {"title": "Mine"}


def test_a_new_record_draft_comes_back() -> None:
    state = FormState(CONTACT, {})
    state.set("firstname", "Ada")
    draft = state.draft(7)
    assert draft["draft"]["id"] is None
    restored = parse_draft(draft, CONTACT, None)
    assert FormState(CONTACT, {}, restored.fields).create_body() == {"firstname": "Ada"}


# -- inputs ----------------------------------------------------------------------------------------------------------

def test_datetime_inputs_round_trip_in_utc() -> None:
    f = next(f for f in editable_fields(TASK) if f.name == "scheduledend")
    assert input_text(f, "2026-11-27T10:30:00Z") == "2026-11-27T10:30"
    assert from_input(f, "2026-11-27T10:30") == "2026-11-27T10:30:00Z"
    assert from_input(f, "") is None


def _same(f, a, b) -> bool:
    from casework.forms import same_value

    return same_value(f, a, b)
