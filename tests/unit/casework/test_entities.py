"""The page's entity metadata agrees with the server's whitelist: every column and form field it shows exists on
the server, choices are values the server accepts, and names resolve both ways."""

from __future__ import annotations

import pytest

from casework.entities import BY_SET, ENTITIES, choice_label, entity
from server.api.entities import ENTITY_SETS


@pytest.mark.parametrize("meta", ENTITIES.values(), ids=lambda m: m.logical)
def test_columns_and_form_fields_exist_on_the_server(meta) -> None:
    server_set = ENTITY_SETS[meta.entity_set]
    fields = server_set.by_name
    assert meta.key == server_set.key
    assert meta.primary in fields
    for column in meta.columns:
        assert column.name in fields, f"{meta.entity_set} has no column {column.name}"
    for section in meta.sections:
        for form_field in section.fields:
            assert form_field.name in fields, f"{meta.entity_set} form shows unknown field {form_field.name}"
            server_field = fields[form_field.name]
            if form_field.type_field:
                assert form_field.type_field in fields
            if form_field.choices and server_field.choices and server_field.write:
                offered = {value for value, _label in form_field.choices}
                assert offered <= set(server_field.choices), f"{form_field.name} offers values the server refuses"
            if form_field.required and server_field.write:
                assert server_field.required or not server_field.nullable


def test_lookup_by_logical_name_or_entity_set() -> None:
    assert entity("incident") is entity("incidents") is BY_SET["incidents"]
    with pytest.raises(KeyError, match="unknown entity"):
        entity("nothing")


def test_titles_and_choice_labels() -> None:
    case = entity("incident")
    assert case.title_of({"incidentid": "1", "title": "Printer offline"}) == "Printer offline"
    assert case.title_of({}) == "New case"
    assert choice_label(((1, "High"),), 1) == "High"
    assert choice_label(((1, "High"),), 9) == "9"
    assert choice_label(((1, "High"),), None) == ""
