"""Query parsing: $filter compiles to bound SQL (what it rejects names the option and field); search terms and
snippet segments are plain data."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.dialects import sqlite

from server.api.odata import QueryError, parse_filter, parse_orderby, parse_select
from server.db.search import segments, snippet_of, terms_of

t = Table("t", MetaData(), Column("title", String), Column("prio", Integer), Column("id", String))
FIELDS = {"title": (t.c.title, "string"), "prio": (t.c.prio, "int"), "id": (t.c.id, "guid")}


def sql(text: str) -> tuple[str, dict]:
    compiled = parse_filter(text, FIELDS).compile(dialect=sqlite.dialect())
    return str(compiled), compiled.params


def test_comparisons_and_precedence_compile_to_bound_parameters() -> None:
    text, params = sql("prio ge 2 and (title eq 'a''b' or not startswith(title, 'x%'))")
    assert "t.prio >= ?" in text and " OR " in text and "NOT" in text.upper()
    assert sorted(map(str, params.values())) == ["2", "a'b", "x\\%%"]


def test_and_binds_tighter_than_or() -> None:
    text, _ = sql("prio eq 1 or prio eq 2 and title eq 'x'")
    assert text.index("OR") < text.index("AND")


def test_null_and_guid_literals() -> None:
    assert "IS NULL" in sql("title eq null")[0]
    _, params = sql("id eq 1F0E0C2A-0000-4000-8000-000000000001")
    assert list(params.values()) == ["1f0e0c2a-0000-4000-8000-000000000001"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("nosuch eq 1", "nosuch"),
        ("prio eq 'one'", "prio"),
        ("title eq 5", "title"),
        ("contains(prio, 'x')", "prio"),
        ("prio gt null", "prio"),
    ],
)
def test_bad_fields_and_types_name_the_field(text: str, field: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_filter(text, FIELDS)
    assert caught.value.details["field"] == field


@pytest.mark.parametrize(
    "text", ["", "prio eq", "(prio eq 1", "prio eq 1)", "prio like 1", "title eq 'x'; DROP TABLE t", "prio eq 1 and",
             "'x' eq title", "prio eq 1.5.2", "(" * 100 + "prio eq 1" + ")" * 100],
)
def test_malformed_filters_raise_query_errors(text: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_filter(text, FIELDS)
    assert caught.value.details["option"] == "$filter"


def test_orderby_and_select_check_fields() -> None:
    assert parse_orderby("prio desc, title", FIELDS) == [("prio", True), ("title", False)]
    with pytest.raises(QueryError):
        parse_orderby("prio sideways", FIELDS)
    with pytest.raises(QueryError) as caught:
        parse_select("title,passwordhash", set(FIELDS))
    assert caught.value.details["field"] == "passwordhash"


def test_search_segments_and_terms_are_plain_data() -> None:
    assert segments("a \x02b\x03 c") == [{"text": "a ", "match": False}, {"text": "b", "match": True},
                                         {"text": " c", "match": False}]
    assert terms_of('Printer "offline" OR x*') == ["printer", "offline", "or", "x"]


def test_snippets_mark_prefix_matches_in_the_best_column_and_mark_cuts() -> None:
    # The title has one match, the description two: the description's window wins, cut on both sides.
    description = "Intro words here. " * 4 + "The printers went offline after the update. " + "More text. " * 8
    marked = snippet_of(["Printer in lab", "CAS-1", description], ["printer", "offline"])
    assert [s["text"] for s in marked if s["match"]] == ["printers", "offline"]
    assert marked[0]["text"].startswith("…") and marked[-1]["text"].endswith("…")
    assert "".join(s["text"] for s in marked).strip("…") in description
    # A tie goes to the first column; a short column is shown whole, without ellipses.
    assert snippet_of(["Battery drains", None, "battery"], ["battery"]) == [
        {"text": "Battery", "match": True}, {"text": " drains", "match": False}]
    # The stemmed forms the engine matches are marked too ("battery" is indexed as "batteri").
    assert [s["text"] for s in snippet_of(["Batteries swell"], ["battery"]) if s["match"]] == ["Batteries"]
    # No match in any column (the engine matched a form we do not mark): the first column, unmarked.
    assert snippet_of([None, "Quiet title"], ["zebra"]) == [{"text": "Quiet title", "match": False}]
