"""Checking restored record tabs against the server: batched queries per entity set, and what is missing."""

from __future__ import annotations

from casework.availability import missing_records, not_guids, record_queries

A = "0000000a-0000-4000-8000-000000000001"
B = "0000000b-0000-4000-8000-000000000002"
C = "0000000C-0000-4000-8000-000000000003"


def test_records_are_grouped_per_entity_set_and_chunked() -> None:
    pairs = [("incident", A), ("contact", B), ("incidents", C), ("incident", "{" + A + "}"),
             ("nothing", A), ("contact", None), (None, A), ("contact", "p-1")]
    queries = record_queries(pairs, chunk=1)
    assert [(q.entity_set, q.ids) for q in queries] == [
        ("contacts", (B,)), ("incidents", (A,)), ("incidents", (C,))]
    assert queries[2].records == (("incidents", C.lower()),)  # as the tab holds it (Tab.record)
    assert not_guids(pairs) == {("contact", "p-1"): "deleted"}


def test_the_filter_is_an_or_of_quoted_ids() -> None:
    [query] = record_queries([("incident", A), ("incident", B)])
    assert query.filter == f"incidentid eq '{A}' or incidentid eq '{B}'"


def test_missing_is_what_the_server_did_not_return() -> None:
    [query] = record_queries([("contact", A.upper()), ("contact", B), ("contact", C)])
    rows = [{"contactid": A}, {"contactid": C}, "junk"]
    assert missing_records(query, rows) == {("contact", B): "deleted"}
