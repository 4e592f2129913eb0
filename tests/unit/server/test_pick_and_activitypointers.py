"""Picking a queue item (``POST /api/queueitems(<id>)/pick``) and the read-only cross-type ``activitypointers``."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.unit.server.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def unpicked_item(client: TestClient, skip: int = 0) -> dict:
    body = client.get(f"/api/queueitems?$filter=workerid eq null&$orderby=enteredon asc&$top=1&$skip={skip}").json()
    assert body["value"], "the seed has unpicked queue items"
    return body["value"][0]


def pick(client: TestClient, item: dict, etag: str | None = None):
    headers = {"If-Match": etag or item["@odata.etag"]}
    return client.post(f"/api/queueitems({item['queueitemid']})/pick", headers=headers)


def test_an_agent_picks_an_item_and_gets_its_case_in_one_step(client: TestClient, login) -> None:
    me = login("agent3")["user"]["systemuserid"]
    item = unpicked_item(client)
    case_before = client.get(f"/api/incidents({item['objectid']})").json()
    response = pick(client, item)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["queueitem"]["workerid"] == me and body["queueitem"]["@odata.etag"] != item["@odata.etag"]
    assert body["incident"]["incidentid"] == item["objectid"] and body["incident"]["ownerid"] == me
    assert body["incident"]["versionnumber"] == case_before["versionnumber"] + 1
    # the change is stored: it is among the agent's active cases and no longer available
    mine = client.get(f"/api/incidents?$filter=ownerid eq {me} and statecode eq 0 and "
                      f"incidentid eq {item['objectid']}").json()["value"]
    assert len(mine) == 1
    still_free = client.get(f"/api/queueitems?$filter=workerid eq null and queueitemid eq {item['queueitemid']}")
    assert still_free.json()["value"] == []


def test_picking_an_item_someone_else_picked_answers_409_and_changes_nothing(client: TestClient, login) -> None:
    login("agent1")
    item = unpicked_item(client, skip=1)
    assert pick(client, item).status_code == 200
    login("agent4")  # a member of agent1's queue
    response = pick(client, item)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "already_picked" and "someone else" in error["message"].lower()
    case = client.get(f"/api/incidents({item['objectid']})").json()
    agent1 = client.get("/api/systemusers?$filter=domainname eq 'agent1'").json()["value"][0]["systemuserid"]
    assert case["ownerid"] == agent1


def test_pick_needs_a_current_etag(client: TestClient, login) -> None:
    login("agent4")
    item = unpicked_item(client, skip=2)
    missing = client.post(f"/api/queueitems({item['queueitemid']})/pick")
    assert missing.status_code == 428
    stale = pick(client, item, etag='W/"999"')
    assert stale.status_code == 412 and error_of(stale)["details"]["current"]["queueitemid"] == item["queueitemid"]
    assert client.get(f"/api/queueitems({item['queueitemid']})").json()["workerid"] is None


def test_pick_rejects_bad_ids_unknown_items_and_bodies(client: TestClient, login) -> None:
    login("agent4")
    assert client.post("/api/queueitems(nope)/pick", headers={"If-Match": 'W/"1"'}).status_code == 400
    unknown = client.post("/api/queueitems(00000000-0000-4000-8000-000000000000)/pick", headers={"If-Match": 'W/"1"'})
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "not_found"
    item = unpicked_item(client, skip=3)
    with_body = client.post(f"/api/queueitems({item['queueitemid']})/pick", headers={"If-Match": item["@odata.etag"]},
                            json={"workerid": item["queueitemid"]})
    assert with_body.status_code == 400


def test_pick_needs_a_session_and_a_csrf_token(client: TestClient, login) -> None:
    login("agent4")
    item = unpicked_item(client, skip=4)
    token = client.headers.pop("X-CSRF-Token")
    assert pick(client, item).status_code == 403
    client.headers["X-CSRF-Token"] = token
    client.post("/api/auth/logout")
    assert pick(client, item).status_code == 401


def test_activitypointers_list_every_activity_type_but_resolutions(client: TestClient, login) -> None:
    login("agent3")
    body = client.get("/api/activitypointers?$top=500&$select=activitytypecode,subject&$count=true").json()
    types = {record["activitytypecode"] for record in body["value"]}
    assert types <= {"task", "email", "phonecall", "appointment"}
    total = 0
    for name, code in (("tasks", "task"), ("emails", "email"), ("phonecalls", "phonecall"),
                       ("appointments", "appointment")):
        count = client.get(f"/api/{name}?$top=0&$count=true").json()["@odata.count"]
        pointers = client.get(f"/api/activitypointers?$top=0&$count=true&$filter=activitytypecode eq '{code}'")
        assert pointers.json()["@odata.count"] == count > 0
        total += count
    assert body["@odata.count"] == total
    resolutions = client.get("/api/activitypointers?$top=0&$count=true&"
                             "$filter=activitytypecode eq 'incidentresolution'").json()
    assert resolutions["@odata.count"] == 0


def test_activitypointers_filter_by_owner_and_state_and_get_by_id(client: TestClient, login) -> None:
    me = login("agent3")["user"]["systemuserid"]
    task = client.post("/api/tasks", json={"subject": "Pointer check"}).json()
    mine = client.get(f"/api/activitypointers?$filter=ownerid eq {me} and statecode eq 0 and "
                      f"subject eq 'Pointer check'").json()["value"]
    assert [(r["activityid"], r["activitytypecode"]) for r in mine] == [(task["activityid"], "task")]
    one = client.get(f"/api/activitypointers({task['activityid']})")
    assert one.status_code == 200 and one.json()["subject"] == "Pointer check"


@pytest.mark.parametrize("method, url", [
    ("POST", "/api/activitypointers"),
    ("PATCH", "/api/activitypointers(00000000-0000-4000-8000-000000000000)"),
    ("DELETE", "/api/activitypointers(00000000-0000-4000-8000-000000000000)"),
])
def test_activitypointers_are_read_only(client: TestClient, login, method: str, url: str) -> None:
    login("admin")
    response = client.request(method, url, json={"subject": "x"}, headers={"If-Match": 'W/"1"'})
    assert response.status_code == 405


def test_activities_without_a_due_date_sort_after_the_dated_ones(client: TestClient, login) -> None:
    me = login("agent3")["user"]["systemuserid"]
    undated = client.post("/api/tasks", json={"subject": "Due order zqv undated"}).json()
    late = client.post("/api/tasks", json={"subject": "Due order zqv late", "scheduledend": "2031-01-02T10:00:00Z"})
    early = client.post("/api/tasks", json={"subject": "Due order zqv early", "scheduledend": "2030-01-02T10:00:00Z"})
    assert late.status_code == early.status_code == 201, late.text
    for direction, expected in (("asc", ["early", "late", "undated"]), ("desc", ["late", "early", "undated"])):
        rows = client.get(f"/api/activitypointers?$filter=ownerid eq {me} and statecode eq 0 and "
                          f"startswith(subject,'Due order zqv')&$orderby=scheduledend {direction}").json()["value"]
        assert [r["subject"].rsplit(" ", 1)[1] for r in rows] == expected, direction
    assert undated["activityid"]
