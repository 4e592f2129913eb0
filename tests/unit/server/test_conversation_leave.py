"""X without End (close_without_end, ``POST /api/conversations(<id>)/leave``): a live chat goes back to Open and is
offered to another agent, an async channel's conversation goes to Waiting (still the agent's), capacity is released;
only the owner may leave, a closed or wrap-up conversation answers 409. Also the transfer dialog's data
(``GET .../transfertargets``) and a transfer's note riding on the receiving agent's offer. Both databases."""

from __future__ import annotations

import json

from sqlalchemy import select
from starlette.testclient import TestClient

from server.db import schema
from tests.unit.server.conftest import BOTH_DATABASES, sign_in
from tests.unit.server.test_conversation_wrapup_timers import accepted_chat, agent, app, me, row, server  # noqa: F401

pytestmark = BOTH_DATABASES


def _away(app_, *names):
    for name in names:
        agent(app_, name).put("/api/presence", json={"presence": "Away"})


def _events(app_, conversation_id, kind):
    e = schema.events
    with app_.state.database.engine.connect() as conn:
        return conn.execute(select(e).where(e.c.conversationid == conversation_id, e.c.type == kind)
                            .order_by(e.c.eventid)).all()


def test_leaving_a_live_chat_reopens_it_and_offers_it_to_another_agent(app, server):  # noqa: F811
    first = agent(app, "agent2")
    _away(app, "agent5", "agent8")
    conversation_id, _ = accepted_chat(app, server, first)
    assert first.get("/api/presence").json()["presence"] == "Busy"
    left = first.post(f"/api/conversations({conversation_id})/leave")
    assert left.status_code == 200, left.text
    assert left.json()["statuscode"] == 1 and left.json()["ownerid"] is None
    assert first.get("/api/presence").json()["presence"] == "Available"  # capacity released
    assert row(app, conversation_id).offeredto is None  # never offered back to the agent who left it
    updates = _events(app, conversation_id, "conversation.updated")
    assert json.loads(updates[-1].payload)["statuscode"] == 1
    second = agent(app, "agent5")  # Available again: routed to them
    assert row(app, conversation_id).offeredto == me(second)
    assert second.post(f"/api/conversations({conversation_id})/accept").status_code == 200


def test_leaving_an_async_conversation_makes_it_waiting_and_keeps_the_owner(app, server):  # noqa: F811
    first = agent(app, "agent2")
    _away(app, "agent5", "agent8")
    conversation_id, _ = accepted_chat(app, server, first)
    with app.state.database.engine.begin() as conn:  # the same conversation as if it came in by SMS
        conn.execute(schema.conversations.update().where(
            schema.conversations.c.conversationid == conversation_id).values(channel="sms"))
    left = first.post(f"/api/conversations({conversation_id})/leave")
    assert left.status_code == 200, left.text
    waiting = row(app, conversation_id)
    assert waiting.statuscode == 3 and waiting.ownerid == me(first) and waiting.offeredto is None
    assert first.get("/api/presence").json()["presence"] == "Available"  # Waiting holds no capacity
    assert first.post(f"/api/conversations({conversation_id})/reopen").json()["statuscode"] == 2


def test_only_the_owner_may_leave_and_a_closed_or_wrapped_up_one_is_refused(app, server):  # noqa: F811
    first = agent(app, "agent2")
    _away(app, "agent5", "agent8")
    conversation_id, _ = accepted_chat(app, server, first)
    stranger = TestClient(app)
    sign_in(stranger, "agent5")
    refused = stranger.post(f"/api/conversations({conversation_id})/leave")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_owner"
    assert row(app, conversation_id).statuscode == 2
    assert first.post(f"/api/conversations({conversation_id})/leave", json={"x": 1}).status_code == 400
    assert first.post(f"/api/conversations({conversation_id})/end").status_code == 200
    wrapped = first.post(f"/api/conversations({conversation_id})/leave")
    assert wrapped.status_code == 409 and wrapped.json()["error"]["code"] == "invalid_transition"
    assert first.post(f"/api/conversations({conversation_id})/close").status_code == 200
    closed = first.post(f"/api/conversations({conversation_id})/leave")
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "invalid_transition"
    assert row(app, conversation_id).statuscode == 4


def test_transfer_targets_list_queues_and_agents_and_the_note_reaches_the_offer(app, server):  # noqa: F811
    first, second = agent(app, "agent2"), agent(app, "agent5")
    second.put("/api/presence", json={"presence": "Away"})
    _away(app, "agent8")
    conversation_id, _ = accepted_chat(app, server, first)
    second.put("/api/presence", json={"presence": "Available"})
    targets = first.get(f"/api/conversations({conversation_id})/transfertargets")
    assert targets.status_code == 200, targets.text
    body = targets.json()
    assert "General support" not in [q["name"] for q in body["queues"]] and len(body["queues"]) == 2
    people = {a["systemuserid"]: a for a in body["agents"]}
    assert me(first) not in people
    assert people[me(second)]["presence"] == "Available" and people[me(second)]["available"] is True
    eighth = next(a for a in body["agents"] if a["fullname"].startswith("Agent 8 "))
    assert eighth["presence"] == "Away" and eighth["available"] is False
    assert second.get(f"/api/conversations({conversation_id})/transfertargets").status_code == 403
    too_long = first.post(f"/api/conversations({conversation_id})/transfer",
                          json={"agentid": me(second), "note": "x" * 1001})
    assert too_long.status_code == 422 and too_long.json()["error"]["details"]["field"] == "note"
    moved = first.post(f"/api/conversations({conversation_id})/transfer",
                       json={"agentid": me(second), "note": "Wants a refund, already verified"})
    assert moved.status_code == 200, moved.text
    offer = _events(app, conversation_id, "offer.created")[-1]
    assert offer.topic == f"user:{me(second)}"
    data = json.loads(offer.payload)
    assert data["note"] == "Wants a refund, already verified" and data["from"].startswith("Agent 2 ")
