"""A new form filled from the reference's form parameters: plain values, lookup triplets, lookup objects."""

from __future__ import annotations

import json

import pytest

from casework.prefill import PrefillError, clone_data, form_values

# The reference's createTab prefill sample (formParams), as JSON.stringify sends it.
FORM_PARAMS = {"subject": "Task created from CAS-01003", "actualdurationminutes": 30, "prioritycode": 2,
               "scheduledend": "2026-12-24T10:00:00Z", "regardingobjectid": "{C-1}",
               "regardingobjectidname": "Printer jam", "regardingobjectidtype": "incident"}


def test_the_reference_sample_fills_a_task_and_names_what_the_form_lacks():
    values, unknown = form_values("task", json.dumps(FORM_PARAMS))
    assert values == {"subject": "Task created from CAS-01003", "prioritycode": 2,
                      "scheduledend": "2026-12-24T10:00:00Z",
                      "regardingobjectid": {"id": "C-1", "type": "incident", "name": "Printer jam"}}
    assert unknown == ["actualdurationminutes"]


def test_a_lookup_may_be_one_object_or_a_list_of_one():
    for value in ({"id": "a-1", "name": "Contoso", "entityType": "account"},
                  [{"id": "a-1", "name": "Contoso", "entityType": "account"}]):
        values, _ = form_values("task", {"regardingobjectid": value})
        assert values["regardingobjectid"] == {"id": "a-1", "type": "account", "name": "Contoso"}


@pytest.mark.parametrize("data", ["not json", "[1, 2]", {"subject": 5}, {"regardingobjectid": {"name": "x"}},
                                  {"regardingobjectid": [{"id": "a"}, {"id": "b"}]}])
def test_malformed_parameters_are_refused(data):
    with pytest.raises(PrefillError) as caught:
        form_values("task", data)
    assert caught.value.code == "invalid_input"


def test_nothing_given_fills_nothing():
    assert form_values("contact", None) == ({}, [])
    assert form_values("contact", "") == ({}, [])


def test_quick_create_starts_from_the_record_the_agent_is_on() -> None:
    from casework.prefill import context_values

    case = ("incident", "c-1")
    assert context_values("task", case, "Jam") == {"regardingobjectid": {"id": "c-1", "type": "incident",
                                                                         "name": "Jam"}}
    assert context_values("incident", ("contact", "p-1"), "Ada")["customerid"]["type"] == "contact"
    assert context_values("incident", case, "Jam") == {}  # a case is not a case's customer
    assert context_values("account", ("contact", "p-1"), "Ada") == {}
    assert context_values("task", None, None) == {}


CASE = {"incidentid": "c0ffee00-0000-0000-0000-000000000001", "title": "Printer offline", "ticketnumber": "CAS-1",
        "description": "The printer shows offline.", "prioritycode": 1, "caseorigincode": "email",
        "customerid": "a0000000-0000-0000-0000-000000000002", "customeridtype": "account",
        "_customerid_value@OData.Community.Display.V1.FormattedValue": "Contoso", "statecode": 0,
        "createdon": "2026-01-01T00:00:00Z", "ownerid": "u1"}


def test_a_clone_copies_the_editable_fields_with_the_given_title_and_fills_a_new_form():
    data = clone_data("incident", CASE, "Copy of printer case")
    assert data["title"] == "Copy of printer case"
    assert data["description"] == "The printer shows offline."
    assert data["customerid"] == {"id": CASE["customerid"], "entityType": "account", "name": "Contoso"}
    for not_copied in ("incidentid", "ticketnumber", "statecode", "createdon", "ownerid"):
        assert not_copied not in data
    values, unknown = form_values("incident", json.loads(json.dumps(data)))  # what the tab's data carries
    assert unknown == []
    assert values["title"] == "Copy of printer case" and values["prioritycode"] == 1
    assert values["customerid"] == {"id": CASE["customerid"], "type": "account", "name": "Contoso"}


def test_a_clone_without_a_title_keeps_the_sources_and_skips_empty_fields():
    data = clone_data("incident", {**CASE, "description": None})
    assert data["title"] == "Printer offline"
    assert "description" not in data
