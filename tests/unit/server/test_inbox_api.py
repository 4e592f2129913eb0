"""The inbox API: views, counts, filters and sort (the same ``casework.inbox`` rules over the server's queries),
read state per agent, validation and the error shape, and the queue topic that keeps the Unassigned view live."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from casework import inbox as pure
from server.api import inbox as inbox_api
from server.app import create_app
from server.conversations.events import last_event_id, read_after
from tests.unit.server.conftest import BOTH_DATABASES, sign_in

AGENT = "agent5"  # General support (the demo chat queue)


@pytest.fixture
def app(settings):
    application = create_app(settings)
    application.state.tick_seconds = None
    return application


def client_for(app, username: str | None = AGENT) -> TestClient:
    client = TestClient(app)
    client.__enter__()
    if username:
        sign_in(client, username)
    return client


def start_chat(client: TestClient, name="Ann Lee", question="My printer shows offline") -> dict:
    response = client.post("/api/chat/start", json={"name": name, "question": question})
    assert response.status_code == 201, response.text
    return response.json()


@BOTH_DATABASES
def test_views_list_counts_and_match_the_pure_rules_over_the_same_queries(app) -> None:
    agent = client_for(app)
    start_chat(agent, "Zed Young", "first")
    start_chat(agent, "Ann Lee", "second")
    body = agent.get("/api/inbox").json()
    assert [v["id"] for v in body["views"]] == list(pure.VIEW_IDS)
    views = {v["id"]: v for v in body["views"]}
    assert views["unassigned"]["count"] == 2 and views["unassigned"]["unread"] == 2
    assert views["cases"]["count"] > 0 and views["activities"]["count"] > 0 and views["email"]["count"] > 0
    user_id = agent.get("/api/me").json()["user"]["systemuserid"]
    database = app.state.database
    for view in pure.VIEW_IDS:
        for params in ({}, {"filter": "unread", "sort": "customer", "order": "asc"}, {"filter": "read"},
                       {"sort": "date", "order": "asc"}):
            answer = agent.get(f"/api/inbox/{view}", params=params)
            assert answer.status_code == 200, answer.text
            with database.engine.connect() as conn:
                rows = inbox_api.view_items(conn, user_id, view)
            expected = pure.arrange(rows, pure.Query.parse(params))
            assert [i["key"] for i in answer.json()["items"]] == [i["key"] for i in expected]
            assert answer.json()["count"] == views[view]["count"]
    unassigned = agent.get("/api/inbox/unassigned", params={"sort": "customer", "order": "asc"}).json()["items"]
    assert [i["customer"] for i in unassigned] == ["Ann Lee", "Zed Young"]
    assert unassigned[0]["preview"] == "second" and unassigned[0]["unread"] == 1 and unassigned[0]["live"]


def test_read_state_is_per_agent_and_a_new_message_makes_it_unread_again(app) -> None:
    agent, other = client_for(app), client_for(app, "agent2")  # both in General support
    chat = start_chat(agent)
    key = {"kind": "conversation", "id": chat["conversation"]["conversationid"]}
    assert agent.post("/api/inbox/read", json={"items": [key]}).status_code == 200
    mine = agent.get("/api/inbox/unassigned", params={"filter": "unread"}).json()
    assert mine["items"] == [] and mine["unread"] == 0 and mine["count"] == 1
    assert other.get("/api/inbox/unassigned", params={"filter": "unread"}).json()["unread"] == 1
    customer = TestClient(app)
    assert customer.post("/api/chat/messages", json={"text": "still there?", "clientId": "m2"},
                         headers={"Authorization": f"Bearer {chat['token']}"}).status_code == 201
    again = agent.get("/api/inbox/unassigned").json()["items"][0]
    assert (again["unread"], again["preview"]) == (1, "still there?")
    assert other.get("/api/inbox/unassigned").json()["items"][0]["unread"] == 2
    assert agent.post("/api/inbox/read", json={"items": [key], "read": False}).status_code == 200
    assert agent.get("/api/inbox/unassigned").json()["items"][0]["unread"] == 2


def test_cases_read_mark(app) -> None:
    agent = client_for(app)
    first = agent.get("/api/inbox/cases").json()
    case = first["items"][0]
    assert agent.post("/api/inbox/read", json={"items": [{"kind": "case", "id": case["id"]}]}).status_code == 200
    after = agent.get("/api/inbox/cases").json()
    assert after["unread"] == first["unread"] - (1 if case["unread"] else 0)
    assert next(i for i in after["items"] if i["id"] == case["id"])["unread"] == 0


def test_read_marks_reach_the_agents_other_tabs_by_push_and_nobody_else(app) -> None:
    agent, other = client_for(app), client_for(app, "agent2")
    me, them = (c.get("/api/me").json()["user"]["systemuserid"] for c in (agent, other))
    case = agent.get("/api/inbox/cases").json()["items"][0]
    with app.state.database.engine.connect() as conn:
        start = last_event_id(conn)
    for read in (True, False):
        body = {"items": [{"kind": "case", "id": case["id"].upper()}], "read": read}
        assert agent.post("/api/inbox/read", json=body).status_code == 200
    with app.state.database.engine.connect() as conn:
        mine = [e for e in read_after(conn, [f"user:{me}"], start) if e["type"] == "inbox.read"]
        theirs = [e for e in read_after(conn, [f"user:{them}"], start) if e["type"] == "inbox.read"]
    assert [e["data"] for e in mine] == [{"read": read, "items": [{"kind": "case", "id": case["id"].lower()}]}
                                         for read in (True, False)]
    assert theirs == []


@pytest.mark.parametrize("path, status, code", [
    ("/api/inbox/spam", 404, "not_found"), ("/api/inbox/cases?filter=new", 400, "invalid_query"),
    ("/api/inbox/cases?sort=priority", 400, "invalid_query"), ("/api/inbox/cases?top=3", 400, "invalid_query"),
])
def test_bad_queries_answer_the_error_shape(app, path, status, code) -> None:
    response = client_for(app).get(path)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("body, field", [
    ({"items": []}, "items"), ({"items": [{"kind": "spam", "id": "x"}]}, "items[0]"),
    ({"items": [{"kind": "case", "id": "x"}], "read": "yes"}, "read"), ([1], None),
])
def test_read_marks_are_validated(app, body, field) -> None:
    response = client_for(app).post("/api/inbox/read", json=body)
    assert response.status_code in (400, 422)
    assert response.json()["error"]["details"]["field"] == field


def test_inbox_needs_sign_in_and_csrf(app) -> None:
    anonymous = client_for(app, None)
    assert anonymous.get("/api/inbox").json()["error"]["code"] == "unauthenticated"
    agent = client_for(app)
    agent.headers.pop("X-CSRF-Token", None)
    assert agent.post("/api/inbox/read", json={"items": [{"kind": "case", "id": "x"}]}).status_code == 403


def test_queue_topic_carries_new_and_taken_conversations(app) -> None:
    import datetime as dt

    from sqlalchemy import update

    from server.db import schema

    agent = client_for(app)
    other_id = client_for(app, "agent2").get("/api/me").json()["user"]["systemuserid"]
    conversation = start_chat(agent)["conversation"]
    topic = f"queue:{conversation['queueid']}"
    with app.state.database.engine.connect() as conn:
        events = read_after(conn, [topic], 0)
    assert [e["type"] for e in events] == ["message.created"]
    with app.state.database.engine.begin() as conn:  # as routing would: the offer held by agent2
        conn.execute(update(schema.conversations).where(
            schema.conversations.c.conversationid == conversation["conversationid"]).values(
            offeredto=other_id, offerexpireson=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)))
    app.state.conversations.accept(other_id, conversation["conversationid"])
    with app.state.database.engine.connect() as conn:
        events = read_after(conn, [topic], events[-1]["id"])
    assert [(e["type"], e["data"]["statuscode"], e["data"]["ownerid"]) for e in events] == [
        ("conversation.updated", 2, other_id)]
    assert agent.get("/api/inbox/unassigned").json()["items"] == []


def test_the_profile_chooses_which_views_the_inbox_lists(app) -> None:
    chat_agent, agent = client_for(app, "agent1"), client_for(app)  # the Chat profile; the Default profile
    assert [v["id"] for v in chat_agent.get("/api/inbox").json()["views"]] == [
        "assigned", "unassigned", "resolved", "cases"]
    assert [v["id"] for v in agent.get("/api/inbox").json()["views"]] == [
        "cases", "assigned", "unassigned", "resolved", "activities", "email"]
    assert chat_agent.get("/api/inbox/email").status_code == 200  # shown or not, a view is no secret
    admin = client_for(app, "admin")
    profile = admin.get("/api/profiles", params={"$filter": "name eq 'Chat agent experience'"}).json()["value"][0]
    settings = {**profile["settings"], "inboxViews": ["assigned", "my-active-cases"]}
    refused = admin.patch(f"/api/profiles({profile['profileid']})", json={"settings": settings},
                          headers={"If-Match": profile["@odata.etag"]})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"]["field"] == "settings"
    assert "my-active-cases" in refused.json()["error"]["message"]
    settings["inboxViews"] = ["email", "assigned"]
    saved = admin.patch(f"/api/profiles({profile['profileid']})", json={"settings": settings},
                        headers={"If-Match": profile["@odata.etag"]})
    assert saved.status_code == 200, saved.text
    assert [v["id"] for v in chat_agent.get("/api/inbox").json()["views"]] == ["email", "assigned"]
