"""Wrap-up and hand-over over the API (a case prefilled from the conversation, linking one, transfer, release,
reopen), the timers with the service's clock moved by hand (agent disconnect timeout, a persistent chat's customer
gone → Waiting and back, Waiting inactivity), and trimming the push log with a plain "resync" for a resume from
before the trim; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from server.app import create_app
from server.conversations import timers
from server.db import schema
from tests.unit.server.conftest import BOTH_DATABASES, sign_in

pytestmark = BOTH_DATABASES


@pytest.fixture
def app(settings):
    application = create_app(settings)
    application.state.tick_seconds = None
    return application


@pytest.fixture
def server(app):
    with TestClient(app) as client:
        yield client


class Clock:
    """The service's clock, moved by hand."""

    def __init__(self, real):
        self.real, self.offset = real, dt.timedelta()

    def __call__(self):
        return self.real() + self.offset


def clock_of(app) -> Clock:
    service = app.state.conversations
    clock = Clock(service.clock)
    service.clock = clock
    return clock


def agent(app, name: str) -> TestClient:
    client = TestClient(app)
    sign_in(client, name)
    assert client.put("/api/presence", json={"presence": "Available"}).status_code == 200
    return client


def me(client) -> str:
    return client.get("/api/me").json()["user"]["systemuserid"]


def row(app, conversation_id):
    with app.state.database.engine.connect() as conn:
        return conn.execute(select(schema.conversations).where(
            schema.conversations.c.conversationid == conversation_id)).first()


def accepted_chat(app, server, client, question="My router drops the connection every evening"):
    started = server.post("/api/chat/start", json={"name": "Ann Lee", "email": "ann.lee@example.com",
                                                   "question": question}).json()
    conversation_id = started["conversation"]["conversationid"]
    assert row(app, conversation_id).offeredto == me(client)
    assert client.post(f"/api/conversations({conversation_id})/accept").status_code == 200
    return conversation_id, started["token"]


def test_a_case_is_created_from_the_conversation_on_the_server_and_linked(app, server):
    a = agent(app, "agent2")
    conversation_id, token = accepted_chat(app, server, a)
    server.post("/api/chat/messages", json={"text": "It started after the firmware update", "clientId": "m2"},
                headers={"Authorization": f"Bearer {token}"})
    a.post(f"/api/conversations({conversation_id})/send", json={"text": "Let me open a case."})
    made = a.post(f"/api/conversations({conversation_id})/case", json={})
    assert made.status_code == 201, made.text
    body = made.json()
    case = body["incident"]
    assert case["title"] == "My router drops the connection every evening"
    assert "Ann Lee: It started after the firmware update" in case["description"]
    assert case["customerid"] == row(app, conversation_id).contactid and case["customeridtype"] == "contact"
    assert case["caseorigincode"] == "chat" and case["ticketnumber"].startswith("CAS-")
    assert body["conversation"]["incidentid"] == case["incidentid"] == row(app, conversation_id).incidentid
    assert a.get(f"/api/incidents({case['incidentid']})").json()["ownerid"] == me(a)
    # link an existing case instead, and the input is checked
    other = a.get("/api/incidents?$top=1&$filter=statecode eq 0").json()["value"][0]["incidentid"]
    linked = a.post(f"/api/conversations({conversation_id})/case", json={"incidentid": other})
    assert linked.status_code == 200 and linked.json()["conversation"]["incidentid"] == other
    assert a.post(f"/api/conversations({conversation_id})/case", json={"incidentid": "x"}).status_code == 422
    assert a.post(f"/api/conversations({conversation_id})/case", json={"title": ""}).status_code == 422
    stranger = TestClient(app)
    sign_in(stranger, "agent5")
    assert stranger.post(f"/api/conversations({conversation_id})/case", json={}).json()["error"]["code"] == \
        "not_assigned"


def test_case_prefill_is_pure_and_uses_the_first_customer_line(backend):
    fields = timers.case_prefill(
        {"channel": "sms", "customername": "Bo", "contactid": "c-1"},
        [{"sequence": 2, "direction": "outbound", "sendername": "Agent One", "text": "Hi Bo"},
         {"sequence": 1, "direction": "inbound", "sendername": "Bo", "text": "Invoice wrong\nsecond line"}])
    assert fields["title"] == "Invoice wrong" and fields["caseorigincode"] == "phone"
    assert fields["description"].endswith("Bo: Invoice wrong\nsecond line\nAgent One: Hi Bo")
    assert timers.case_prefill({"customername": "Bo"}, [])["title"] == "Conversation with Bo"


