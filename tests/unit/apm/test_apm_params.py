"""Input parsing: the accepted parameter forms and clear errors for the rest."""

from __future__ import annotations

import pytest

from apm import ValidationError, parse_parameters
from apm.params import parse_flag, plain, same


@pytest.mark.parametrize("empty", [None, "", "   ", "null", {}, [], "{}", "[]"])
def test_empty_forms_give_an_empty_dict(empty):
    assert parse_parameters(empty) == {}


def test_dict_is_copied_deeply():
    source = {"a": {"b": [1, 2]}}
    parsed = parse_parameters(source)
    source["a"]["b"].append(3)
    assert parsed == {"a": {"b": [1, 2]}}


def test_list_of_pairs_like_a_js_map():
    assert parse_parameters([["entityName", "incident"], ("entityId", "c-1")]) == {
        "entityName": "incident",
        "entityId": "c-1",
    }


def test_later_duplicate_pair_wins_like_new_map():
    assert parse_parameters([["a", 1], ["a", 2]]) == {"a": 2}


def test_json_string_of_an_object_or_of_pairs():
    assert parse_parameters('{"entityName": "incident"}') == {"entityName": "incident"}
    assert parse_parameters('[["entityName", "incident"]]') == {"entityName": "incident"}


def test_tuples_become_lists():
    assert parse_parameters({"a": (1, 2)}) == {"a": [1, 2]}


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ("{nope", "not valid JSON"),
        ("42", "must be an object"),
        (42, "must be an object"),
        ([["a"]], "[key, value] pair"),
        (["ab"], "[key, value] pair"),
        ({1: "a"}, "keys must be strings"),
        ([[1, "a"]], "keys must be strings"),
        ({"a": object()}, "unsupported type"),
        ({"a": float("nan")}, "finite"),
        ({"a": {2: 1}}, "keys must be strings"),
    ],
)
def test_bad_input_raises_invalid_input_with_a_clear_message(bad, fragment):
    with pytest.raises(ValidationError) as info:
        parse_parameters(bad, what="appContext")
    assert info.value.code == "invalid_input"
    assert fragment in info.value.message
    assert "appContext" in info.value.message


def test_deep_nesting_is_refused():
    value: object = 1
    for _ in range(40):
        value = [value]
    with pytest.raises(ValidationError):
        plain(value)


def test_parse_flag_accepts_only_bools_or_none():
    assert parse_flag(None, "isFocused", True) is True
    assert parse_flag(False, "isFocused", True) is False
    with pytest.raises(ValidationError):
        parse_flag(1, "isFocused", True)


def test_same_tells_apart_values_python_calls_equal():
    assert same({"a": [1, {"b": "c"}]}, {"a": [1, {"b": "c"}]})
    assert not same(1, True)
    assert not same(1, 1.0)
    assert not same([1], [1, 2])
    assert not same({"a": 1}, {"b": 1})
