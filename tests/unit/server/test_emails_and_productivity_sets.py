"""E-mail from templates (slugs filled, sent through a real SMTP server on loopback or recorded in the outbox,
stored as an e-mail activity on the case) and the macros/agentscripts/emailtemplates entity sets (definitions
validated on save)."""

from __future__ import annotations

import dataclasses
import email
import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from starlette.testclient import TestClient

from server.app import create_app
from server.db import schema
from server.settings import Settings
from tests.unit.server.conftest import sign_in


class Capture:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Capture, int]]:
    capture = Capture()
    # aiosmtpd's start() connects to the given port to check the server is up, so it needs a real one (not 0).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield capture, port
    finally:
        controller.stop()


def a_case(client: TestClient) -> dict:
    return client.get("/api/incidents?$top=1&$filter=customeridtype eq 'contact'").json()["value"][0]


def template_id(client: TestClient, title: str) -> str:
    rows = client.get("/api/emailtemplates", params={"$filter": f"title eq '{title}'"}).json()["value"]
    return rows[0]["templateid"]


def test_compose_fills_the_template_from_the_case(agent: TestClient) -> None:
    case = a_case(agent)
    contact = agent.get(f"/api/contacts({case['customerid']})").json()
    response = agent.post("/api/emails/compose", json={"templateid": template_id(agent, "Case received"),
                                                        "regardingobjectid": case["incidentid"]})
    assert response.status_code == 200, response.text
    composed = response.json()
    assert composed["to"] == contact["emailaddress1"]
    assert composed["subject"] == f"We received your request {case['ticketnumber']}"
    assert f"Hello {contact['fullname']}," in composed["body"] and case["title"] in composed["body"]
    assert "{" not in composed["body"] and composed["unresolved"] == []


def test_compose_lists_slugs_it_could_not_fill_and_takes_values(agent: TestClient) -> None:
    case = a_case(agent)
    tpl = template_id(agent, "More information needed")
    composed = agent.post("/api/emails/compose", json={"templateid": tpl, "regardingobjectid": case["incidentid"]})
    assert composed.json()["unresolved"] == ["details"]
    filled = agent.post("/api/emails/compose", json={"templateid": tpl, "regardingobjectid": case["incidentid"],
                                                     "values": {"details": "the serial number"}}).json()
    assert "the serial number" in filled["body"] and filled["unresolved"] == []


def test_without_smtp_the_message_goes_to_the_outbox_and_onto_the_case(agent: TestClient) -> None:
    case = a_case(agent)
    sent = agent.post("/api/emails/send", json={"regardingobjectid": case["incidentid"], "to": "maria@example.com",
                                                "subject": "About your case", "body": "Hello Maria"})
    assert sent.status_code == 201, sent.text
    activity = sent.json()["email"]
    assert sent.json()["transport"] == "outbox" and activity["statuscode"] == 6
    assert activity["regardingobjectid"] == case["incidentid"] and activity["torecipients"] == "maria@example.com"
    timeline = agent.get(f"/api/incidents({case['incidentid']})/timeline").json()["value"]
    assert activity["activityid"] in {item.get("activityid") or item.get("id") for item in timeline}
    with agent.app.state.database.engine.connect() as conn:
        stored = conn.execute(select(schema.emailoutbox.c.message, schema.emailoutbox.c.transport)).all()
    assert len(stored) == 1 and stored[0].transport == "outbox"
    assert email.message_from_string(stored[0].message)["Subject"] == "About your case"


def test_with_smtp_the_message_is_delivered_to_the_server(settings: Settings, smtp) -> None:
    capture, port = smtp
    configured = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")
    with TestClient(create_app(configured)) as client:
        sign_in(client, "agent1")
        case = a_case(client)
        sent = client.post("/api/emails/send", json={
            "regardingobjectid": case["incidentid"], "to": "Maria Garcia <maria@example.com>, ops@example.com",
            "subject": "Your case is resolved", "body": "Hello Maria,\n\nAll fixed.\n"})
        assert sent.status_code == 201, sent.text
        assert sent.json()["transport"] == "smtp" and sent.json()["email"]["statuscode"] == 3
    assert len(capture.messages) == 1
    sender, recipients, content = capture.messages[0]
    assert sender == "support@casework.example" and recipients == ["maria@example.com", "ops@example.com"]
    message = email.message_from_bytes(content)
    assert message["Subject"] == "Your case is resolved" and "All fixed." in message.get_payload()


def test_an_unreachable_smtp_server_answers_502_and_stores_nothing(settings: Settings, smtp) -> None:
    _, port = smtp
    configured = dataclasses.replace(settings, smtp_url="smtp://127.0.0.1:1")  # nothing listens on port 1
    with TestClient(create_app(configured)) as client:
        sign_in(client, "agent1")
        case = a_case(client)
        before = client.get(f"/api/emails?$filter=regardingobjectid eq {case['incidentid']}&$count=true").json()
        response = client.post("/api/emails/send", json={"regardingobjectid": case["incidentid"],
                                                         "to": "a@example.com", "subject": "s", "body": "b"})
        assert response.status_code == 502 and response.json()["error"]["code"] == "mail_failed"
        after = client.get(f"/api/emails?$filter=regardingobjectid eq {case['incidentid']}&$count=true").json()
        assert after["@odata.count"] == before["@odata.count"]


@pytest.mark.parametrize(("body", "field"), [
    ({"to": "not an address", "subject": "s", "body": "b"}, "to"),
    ({"to": "a@example.com", "subject": "", "body": "b"}, "subject"),
    ({"to": "a@example.com", "subject": "s", "body": "b", "bcc": "x@example.com"}, "bcc"),
])
def test_bad_messages_answer_422(agent: TestClient, body: dict, field: str) -> None:
    response = agent.post("/api/emails/send", json={"regardingobjectid": a_case(agent)["incidentid"], **body})
    assert response.status_code == 422 and response.json()["error"]["details"]["field"] == field


VALID_MACRO = {"schema": 1, "steps": [{"action": "start"}, {"action": "save_record"}]}


def test_macros_are_validated_on_save(client: TestClient, login) -> None:
    login("supervisor")
    created = client.post("/api/macros", json={"name": "Just save", "definition": VALID_MACRO})
    assert created.status_code == 201, created.text
    assert created.json()["definition"] == VALID_MACRO
    bad = client.patch(f"/api/macros({created.json()['macroid']})", headers={"If-Match": created.json()["@odata.etag"]},
                       json={"definition": {"schema": 1, "steps": [{"action": "start"}, {"action": "fly"}]}})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"] == {"field": "definition", "reason": "invalid", "path": "steps[1].action"}


def test_agent_scripts_are_validated_on_save(client: TestClient, login) -> None:
    login("supervisor")
    script = {"schema": 1, "steps": [{"name": "Greet", "type": 192350000, "instruction": "Hi ${customerName}"}]}
    ok = client.post("/api/agentscripts", json={"name": "Greeting", "uniquename": "greeting_x", "definition": script})
    assert ok.status_code == 201, ok.text
    bad = client.post("/api/agentscripts", json={"name": "Bad", "uniquename": "bad_x", "definition": {
        "schema": 1, "steps": [{"name": "Run", "type": 192350001}]}})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["path"] == "steps[0].macro"


def test_agents_read_macros_but_only_managers_write_them(agent: TestClient) -> None:
    assert agent.get("/api/macros").status_code == 200
    assert agent.post("/api/macros", json={"name": "x", "definition": VALID_MACRO}).status_code == 403
