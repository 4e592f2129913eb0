"""Smart Assist: similar cases and articles come from the words of a case (title, description, notes), never its
subject label; resolved cases first; Yes/No feedback is stored and used; the time budget applies."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from server.db import budget
from server.seed import TOPICS
from tests.unit.server.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES

TOPIC_OF_TITLE = {title: index for index, topic in enumerate(TOPICS) for title in topic[2]}
PRINTING = 0
COFFEE = 6
WIFI = 10


def article_topic(title: str) -> int | None:
    return next((TOPIC_OF_TITLE[t] for t in TOPIC_OF_TITLE if t in title), None)


def new_case(client: TestClient, title: str, description: str, subject: str | None = None) -> str:
    account = client.get("/api/accounts?$top=1").json()["value"][0]
    body = {"title": title, "description": description, "customerid": account["accountid"],
            "customeridtype": "account"}
    if subject:
        body["subject"] = subject
    response = client.post("/api/incidents", json=body)
    assert response.status_code == 201, response.text
    return response.json()["incidentid"]


def suggestions(client: TestClient, case_id: str, **params) -> dict:
    response = client.get(f"/api/incidents({case_id})/suggestions", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_hand_written_case_gets_cases_and_articles_of_its_problem_resolved_first(agent: TestClient) -> None:
    case_id = new_case(agent, "Office laser printer is offline",
                       "Since we put the new driver on, every print just sits there and the device says offline.")
    found = suggestions(agent, case_id)
    cases, articles = found["cases"], found["articles"]
    assert len(cases) == 5 and 1 <= len(articles) <= 3
    assert {TOPIC_OF_TITLE[c["title"]] for c in cases} == {PRINTING}
    assert {article_topic(a["title"]) for a in articles} == {PRINTING}
    assert case_id not in {c["id"] for c in cases}
    states = [c["statecode"] for c in cases]
    assert states == sorted(states, key=lambda s: s != 1) and states[0] == 1  # resolved ones first
    assert cases[0]["resolution"] and cases[0]["statuscode"] in (5, 1000)
    for item in cases + articles:
        assert 0 < item["confidence"] <= 1 and item["summary"]
        # the reason is words the case itself used
        assert item["keyphrases"] and all(p.lower()[:5] in "office laser printer is offline since we put the new "
                                          "driver on every print just sits there device says" for p in
                                          item["keyphrases"])


def test_ranking_follows_the_words_not_the_subject_label(agent: TestClient) -> None:
    case_id = new_case(agent, "Water everywhere", "The espresso coffee machine leaks water under the unit "
                       "every morning.", subject="Billing")
    found = suggestions(agent, case_id)
    assert {TOPIC_OF_TITLE[c["title"]] for c in found["cases"]} == {COFFEE}
    assert {article_topic(a["title"]) for a in found["articles"]} == {COFFEE}


def test_notes_on_the_case_count(agent: TestClient) -> None:
    case_id = new_case(agent, "Customer called", "See the note.")
    assert suggestions(agent, case_id) == {"cases": [], "articles": []}
    note = agent.post("/api/annotations", json={
        "notetext": "Their mesh router drops the wifi connection every hour, firmware looks old.",
        "objectid": case_id, "objecttypecode": "incident"})
    assert note.status_code == 201, note.text
    found = suggestions(agent, case_id)
    assert found["cases"] and {TOPIC_OF_TITLE[c["title"]] for c in found["cases"]} == {WIFI}


def test_a_no_hides_the_suggestion_for_that_case_and_lowers_it_elsewhere(agent: TestClient) -> None:
    text = ("Printer offline after driver update", "The printer shows offline after we updated the driver.")
    first, second = new_case(agent, *text), new_case(agent, *text)
    article = suggestions(agent, first)["articles"][0]
    before = next(a for a in suggestions(agent, second)["articles"] if a["id"] == article["id"])
    response = agent.post(f"/api/incidents({first})/suggestions/feedback",
                          json={"id": article["id"], "kind": "article", "useful": False})
    assert response.status_code == 200, response.text
    assert article["id"] not in {a["id"] for a in suggestions(agent, first, articles=10)["articles"]}
    after = [a for a in suggestions(agent, second, articles=10)["articles"] if a["id"] == article["id"]]
    assert after and after[0]["confidence"] < before["confidence"]
    # changing one's mind: a Yes replaces the No and the card comes back
    agent.post(f"/api/incidents({first})/suggestions/feedback",
               json={"id": article["id"], "kind": "article", "useful": True})
    assert article["id"] in {a["id"] for a in suggestions(agent, first, articles=10)["articles"]}


@pytest.mark.parametrize("body", [{"id": "x", "kind": "article", "useful": False},
                                  {"id": "00000000-0000-4000-8000-000000000000", "kind": "blog", "useful": False},
                                  {"id": "00000000-0000-4000-8000-000000000000", "kind": "case", "useful": "no"}])
def test_bad_feedback_answers_422(agent: TestClient, body: dict) -> None:
    case_id = agent.get("/api/incidents?$top=1").json()["value"][0]["incidentid"]
    response = agent.post(f"/api/incidents({case_id})/suggestions/feedback", json=body)
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_failed"


def test_unknown_and_malformed_cases_and_bad_tops(agent: TestClient) -> None:
    missing = agent.get("/api/incidents(00000000-0000-4000-8000-000000000000)/suggestions")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert agent.get("/api/incidents(nope)/suggestions").status_code == 400
    case_id = agent.get("/api/incidents?$top=1").json()["value"][0]["incidentid"]
    assert agent.get(f"/api/incidents({case_id})/suggestions?top=0").status_code == 400
    assert agent.get(f"/api/incidents({case_id})/suggestions?articles=11").status_code == 400


def test_suggestions_need_sign_in(client: TestClient) -> None:
    assert client.get("/api/incidents(00000000-0000-4000-8000-000000000000)/suggestions").status_code == 401


def test_suggestions_over_the_budget_answer_query_timeout(agent: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "SQLITE_CHECK_EVERY", 100)
    case_id = new_case(agent, "Printer offline", "The printer shows offline after the driver update.")
    agent.app.state.database.query_budget = 0.000_001
    stopped = agent.get(f"/api/incidents({case_id})/suggestions")
    assert stopped.status_code == 503 and stopped.json()["error"]["code"] == "query_timeout", stopped.text


def test_article_cards_carry_the_articles_views_and_rating(agent: TestClient) -> None:
    case_id = new_case(agent, "Printer says offline again", "The office printer shows offline after the update.")
    article = suggestions(agent, case_id)["articles"][0]
    assert isinstance(article["views"], int) and "rating" in article and "ratingcount" in article
    opened = agent.post(f"/api/knowledgearticles({article['id']})/view", json={})
    assert opened.status_code == 200, opened.text
    rated = agent.put(f"/api/knowledgearticles({article['id']})/rating", json={"rating": 4})
    assert rated.status_code == 200, rated.text
    again = next(a for a in suggestions(agent, case_id, articles=10)["articles"] if a["id"] == article["id"])
    assert again["views"] == article["views"] + 1
    assert again["ratingcount"] >= 1 and again["rating"] == rated.json()["rating"]