def test_transfer_to_an_agent_offers_it_to_them_and_release_never_returns_it(app, server):
    first, second = agent(app, "agent2"), agent(app, "agent5")
    third = agent(app, "agent8")
    third.put("/api/presence", json={"presence": "Away"})
    second.put("/api/presence", json={"presence": "Away"})
    conversation_id, _ = accepted_chat(app, server, first)
    second.put("/api/presence", json={"presence": "Available"})
    moved = first.post(f"/api/conversations({conversation_id})/transfer", json={"agentid": me(second)})
    assert moved.status_code == 200, moved.text
    assert moved.json()["statuscode"] == 1 and moved.json()["ownerid"] is None
    assert row(app, conversation_id).offeredto == me(second)
    assert first.get("/api/presence").json()["presence"] == "Available"  # capacity released
    assert second.post(f"/api/conversations({conversation_id})/accept").status_code == 200
    # release: back to the queue, offered to someone else, never to an agent who let it go
    released = second.post(f"/api/conversations({conversation_id})/release")
    assert released.status_code == 200 and released.json()["statuscode"] == 1
    assert row(app, conversation_id).offeredto is None  # agent2 and agent5 both handed it over
    third.put("/api/presence", json={"presence": "Available"})
    assert row(app, conversation_id).offeredto == me(third)
    assert second.post(f"/api/conversations({conversation_id})/release").json()["error"]["code"] == "not_owner"
    assert first.post(f"/api/conversations({conversation_id})/transfer", json={}).status_code == 422




def test_transfer_refuses_an_unavailable_agent_and_unknown_queues(app, server):
    a, b = agent(app, "agent2"), agent(app, "agent5")
    agent(app, "agent8").put("/api/presence", json={"presence": "Away"})
    b.put("/api/presence", json={"presence": "Away"})
    conversation_id, _ = accepted_chat(app, server, a)
    refused = a.post(f"/api/conversations({conversation_id})/transfer", json={"agentid": me(b)})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "agent_unavailable"
    assert row(app, conversation_id).statuscode == 2  # nothing changed
    unknown = a.post(f"/api/conversations({conversation_id})/transfer",
                     json={"queueid": "00000000-0000-0000-0000-000000000000"})
    assert unknown.status_code == 422 and unknown.json()["error"]["details"]["field"] == "queueid"
    with app.state.database.engine.connect() as conn:
        other_queue = conn.execute(select(schema.queues.c.queueid).where(
            schema.queues.c.name != "General support").limit(1)).scalar_one()
    moved = a.post(f"/api/conversations({conversation_id})/transfer", json={"queueid": other_queue})
    assert moved.status_code == 200 and row(app, conversation_id).queueid == other_queue


def test_an_agent_gone_for_two_and_a_half_minutes_loses_their_active_conversations(app, server):
    a = agent(app, "agent2")
    conversation_id, _ = accepted_chat(app, server, a)
    service, clock = app.state.conversations, clock_of(app)
    user = me(a)
    service.socket_opened(user)
    service.socket_closed(user)
    clock.offset = dt.timedelta(minutes=2, seconds=29)
    service.route()
    assert row(app, conversation_id).statuscode == 2  # still within the grace
    clock.offset = dt.timedelta(minutes=2, seconds=31)
    service.route()
    assert a.get("/api/presence").json()["presence"] == "Offline"
    after = row(app, conversation_id)
    assert after.statuscode == 1 and after.ownerid is None


def test_a_chat_customer_gone_makes_it_waiting_and_coming_back_reopens_it(app, server):
    a = agent(app, "agent2")
    for name in ("agent5", "agent8"):
        agent(app, name).put("/api/presence", json={"presence": "Away"})
    conversation_id, token = accepted_chat(app, server, a)
    service, clock = app.state.conversations, clock_of(app)
    service.customer_socket_opened(conversation_id)
    service.customer_socket_closed(conversation_id)
    clock.offset = timers.CUSTOMER_GRACE - dt.timedelta(seconds=1)
    service.route()
    assert row(app, conversation_id).statuscode == 2
    clock.offset = timers.CUSTOMER_GRACE + dt.timedelta(seconds=1)
    service.route()
    waiting = row(app, conversation_id)
    assert waiting.statuscode == 3 and waiting.ownerid == me(a)
    assert a.get("/api/presence").json()["presence"] == "Available"  # Waiting holds no capacity
    # the agent may take it up again, or the customer comes back (socket): Open, routed
    assert a.post(f"/api/conversations({conversation_id})/reopen").json()["statuscode"] == 2
    service.customer_socket_opened(conversation_id)
    service.customer_socket_closed(conversation_id)
    clock.offset = timers.CUSTOMER_GRACE * 3
    service.route()
    assert row(app, conversation_id).statuscode == 3
    assert service.customer_socket_opened(conversation_id) is True
    assert row(app, conversation_id).statuscode == 1
    service.route()
    assert row(app, conversation_id).offeredto == me(a)


