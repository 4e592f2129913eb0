"""Search: ranked hits across cases, accounts, contacts and articles, snippets as text segments, index in sync."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.unit.server.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES


def search(client: TestClient, **params) -> list[dict]:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()["value"]


def test_hits_are_ranked_and_snippets_mark_the_matches(agent: TestClient) -> None:
    hits = search(agent, q="printer offline", entities="incident,knowledgearticle", top=20)
    assert hits and {h["entity"] for h in hits} <= {"incident", "knowledgearticle"}
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        marked = [s["text"].lower() for s in hit["snippet"] if s["match"]]
        assert any(word.startswith(("printer", "offline")) for word in marked), hit


def test_prefix_terms_find_accounts_and_contacts(agent: TestClient) -> None:
    accounts = search(agent, q="contos", entities="account")
    assert accounts and all("Contoso" in h["title"] for h in accounts)
    contact = agent.get("/api/contacts?$top=1&$orderby=fullname").json()["value"][0]
    hits = search(agent, q=contact["lastname"], entities="contact", top=50)
    assert contact["contactid"] in {h["id"] for h in hits}


def test_a_title_match_outranks_a_body_match(agent: TestClient) -> None:
    hits = search(agent, q="warranty", entities="knowledgearticle", top=50)
    in_title = [h for h in hits if "warranty" in h["title"].lower()]
    assert in_title and hits[0]["title"] == in_title[0]["title"]


def test_new_and_changed_records_are_searchable_at_once(agent: TestClient) -> None:
    account = agent.post("/api/accounts", json={"name": "Zyxwv Quantum Bakery", "accountnumber": "ACC-ZQB"}).json()
    assert [h["id"] for h in search(agent, q="zyxwv", entities="account")] == [account["accountid"]]
    agent.patch(f"/api/accounts({account['accountid']})", json={"name": "Plain Bakery"},
                headers={"If-Match": account["@odata.etag"]})
    assert search(agent, q="zyxwv", entities="account") == []
    assert account["accountid"] in {h["id"] for h in search(agent, q="plain bakery", entities="account")}


def test_markup_and_engine_syntax_in_queries_are_just_words(agent: TestClient) -> None:
    for q in ['"printer', "printer OR NEAR(x)", "<script>alert(1)</script>", "title:printer*", "'; DROP TABLE x"]:
        assert agent.get("/api/search", params={"q": q}).status_code == 200
    assert search(agent, q="!!! ???") == []


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 201}, {"q": "printer", "entities": "widgets"},
                                    {"q": "printer", "top": "0"}, {"q": "printer", "top": "many"}])
def test_bad_search_parameters_answer_400(agent: TestClient, params: dict) -> None:
    response = agent.get("/api/search", params=params)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_query"


def test_the_case_with_a_distinctive_phrase_in_its_title_is_the_top_hit(agent: TestClient) -> None:
    """Ranking runs on a bounded candidate set (the newest matches): the best match must still come first, even when
    newer cases mention the same words only in their descriptions."""
    customer = agent.get("/api/accounts?$top=1").json()["value"][0]

    def create_case(title: str, description: str) -> str:
        response = agent.post("/api/incidents", json={
            "title": title, "description": description, "customerid": customer["accountid"],
            "customeridtype": "account", "prioritycode": 2})
        assert response.status_code == 201, response.text
        return response.json()["incidentid"]

    wanted = create_case("Quokka telemetry gateway overheats", "The gateway in the lab restarts every hour.")
    for n in range(5):
        create_case(f"Unrelated request {n}", "Someone mentioned a quokka and some telemetry in passing.")
    hits = search(agent, q="quokka telemetry", entities="incident,knowledgearticle", top=10)
    assert len(hits) == 6 and hits[0]["id"] == wanted
    assert [s["text"].lower() for s in hits[0]["snippet"] if s["match"]][:2] == ["quokka", "telemetry"]


def test_a_whole_word_ranks_its_own_matches_and_a_partial_word_still_finds_longer_words(
        agent: TestClient, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend == "sqlite":  # candidates filled by exact matches of "bakery" alone: the fast path
        from server.db import search as search_engine

        monkeypatch.setattr(search_engine, "CANDIDATES", 2)
    for name in ("Qzv Bakery North", "Qzv Bakery South", "Qzv Bakeryworks"):
        agent.post("/api/accounts", json={"name": name, "accountnumber": "ACC-" + name[-5:].upper()})
    partial = {h["title"] for h in search(agent, q="qzv bakeryw", entities="account")}
    assert partial == {"Qzv Bakeryworks"}  # a word being typed matches longer words
    whole = {h["title"] for h in search(agent, q="qzv bakery", entities="account")}
    assert {"Qzv Bakery North", "Qzv Bakery South"} <= whole
    if backend == "sqlite":
        assert "Qzv Bakeryworks" not in whole  # the exact word filled the candidates; no prefix merge was needed


def test_each_hit_carries_the_facts_that_tell_look_alike_records_apart(agent: TestClient) -> None:
    hits = search(agent, q="printer offline", entities="incident", top=20)
    cases = [h for h in hits if h["entity"] == "incident"]
    assert len(cases) >= 2
    numbers = {h["details"]["number"] for h in cases}
    assert len(numbers) == len(cases)  # every case by its own number
    for hit in cases:
        details = hit["details"]
        assert details["number"].startswith("CAS-") and details["customer"] and "owner" in details
        assert isinstance(details["statuscode"], int) and details["modifiedon"].endswith("Z")
    name = agent.get("/api/contacts", params={"$top": 1, "$select": "fullname"}).json()["value"][0]["fullname"]
    contacts = search(agent, q=name, entities="contact", top=5)
    assert contacts and all("email" in h["details"] and "account" in h["details"] for h in contacts)
    accounts = search(agent, q="contos", entities="account")
    assert accounts and all(h["details"]["number"] for h in accounts)
