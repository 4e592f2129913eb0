"""Conversations over the API: live chat from the pre-chat form to close, routing offers, the messages entity set,
presence, webhooks (signature, malformed, retries, duplicates) and the outbox; on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from server.app import create_app
from server.db import schema
from tests.support.fake_channel import FakeAdapter, sign
from tests.unit.server.conftest import BOTH_DATABASES, sign_in

pytestmark = BOTH_DATABASES
GENERAL_AGENTS = ("agent2", "agent5", "agent8")  # the seed's General support queue (the demo channels' queue)


@pytest.fixture
def app(settings):
    application = create_app(settings)
    application.state.channel_adapters = {"sms": FakeAdapter()}
    application.state.tick_seconds = None  # the tests route and send the outbox themselves
    return application


@pytest.fixture
def server(app):
    with TestClient(app) as client:
        yield client


def agent_client(app, username: str) -> TestClient:
    client = TestClient(app)
    sign_in(client, username)
    return client


def start_chat(server, question="My printer shows offline") -> tuple[str, dict]:
    response = server.post("/api/chat/start", json={"name": "Ann Lee", "email": "ann.lee@example.com",
                                                     "question": question})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["token"], body["conversation"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def user_id(client: TestClient) -> str:
    return client.get("/api/me").json()["user"]["systemuserid"]


def available(client: TestClient) -> None:
    assert client.put("/api/presence", json={"presence": "Available"}).status_code == 200


def conversation(server_app, conversation_id):
    with server_app.state.database.engine.connect() as conn:
        return conn.execute(select(schema.conversations).where(
            schema.conversations.c.conversationid == conversation_id)).first()


def test_live_chat_from_pre_chat_form_to_close(app, server):
    agent = agent_client(app, "agent2")
    available(agent)
    token, conv = start_chat(server)
    conversation_id = conv["conversationid"]
    assert conv["statuscode"] == 1 and conv["contactid"]
    assert conversation(app, conversation_id).offeredto == user_id(agent)  # routed when it started
    assert app.state.conversations.route() == []  # and only once
    accepted = agent.post(f"/api/conversations({conversation_id})/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["statuscode"] == 2
    assert agent.get("/api/presence").json()["presence"] == "Busy"  # 1 of 3 units used
    sent = agent.post(f"/api/conversations({conversation_id})/send", json={"text": "Hello Ann, let me check.",
                                                                          "clientId": "a1"})
    assert sent.status_code == 201 and sent.json()["sequence"] == 2 and sent.json()["deliverystate"] == "sent"
    again = agent.post(f"/api/conversations({conversation_id})/send", json={"text": "Hello Ann, let me check.",
                                                                           "clientId": "a1"})
    assert again.json()["messageid"] == sent.json()["messageid"]  # a retried send stores once
    reply = server.post("/api/chat/messages", json={"text": "Thanks!", "clientId": "c1"}, headers=bearer(token))
    assert reply.status_code == 201 and reply.json()["sequence"] == 3
    assert server.post("/api/chat/marks", json={"sequence": 3, "state": "read"},
                       headers=bearer(token)).json() == {"changed": 1}
    transcript = server.get("/api/chat/conversation", headers=bearer(token)).json()
    assert [(m["sequence"], m["sendertype"], m["deliverystate"]) for m in transcript["messages"]] == [
        (1, "customer", "delivered"), (2, "agent", "read"), (3, "customer", "delivered")]
    assert "senderid" not in transcript["messages"][1]
    listed = agent.get(f"/api/conversations({conversation_id})/messages?$select=text&$top=2")
    assert listed.status_code == 200
    body = listed.json()
    assert [m["text"] for m in body["value"]] == ["My printer shows offline", "Hello Ann, let me check."]
    assert "@odata.nextLink" in body and body["value"][0]["@odata.etag"] == 'W/"1"'
    record = agent.get(f"/api/conversations({conversation_id})")
    assert record.status_code == 200 and record.headers["ETag"] == record.json()["@odata.etag"]
    assert record.json()["firstresponseon"] is not None
    note = agent.post(f"/api/conversations({conversation_id})/notes", json={"text": "Driver 5.2 fixed it"})
    assert note.status_code == 201
    assert agent.post(f"/api/conversations({conversation_id})/end").json()["statuscode"] == 5
    assert server.post("/api/chat/messages", json={"text": "hi?", "clientId": "c2"},
                       headers=bearer(token)).json()["error"]["code"] == "conversation_ended"
    closed = agent.post(f"/api/conversations({conversation_id})/close")
    assert closed.json()["statuscode"] == 4 and conversation(app, conversation_id).closedon is not None
    assert agent.get("/api/presence").json()["presence"] == "Available"
    again = agent.post(f"/api/conversations({conversation_id})/end")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"


def test_agents_see_only_their_own_and_their_queues_conversations(app, server):
    _, conv = start_chat(server)
    outsider = agent_client(app, "agent1")  # not in General support
    member = agent_client(app, "agent5")
    conversation_id = conv["conversationid"]
    assert outsider.get(f"/api/conversations({conversation_id})").status_code == 404
    assert outsider.get(f"/api/conversations({conversation_id})/messages").status_code == 404
    assert outsider.get("/api/conversations").json()["value"] == []
    assert outsider.get("/api/conversationmessages").json()["value"] == []
    assert [c["conversationid"] for c in member.get("/api/conversations").json()["value"]] == [conversation_id]
    filtered = member.get("/api/conversations?$filter=statuscode eq 1&$count=true").json()
    assert filtered["@odata.count"] == 1
    bad = member.get("/api/conversations?$filter=nosuch eq 1")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_query"
    assert outsider.post(f"/api/conversations({conversation_id})/accept").json()["error"]["code"] == \
        "offer_not_held"


def test_a_rejected_offer_goes_to_the_next_agent_and_an_expired_one_too(app, server):
    clients = {name: agent_client(app, name) for name in GENERAL_AGENTS}
    ids = {}
    for name, client in clients.items():
        available(client)
        ids[user_id(client)] = name
    _, conv = start_chat(server)
    conversation_id = conv["conversationid"]
    service = app.state.conversations
    holder = ids[conversation(app, conversation_id).offeredto]
    assert service.route() == []  # one offer holder at a time
    assert clients[holder].post(f"/api/conversations({conversation_id})/reject").status_code == 200
    second = ids[conversation(app, conversation_id).offeredto]
    assert second != holder
    real_clock = service.clock
    service.clock = lambda: real_clock() + service.offer_timeout * 2
    try:
        third_offer = service.route()
    finally:
        service.clock = real_clock
    third = ids[third_offer[0][1]]
    assert third not in (holder, second)
    assert clients[second].post(f"/api/conversations({conversation_id})/accept").status_code == 409
    assert clients[third].post(f"/api/conversations({conversation_id})/accept").status_code == 200


def test_nobody_available_means_the_conversation_waits_then_is_offered(app, server):
    _, conv = start_chat(server)
    service = app.state.conversations
    assert service.route() == [] and conversation(app, conv["conversationid"]).offeredto is None
    agent = agent_client(app, "agent8")
    agent.put("/api/presence", json={"presence": "Away"})
    assert service.route() == []
    available(agent)  # PUT /api/presence routes at once
    assert conversation(app, conv["conversationid"]).offeredto is not None


def test_presence_rejects_unknown_statuses(app, server):
    agent = agent_client(app, "agent2")
    bad = agent.put("/api/presence", json={"presence": "Sleeping"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "presence"
    assert agent.put("/api/presence", json={"presence": "Busy - DND"}).json()["presence"] == "Busy - DND"


def test_chat_requires_its_token_and_valid_input(server):
    assert server.get("/api/chat/conversation").status_code == 401
    assert server.get("/api/chat/conversation", headers=bearer("nope")).json()["error"]["code"] == "unauthenticated"
    missing = server.post("/api/chat/start", json={"name": "Ann"})
    assert missing.status_code == 422 and missing.json()["error"]["details"]["field"] == "question"


def _post(server, body: dict, secret="casework-demo-sms", signature=None):
    raw = json.dumps(body).encode()
    return server.post("/api/channels/sms", content=raw, headers={
        "Content-Type": "application/json", "X-Fake-Signature": signature or sign(secret, raw)})


def _messages(app) -> int:
    with app.state.database.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.conversationmessages)).scalar_one()


def test_webhook_signature_payload_channel_and_idempotency(app, server):
    body = {"messages": [{"id": "SM1", "from": "+15550100", "name": "Bo", "text": "Is my order shipped?"}]}
    bad = _post(server, body, secret="wrong")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "bad_signature" and _messages(app) == 0
    malformed = server.post("/api/channels/sms", content=b"{nope", headers={"X-Fake-Signature": sign(
        "casework-demo-sms", b"{nope")})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_payload"
    unknown = server.post("/api/channels/pager", content=b"{}")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    ok = _post(server, body)
    assert ok.status_code == 200 and ok.text == "<Response/>" and _messages(app) == 1
    retry = _post(server, body)
    assert retry.status_code == 200 and _messages(app) == 1
    twice = {"messages": [{"id": "SM2", "from": "+15550100", "text": "Hello?"}] * 2}
    assert _post(server, twice).headers["X-Casework-Stored"] == "1 stored, 1 duplicate"
    assert _messages(app) == 2
    with app.state.database.engine.connect() as conn:
        rows = conn.execute(select(schema.conversations)).all()
    assert len(rows) == 1 and rows[0].lastsequence == 2 and rows[0].customerhandle == "+15550100"
    handshake = server.get("/api/channels/sms?verify_token=casework-demo-sms&challenge=42")
    assert handshake.status_code == 200 and handshake.text == "42"
    assert server.get("/api/channels/sms?verify_token=x&challenge=42").status_code == 401


def test_outbound_reply_goes_through_the_outbox_with_retries_and_receipts(app, server):
    from server.conversations import outbox

    agent = agent_client(app, "agent2")
    available(agent)
    _post(server, {"messages": [{"id": "SM9", "from": "+15550199", "text": "Refund?"}]})  # routes it at once
    with app.state.database.engine.connect() as conn:
        conversation_id = conn.execute(select(schema.conversations.c.conversationid)).scalar_one()
    agent.post(f"/api/conversations({conversation_id})/accept")
    sent = agent.post(f"/api/conversations({conversation_id})/send", json={"text": "Refund is on its way"})
    assert sent.json()["deliverystate"] == "queued"
    provider = app.state.provider
    provider.fail_next = 1
    service = app.state.conversations
    assert outbox.process_due(service, provider, app.state.channel_adapters) == 1
    assert provider.sent == []
    real = service.clock
    service.clock = lambda: real() + outbox.backoff(1) * 2
    try:
        outbox.process_due(service, provider, app.state.channel_adapters)
    finally:
        service.clock = real
    assert [s["request"]["json"] for s in provider.sent] == [{"to": "+15550199", "text": "Refund is on its way"}]
    receipt_body = {"receipts": [{"id": provider.sent[0]["providerMessageId"], "state": "delivered"}]}
    assert _post(server, receipt_body).status_code == 200
    states = agent.get(f"/api/conversations({conversation_id})/messages?$select=deliverystate").json()["value"]
    assert [m["deliverystate"] for m in states] == ["delivered", "delivered"]


def test_twilio_sms_webhook_through_the_real_adapter(settings):
    from urllib.parse import urlencode

    from server.channels.sms import compute_signature

    application = create_app(settings)
    application.state.tick_seconds = None
    params = [("MessageSid", "SM5f1e0000000000000000000000000001"), ("AccountSid", "AC123"),
              ("From", "+15557654321"), ("To", "+15550001111"), ("Body", "Where is my parcel?"), ("NumMedia", "0")]
    url = "http://testserver/api/channels/sms"
    raw = urlencode(params)
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": compute_signature("casework-demo-sms", url, params)}
    with TestClient(application) as client:
        bad = client.post("/api/channels/sms", content=raw, headers={**headers, "X-Twilio-Signature": "AAAA"})
        assert bad.status_code == 401 and _messages(application) == 0
        ok = client.post("/api/channels/sms", content=raw, headers=headers)
        assert ok.status_code == 200 and "<Response" in ok.text, ok.text
        assert client.post("/api/channels/sms", content=raw, headers=headers).status_code == 200  # Twilio retry
        assert _messages(application) == 1
        with application.state.database.engine.connect() as conn:
            row = conn.execute(select(schema.conversations)).first()
        assert row.customerhandle == "+15557654321" and row.channel == "sms"


def test_the_push_socket_tells_agents_about_records_changed_by_others(app, server):
    watcher, editor = agent_client(app, "agent1"), agent_client(app, "agent3")
    contact = editor.get("/api/contacts?$top=1").json()["value"][0]
    with watcher.websocket_connect("/api/push", headers={"Origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "hello"
        # Connecting signs the agent in to presence: Offline -> Available (the reference's default)
        assert ws.receive_json()["data"]["presence"] == "Available"
        changed = editor.patch(f"/api/contacts({contact['contactid']})", json={"jobtitle": "Owner"},
                               headers={"If-Match": contact["@odata.etag"]})
        assert changed.status_code == 200
        event = ws.receive_json()
    assert event["type"] == "record.changed"
    assert event["data"] == {"by": user_id(editor), "records": [
        {"entitySet": "contacts", "id": contact["contactid"], "version": contact["versionnumber"] + 1}]}


def test_a_failed_write_logs_no_record_change(app, server):
    editor = agent_client(app, "agent3")
    contact = editor.get("/api/contacts?$top=1").json()["value"][0]
    stale = editor.patch(f"/api/contacts({contact['contactid']})", json={"jobtitle": "Owner"},
                         headers={"If-Match": 'W/"999"'})
    assert stale.status_code == 412
    with app.state.database.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.events)).scalar_one() == 0


def test_whatsapp_handshake_and_signed_message_through_the_real_adapter(settings):
    from server.channels.meta import sign as meta_sign

    application = create_app(settings)
    application.state.tick_seconds = None
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "W1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Kerry Fisher"}, "wa_id": "16315551234"}],
            "messages": [{"from": "16315551234", "id": "wamid.ABGGFlCGg0cvAgo-sJQh43L5Pe4W", "timestamp": "1603059201",
                          "text": {"body": "Hello this is an answer"}, "type": "text"}] * 2}}]}]}).encode()
    with TestClient(application) as client:
        shake = client.get("/api/channels/whatsapp?hub.mode=subscribe&hub.verify_token=casework-demo-whatsapp"
                           "&hub.challenge=1158201444")
        assert shake.status_code == 200 and shake.text == "1158201444"
        assert client.get("/api/channels/whatsapp?hub.mode=subscribe&hub.verify_token=nope"
                          "&hub.challenge=1").status_code == 401
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": meta_sign("casework-demo-whatsapp",
                                                                                        body)}
        ok = client.post("/api/channels/whatsapp", content=body, headers=headers)
        assert ok.status_code == 200 and ok.headers["X-Casework-Stored"] == "1 stored, 1 duplicate"
        assert client.post("/api/channels/whatsapp", content=body[:-1] + b" ", headers=headers).status_code == 401
        assert _messages(application) == 1


def test_teams_activity_with_the_generated_demo_key_set(settings):
    from server.channels.teams import sign_demo_token
    from server.conversations.runtime import DEMO_TEAMS_APP_ID, DEMO_TEAMS_ISSUER

    application = create_app(settings)
    application.state.tick_seconds = None
    service_url = "https://smba.trafficmanager.net/amer/"
    activity = {"type": "message", "id": "1485983408511", "timestamp": "2017-02-01T21:10:07.437Z",
                "serviceUrl": service_url, "channelId": "msteams",
                "from": {"id": "29:1XJKJMvc5GBtc2Jw", "name": "Megan Bowen"},
                "conversation": {"conversationType": "personal", "id": "a:17I0kl9EkpE1O9PH5"},
                "recipient": {"id": f"28:{DEMO_TEAMS_APP_ID}", "name": "Casework"}, "text": "Hello Casework"}
    with TestClient(application) as client:  # first start: the key set is generated into the data dir
        jwks = json.loads((settings.data_dir / "teams-demo-jwks.json").read_text())
        private_pem = (settings.data_dir / "teams-demo-key.pem").read_bytes()
        token = sign_demo_token(private_pem, jwks["keys"][0]["kid"], DEMO_TEAMS_APP_ID, DEMO_TEAMS_ISSUER,
                                service_url)
        ok = client.post("/api/channels/teams", json=activity, headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200, ok.text
        forged = client.post("/api/channels/teams", json=activity, headers={"Authorization": "Bearer x.y.z"})
        assert forged.status_code == 401 and _messages(application) == 1
        with application.state.database.engine.connect() as conn:
            row = conn.execute(select(schema.conversations)).first()
        assert json.loads(row.conversationref)["conversation_id"] == "a:17I0kl9EkpE1O9PH5"


def test_the_customer_socket_gets_the_agents_messages_typing_and_status_only(app, server):
    from starlette.websockets import WebSocketDisconnect

    agent = agent_client(app, "agent2")
    available(agent)
    token, conv = start_chat(server)
    conversation_id = conv["conversationid"]
    after = server.get("/api/chat/conversation", headers=bearer(token)).json()["lastEventId"]
    with server.websocket_connect(f"/api/chat/push?token={token}&after={after}") as ws:
        assert ws.receive_json() == {"type": "hello", "after": after}
        agent.post(f"/api/conversations({conversation_id})/accept")
        assert ws.receive_json()["data"] == {"statuscode": 2, "agent": True}
        agent.post(f"/api/conversations({conversation_id})/typing")
        assert ws.receive_json()["data"] == {"conversationid": conversation_id, "who": "agent"}
        agent.post(f"/api/conversations({conversation_id})/send", json={"text": "Hi Ann"})
        message = ws.receive_json()
    assert message["type"] == "message.created" and message["data"]["text"] == "Hi Ann"
    assert set(message["data"]) == {"messageid", "sequence", "direction", "sendertype", "sendername", "text",
                                    "deliverystate", "createdon"}
    with pytest.raises(WebSocketDisconnect) as closed, server.websocket_connect("/api/chat/push?token=nope&after=0") \
            as ws:
        ws.receive_json()
    assert closed.value.code == 4401
