"""A note that mentions colleagues tells each of them by push (``note.mentioned`` on their own topic), once, in the
note's transaction; the author, unknown ids and disabled users are not told, and the note is saved as typed."""

from __future__ import annotations

from sqlalchemy import update
from starlette.testclient import TestClient

from casework.mentions import mention_token
from server.conversations.events import last_event_id, read_after
from server.db import schema
from tests.unit.server.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES
NOBODY = "00000000-0000-4000-8000-000000000000"


def _user(client: TestClient, username: str) -> dict:
    found = client.get("/api/systemusers", params={"$filter": f"domainname eq '{username}'"}).json()["value"]
    return found[0]


def test_a_note_tells_the_people_it_mentions_and_only_them(agent: TestClient) -> None:
    database = agent.app.state.database
    me = agent.get("/api/me").json()["user"]
    colleague, disabled = _user(agent, "agent2"), _user(agent, "agent4")
    with database.engine.begin() as conn:
        conn.execute(update(schema.systemusers).where(schema.systemusers.c.systemuserid == disabled["systemuserid"])
                     .values(isdisabled=True))
        start = last_event_id(conn)
    case = agent.get("/api/incidents", params={"$top": "1", "$filter": f"ownerid eq {me['systemuserid']}"}
                     ).json()["value"][0]
    text = (f"{mention_token(colleague['fullname'], colleague['systemuserid'])} can you check the serial? "
            f"{mention_token('Me', me['systemuserid'])} {mention_token('Ghost', NOBODY)} "
            f"{mention_token(colleague['fullname'], colleague['systemuserid'])} "
            f"{mention_token('Off', disabled['systemuserid'])}")
    response = agent.post("/api/annotations", json={"subject": "Serial", "notetext": text,
                                                    "objectid": case["incidentid"], "objecttypecode": "incident"})
    assert response.status_code == 201, response.text
    assert response.json()["notetext"] == text  # saved as typed
    with database.engine.connect() as conn:
        told = read_after(conn, [f"user:{colleague['systemuserid']}"], start)
        others = read_after(conn, [f"user:{me['systemuserid']}", f"user:{NOBODY}",
                                   f"user:{disabled['systemuserid']}"], start)
    mentioned = [event for event in told if event["type"] == "note.mentioned"]
    assert len(mentioned) == 1, told  # twice in the text, told once
    data = mentioned[0]["data"]
    assert data["annotationid"] == response.json()["annotationid"] and data["objectid"] == case["incidentid"]
    assert data["text"].startswith(f"@{colleague['fullname']} can you check the serial?")
    assert data["regarding"]["ticketnumber"] == case["ticketnumber"] and data["byname"] == me["fullname"]
    assert [event for event in others if event["type"] == "note.mentioned"] == []


def test_a_note_without_mentions_tells_nobody(agent: TestClient) -> None:
    database = agent.app.state.database
    with database.engine.connect() as conn:
        start = last_event_id(conn)
    case = agent.get("/api/incidents", params={"$top": "1"}).json()["value"][0]
    response = agent.post("/api/annotations", json={"subject": "Plain", "notetext": "mail ann@example.com, @[x]",
                                                    "objectid": case["incidentid"], "objecttypecode": "incident"})
    assert response.status_code == 201, response.text
    with database.engine.connect() as conn:
        events = conn.execute(schema.events.select().where(schema.events.c.eventid > start)).mappings().all()
    assert [row["type"] for row in events] == ["record.changed"]
