"""Global search's pure core: only the newest answer shows, hits group by entity, keys move, results page state."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from casework import search
from casework.search import (
    MAX_TOP,
    PAGE_SIZE,
    LatestOnly,
    ResultsState,
    flatten,
    group_hits,
    is_searchable,
    move,
    normalize_query,
    parse_hit,
    parse_hits,
    rank_groups,
    results_target_context,
)
from tests.support.aio import run


def raw(entity: str, record_id: str, title: str = "T", snippet=None) -> dict:
    return {"entity": entity, "id": record_id, "title": title, "score": 1.0,
            "snippet": snippet if snippet is not None else [{"text": "printer ", "match": True}]}


def test_a_slower_earlier_answer_never_overwrites_a_newer_one():
    """Two searches in flight; the first one's answer arrives last and must be dropped."""
    latest = LatestOnly()
    shown: list[str] = []

    async def search(query: str, delay: float) -> None:
        ticket = latest.issue()
        await asyncio.sleep(delay)
        if latest.accept(ticket):
            shown.append(query)

    async def main() -> None:
        slow = asyncio.ensure_future(search("pr", 0.05))
        await asyncio.sleep(0)
        fast = asyncio.ensure_future(search("printer", 0.0))
        await asyncio.gather(slow, fast)

    run(main())
    assert shown == ["printer"]


def test_cancel_drops_every_outstanding_answer():
    latest = LatestOnly()
    ticket = latest.issue()
    latest.cancel()
    assert not latest.accept(ticket)
    assert latest.accept(latest.issue())


@given(st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=30))
def test_only_the_last_issued_ticket_is_ever_accepted(order):
    latest = LatestOnly()
    tickets = [latest.issue() for _ in order]
    accepted = [t for t in (tickets[i % len(tickets)] for i in order) if latest.accept(t)]
    assert set(accepted) <= {tickets[-1]}


def test_queries_are_normalized_and_need_two_characters():
    assert normalize_query("  printer   offline ") == "printer offline"
    assert normalize_query(None) == ""
    assert normalize_query("x" * 500) == "x" * 200
    assert not is_searchable("p")
    assert not is_searchable("--")
    assert is_searchable("pr")


def test_hits_keep_snippet_text_as_data_and_drop_malformed_ones():
    hit = parse_hit(raw("incident", "c-1", "Printer <b>", [{"text": "<img src=x>", "match": False},
                                                           {"text": "printer", "match": True}, {"text": 3}]))
    assert hit.title == "Printer <b>"
    assert hit.snippet == (("<img src=x>", False), ("printer", True))
    assert parse_hits([raw("incident", "c-1"), {"entity": "nope", "id": "x"}, "junk", {"entity": "account"}]) == [
        parse_hit(raw("incident", "c-1"))]
    assert parse_hits({"value": []}) == []
    assert parse_hit(raw("account", "a-1", title="")).title == "Account"


def test_groups_follow_their_best_hit_and_keep_order_inside():
    hits = parse_hits([raw("knowledgearticle", "k-1"), raw("incident", "c-1"), raw("knowledgearticle", "k-2"),
                       raw("incident", "c-2"), raw("incident", "c-1")])
    groups = group_hits(hits)
    assert [(g.entity, g.label, [h.id for h in g.hits]) for g in groups] == [
        ("knowledgearticle", "Knowledge articles", ["k-1", "k-2"]), ("incident", "Cases", ["c-1", "c-2"])]
    assert [h.id for h in flatten(groups)] == ["k-1", "k-2", "c-1", "c-2"]


def test_arrow_keys_walk_the_options_and_wrap():
    assert move(-1, 1, 3) == 0
    assert move(-1, -1, 3) == 2
    assert move(2, 1, 3) == 0
    assert move(0, -1, 3) == 2
    assert move(-1, 1, 0) == -1


@given(st.integers(-1, 9), st.sampled_from([-1, 1]), st.integers(1, 10))
def test_move_stays_in_range(active, delta, count):
    active = min(active, count - 1)
    assert 0 <= move(active, delta, count) < count