def test_a_waiting_customer_writing_again_reopens_and_inactivity_closes(app, server):
    a = agent(app, "agent2")
    conversation_id, token = accepted_chat(app, server, a)
    service, clock = app.state.conversations, clock_of(app)
    service.customer_socket_opened(conversation_id)
    service.customer_socket_closed(conversation_id)
    clock.offset = timers.CUSTOMER_GRACE * 2
    service.route()
    assert row(app, conversation_id).statuscode == 3
    sent = server.post("/api/chat/messages", json={"text": "Still there?", "clientId": "back1"},
                       headers={"Authorization": f"Bearer {token}"})
    assert sent.status_code == 201 and row(app, conversation_id).statuscode == 1
    service.route()
    assert a.post(f"/api/conversations({conversation_id})/accept").status_code == 200
    service.customer_socket_opened(conversation_id)
    service.customer_socket_closed(conversation_id)
    clock.offset += timers.CUSTOMER_GRACE * 2
    service.route()
    assert row(app, conversation_id).statuscode == 3
    clock.offset += service.waiting_timeout - dt.timedelta(minutes=1)
    service.route()
    assert row(app, conversation_id).statuscode == 3
    clock.offset += dt.timedelta(minutes=2)
    service.route()
    closed = row(app, conversation_id)
    assert closed.statuscode == 4 and closed.closedon is not None


def test_trimmed_log_answers_resync_and_the_newest_event_stays(app, server):
    a = agent(app, "agent2")
    conversation_id, _ = accepted_chat(app, server, a)
    service, clock = app.state.conversations, clock_of(app)
    with app.state.database.engine.connect() as conn:
        before = conn.execute(select(func.max(schema.events.c.eventid))).scalar_one()
    assert service.trim_events() == 0  # nothing is older than the window
    clock.offset = service.event_retention + dt.timedelta(minutes=1)
    removed = service.trim_events()
    assert removed > 0
    with app.state.database.engine.connect() as conn:
        left = conn.execute(select(schema.events.c.eventid)).scalars().all()
    assert left == [before]  # the newest stays, so ids never repeat
    a.post(f"/api/conversations({conversation_id})/send", json={"text": "after the trim"})
    with a.websocket_connect("/api/push?after=1", headers={"origin": "http://testserver"}) as ws:
        frame = ws.receive_json()
        assert frame["type"] == "resync" and frame["trimmedThrough"] == before - 1
        assert frame["after"] > before
    with a.websocket_connect(f"/api/push?after={before - 1}", headers={"origin": "http://testserver"}) as ws:
        assert ws.receive_json() == {"type": "hello", "after": before - 1}
        first = ws.receive_json()
        assert first["id"] == before  # nothing missing after the trimmed id: resumed as usual


def test_smart_assist_ranks_from_the_conversations_messages_for_its_agents_only(app, server):
    from tests.unit.server.test_suggestions_api import PRINTING, TOPIC_OF_TITLE, article_topic

    a = agent(app, "agent2")
    conversation_id, token = accepted_chat(app, server, a, "Hi, my office laser printer shows offline")
    server.post("/api/chat/messages", headers={"Authorization": f"Bearer {token}"}, json={
        "text": "Since the new driver went on, every print job just sits in the queue", "clientId": "p2"})
    found = a.get(f"/api/conversations({conversation_id})/suggestions")
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["cases"] and {TOPIC_OF_TITLE[c["title"]] for c in body["cases"]} == {PRINTING}
    assert body["articles"] and {article_topic(x["title"]) for x in body["articles"]} == {PRINTING}
    assert all(0 < x["confidence"] <= 1 and x["keyphrases"] for x in body["articles"])
    first = body["articles"][0]["id"]
    voted = a.post(f"/api/conversations({conversation_id})/suggestions/feedback",
                   json={"id": first, "kind": "article", "useful": False})
    assert voted.status_code == 200
    after = a.get(f"/api/conversations({conversation_id})/suggestions").json()
    assert first not in {x["id"] for x in after["articles"]}  # a No hides it here
    outsider = TestClient(app)
    sign_in(outsider, "agent1")  # not in the chat's queue
    assert outsider.get(f"/api/conversations({conversation_id})/suggestions").status_code == 404
    assert outsider.post(f"/api/conversations({conversation_id})/suggestions/feedback",
                         json={"id": first, "kind": "article", "useful": True}).status_code == 404
    assert a.get("/api/conversations(00000000-0000-0000-0000-000000000000)/suggestions").status_code == 404
