"""``/api/systemusers(<id>)/card`` and ``/api/queues(<id>)/card``: what the user and queue pages show."""

from __future__ import annotations

from starlette.testclient import TestClient


def test_a_user_card_has_name_roles_email_open_cases_and_queues(agent: TestClient) -> None:
    me = agent.get("/api/me").json()["user"]["systemuserid"]
    card = agent.get(f"/api/systemusers({me})/card")
    assert card.status_code == 200, card.text
    body = card.json()
    assert body["domainname"] == "agent1" and body["roles"] == ["agent"]
    listed = agent.get(f"/api/incidents?$filter=ownerid eq {me} and statecode eq 0&$count=true&$top=1").json()
    assert body["openCases"] == listed["@odata.count"]
    assert isinstance(body["queues"], list) and all(set(q) == {"queueid", "name"} for q in body["queues"])


def test_a_queue_card_lists_members_and_items_oldest_first(agent: TestClient) -> None:
    queue = agent.get("/api/queues?$top=1&$orderby=name asc").json()["value"][0]
    card = agent.get(f"/api/queues({queue['queueid']})/card").json()
    assert card["name"] == queue["name"]
    assert all(set(m) == {"systemuserid", "fullname"} for m in card["members"])
    entered = [item["enteredon"] for item in card["items"]]
    assert entered == sorted(entered) and len(entered) <= card["itemCount"]


def test_cards_answer_the_error_shape(agent: TestClient) -> None:
    assert agent.get("/api/queues(nope)/card").json()["error"]["code"] == "invalid_id"
    missing = agent.get("/api/systemusers(00000000-0000-4000-8000-000000000000)/card")
    assert missing.status_code == 404 and missing.json()["error"]["message"].startswith("No user")
