"""Slug resolution: forms, single pass, unknowns, URL encoding."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from apm.slugs import Resolution, first_resolved, percent_encode, resolve

CONTEXT = {
    "customerName": "Ann Lee",
    "caseId": "c-1",
    "caseTitle": "Printer jam",
    "queueId": "q-7",
    "anchor": {"ticketnumber": "CAS-01001", "title": "Printer jam", "Priority": 2},
    "some": {"key": "nested"},
    "some.flat": "flat",
}


def test_known_slugs_are_replaced():
    text = "{customerName} / {caseId} / {caseTitle} / {queueId}"
    assert resolve(text, CONTEXT) == Resolution("Ann Lee / c-1 / Printer jam / q-7", ())


def test_anchor_slugs_read_the_anchor_record_attributes():
    assert resolve("{anchor.ticketnumber}: {anchor.title}", CONTEXT).text == "CAS-01001: Printer jam"


def test_anchor_attribute_names_match_case_insensitively():
    assert resolve("{anchor.priority}", CONTEXT).text == "2"


def test_dollar_form_uses_the_same_lookup():
    assert resolve("${anchor.title} for ${customerName} (${some.key})", CONTEXT).text == (
        "Printer jam for Ann Lee (nested)"
    )


def test_exact_dotted_key_wins_over_nested_lookup():
    assert resolve("{some.flat}", CONTEXT).text == "flat"


def test_any_session_context_key_is_a_slug():
    assert resolve("{anything}", {"anything": "yes"}).text == "yes"


def test_value_containing_a_slug_is_not_parsed_again():
    context = {"customerName": "{caseId} ${caseId}", "caseId": "SECRET"}
    assert resolve("Hi {customerName}", context) == Resolution("Hi {caseId} ${caseId}", ())


def test_unknown_slug_becomes_empty_and_is_reported():
    result = resolve("[{missing}] [{anchor.nope}] [{missing}]", CONTEXT)
    assert result.text == "[] [] []"
    assert result.unknown == ("missing", "anchor.nope")
    assert not result.complete


def test_none_value_counts_as_unknown():
    assert resolve("{x}", {"x": None}) == Resolution("", ("x",))


def test_braces_around_non_identifiers_are_left_alone():
    text = '{"json": 1} { spaced } {1abc} {} ${ x }'
    assert resolve(text, CONTEXT) == Resolution(text, ())


def test_values_render_like_javascript():
    context = {"t": True, "f": False, "i": 3, "whole": 2.0, "x": 2.5, "l": [1, "a"], "d": {"k": "v"}}
    assert resolve("{t} {f} {i} {whole} {x} {l} {d}", context).text == 'true false 3 2 2.5 [1,"a"] {"k":"v"}'


def test_url_mode_percent_encodes_substituted_values_only():
    result = resolve("https://x.example.com/?q={caseTitle}&c={customerName}", CONTEXT, url=True)
    assert result.text == "https://x.example.com/?q=Printer%20jam&c=Ann%20Lee"


def test_url_mode_encodes_reserved_and_non_ascii_characters():
    assert resolve("{v}", {"v": "a/b?c=d&e#f é"}, url=True).text == "a%2Fb%3Fc%3Dd%26e%23f%20%C3%A9"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_percent_encode_matches_encode_uri_component_semantics(text):
    assert percent_encode(text) == quote(text, safe="~")


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), st.text(max_size=20), max_size=5))
def test_resolution_is_single_pass_for_any_values(context):
    # Each slug becomes exactly its value, whatever braces the values contain.
    keys = sorted(context)
    text = "|".join("{" + key + "}" for key in keys)
    assert resolve(text, context).text == "|".join(context[key] for key in keys)


def test_first_resolved_takes_the_first_complete_non_blank_candidate():
    candidates = ("{anchor.missing}", "{blank}", "{caseTitle}", "{customerName}")
    assert first_resolved(candidates, {**CONTEXT, "blank": "  "}) == "Printer jam"
    assert first_resolved(("{nope}",), CONTEXT) is None
