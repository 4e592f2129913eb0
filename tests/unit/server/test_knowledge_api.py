"""Knowledge search with filters (product, keywords, language), the article view's counter, ratings and quick
replies' entity set; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.unit.server.conftest import BOTH_DATABASES, sign_in

pytestmark = BOTH_DATABASES


def search(client: TestClient, **params) -> dict:
    response = client.get("/api/knowledge/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_full_text_narrowed_by_product_keywords_and_language(agent: TestClient, client: TestClient) -> None:
    found = search(agent, q="printer offline")
    assert found["value"] and all("print" in (a["title"] + a["summary"]).lower() for a in found["value"])
    products = found["facets"]["products"]
    assert products == sorted(products) and len(products) > 3 and found["facets"]["languages"] == [1033]
    product = found["value"][0]["productname"]
    narrowed = search(agent, q="printer offline", product=product.upper())
    assert narrowed["value"] and {a["productname"] for a in narrowed["value"]} == {product}
    keyword = found["value"][0]["keywords"].split(", ")[-1]
    with_keyword = search(agent, q="printer", keywords=keyword)
    assert with_keyword["value"] and all(keyword in a["keywords"].lower() for a in with_keyword["value"])
    assert search(agent, q="printer", keywords="nosuchkeyword")["value"] == []
    # an article in French: only the language filter tells it apart
    sign_in(client, "supervisor")
    made = client.post("/api/knowledgearticles", json={
        "title": "Imprimante hors ligne", "content": "Printer offline: redémarrez le spouleur d'impression.",
        "keywords": "imprimante", "productname": product, "statecode": 3, "languagecode": 1036})
    assert made.status_code == 201, made.text
    french = search(agent, q="printer offline", language="1036")
    assert [a["id"] for a in french["value"]] == [made.json()["knowledgearticleid"]]
    assert 1036 in search(agent, q="printer")["facets"]["languages"]
    most_viewed = search(agent)["value"]
    assert [a["views"] for a in most_viewed] == sorted((a["views"] for a in most_viewed), reverse=True)


@pytest.mark.parametrize("params", [{"top": "0"}, {"top": "51"}, {"language": "fr"}, {"q": "x" * 201}])
def test_bad_search_parameters_answer_400(agent: TestClient, params: dict) -> None:
    response = agent.get("/api/knowledge/search", params=params)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_query"


def test_viewing_counts_and_ratings_average_one_per_agent(agent: TestClient, client: TestClient) -> None:
    article = search(agent, q="printer")["value"][0]
    viewed = agent.post(f"/api/knowledgearticles({article['id']})/view")
    assert viewed.status_code == 200, viewed.text
    assert viewed.json()["views"] == article["views"] + 1 and viewed.json()["content"]
    assert viewed.json()["myrating"] is None and viewed.json()["ratingcount"] == 0
    assert agent.put(f"/api/knowledgearticles({article['id']})/rating", json={"rating": 2}).json()["rating"] == 2
    again = agent.put(f"/api/knowledgearticles({article['id']})/rating", json={"rating": 4}).json()
    assert again["rating"] == 4 and again["ratingcount"] == 1 and again["myrating"] == 4  # replaced, not added
    other = TestClient(client.app)
    sign_in(other, "agent2")
    both = other.put(f"/api/knowledgearticles({article['id']})/rating", json={"rating": 5}).json()
    assert both["rating"] == 4.5 and both["ratingcount"] == 2 and both["myrating"] == 5
    assert search(agent, q="printer")["value"][0]["ratingcount"] == 2
    for bad in ({"rating": 0}, {"rating": 6}, {"rating": True}, {"rating": "5"}):
        assert agent.put(f"/api/knowledgearticles({article['id']})/rating", json=bad).status_code == 422
    assert agent.put(f"/api/knowledgearticles({article['id']})/rating", json={"x": 1}).status_code == 400
    missing = "00000000-0000-0000-0000-000000000000"
    assert agent.post(f"/api/knowledgearticles({missing})/view").status_code == 404
    assert agent.put(f"/api/knowledgearticles({missing})/rating", json={"rating": 3}).status_code == 404


def test_knowledge_and_quick_replies_need_sign_in(settings) -> None:
    from server.app import create_app

    with TestClient(create_app(settings)) as anonymous:
        assert anonymous.get("/api/knowledge/search?q=printer").status_code == 401
        assert anonymous.get("/api/quickreplies").status_code == 401


def test_quick_replies_are_seeded_with_slugs_and_readable_by_agents(agent: TestClient) -> None:
    replies = agent.get("/api/quickreplies").json()["value"]
    assert len(replies) == 10 and any("{customerName}" in r["text"] for r in replies)
    assert {r["languagecode"] for r in replies} == {1033, 1036}
    refused = agent.post("/api/quickreplies", json={"title": "x", "text": "y"})
    assert refused.status_code == 403