def test_results_state_filters_pages_and_restores_only_for_the_same_query():
    state = ResultsState.restore("printer", None)
    assert (state.entity, state.top, state.entities) == (None, PAGE_SIZE, None)
    assert state.can_load_more(PAGE_SIZE)
    assert not state.can_load_more(PAGE_SIZE - 1)
    state.load_more()
    state.load_more()
    state.load_more()
    assert state.top == MAX_TOP and not state.can_load_more(MAX_TOP)
    state.scroll = 120
    state.choose("incident")
    assert (state.entity, state.top, state.scroll, state.entities) == ("incident", PAGE_SIZE, 0, ["incident"])
    state.scroll = 340
    saved = state.to_dict()
    again = ResultsState.restore(" printer ", saved)
    assert again.to_dict() == saved
    other = ResultsState.restore("modem", saved)
    assert (other.entity, other.scroll) == (None, 0)
    tampered = ResultsState.restore("printer", {"query": "printer", "entity": "systemuser", "top": 10_000,
                                                "scroll": "x"})
    assert (tampered.entity, tampered.top, tampered.scroll) == (None, MAX_TOP, 0)


def test_results_tab_context():
    assert results_target_context("  printer  offline") == {"searchText": "printer offline", "searchType": 0}


def test_per_entity_answers_rank_by_their_best_hit():
    def hit(entity, record_id, score):
        return parse_hit({**raw(entity, record_id), "score": score})

    groups = rank_groups({"incident": [hit("incident", "c-1", 2.0), hit("incident", "c-2", 1.0)], "account": [],
                          "knowledgearticle": [hit("knowledgearticle", "k-1", 5.0)],
                          "contact": [hit("contact", "p-1", 2.0)]})
    assert [g.entity for g in groups] == ["knowledgearticle", "incident", "contact"]  # ties keep display order
    assert [h.id for h in groups[1].hits] == ["c-1", "c-2"]


def test_a_snippet_that_is_the_title_highlights_the_title_instead():
    same = parse_hit(raw("incident", "c-1", "Printer offline", [{"text": "Printer", "match": True},
                                                               {"text": " offline", "match": False}]))
    other = parse_hit(raw("knowledgearticle", "k-1", "Fix printers", [{"text": "the printer", "match": True}]))
    assert same.snippet_is_title and not other.snippet_is_title
    assert not parse_hit(raw("incident", "c-2", "X", [])).snippet_is_title


# -- what tells look-alike hits apart ------------------------------------------------------------------------------
def test_a_case_hit_shows_number_customer_status_owner_and_date() -> None:
    hit = search.parse_hit({"entity": "incident", "id": "c1", "title": "Printer shows offline", "snippet": [],
                            "details": {"number": "CAS-01001-AB", "customer": "Contoso", "statecode": 0,
                                        "statuscode": 2, "owner": "Agent 6 Rossi",
                                        "modifiedon": "2026-10-20T04:01:00Z"}})
    assert hit is not None
    assert hit.facts == ("CAS-01001-AB", "Contoso", "On hold", "Owner Agent 6 Rossi", "20 Oct 2026")


def test_a_closed_case_shows_its_state_and_empty_facts_are_left_out() -> None:
    assert search.facts_of("incident", {"number": "CAS-2", "statecode": 1, "statuscode": 5, "owner": ""}) == (
        "CAS-2", "Resolved")


def test_contacts_accounts_and_articles_show_what_tells_them_apart() -> None:
    assert search.facts_of("contact", {"account": "Fabrikam", "email": "ana@fabrikam.example"}) == (
        "Fabrikam", "ana@fabrikam.example")
    assert search.facts_of("account", {"number": "ACC-7", "city": "Lyon", "email": None}) == ("ACC-7", "Lyon")
    assert search.facts_of("knowledgearticle", {"number": "KA-1", "statecode": 3}) == ("KA-1", "Published")


def test_malformed_details_show_no_facts() -> None:
    assert search.facts_of("incident", None) == ()
    assert search.facts_of("incident", {"number": 5, "statecode": True, "modifiedon": "yesterday"}) == ()
    hit = search.parse_hit({"entity": "account", "id": "a", "title": "A", "details": "x"})
    assert hit is not None and hit.facts == ()
