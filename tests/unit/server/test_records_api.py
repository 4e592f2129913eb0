"""The records API: lists with query options, get/create/update/delete with ETags, case actions, the timeline."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.unit.server.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES


def first(client: TestClient, entity_set: str, query: str = "") -> dict:
    response = client.get(f"/api/{entity_set}?$top=1{query}")
    assert response.status_code == 200, response.text
    return response.json()["value"][0]


def my_active_case(client: TestClient, me: dict) -> dict:
    return first(client, "incidents", f"&$filter=ownerid eq {me['user']['systemuserid']} and statecode eq 0")


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_list_filters_orders_selects_and_counts(agent: TestClient) -> None:
    response = agent.get("/api/incidents", params={
        "$filter": "prioritycode eq 1 and (statecode eq 0 or statecode eq 1) and contains(title, 'printer')",
        "$orderby": "createdon desc", "$select": "title,prioritycode,createdon", "$top": "5", "$count": "true",
    })
    assert response.status_code == 200
    body = response.json()
    assert 0 < len(body["value"]) <= 5
    assert body["@odata.count"] >= len(body["value"])
    for record in body["value"]:
        assert set(record) == {"@odata.etag", "incidentid", "title", "prioritycode", "createdon"}
        assert record["prioritycode"] == 1 and "printer" in record["title"].lower()
    dates = [r["createdon"] for r in body["value"]]
    assert dates == sorted(dates, reverse=True)


def test_lookup_names_filter_and_sort_by_the_customer_s_and_owner_s_name(agent: TestClient) -> None:
    accounts = {a["accountid"]: a["name"] for a in agent.get("/api/accounts?$top=500").json()["value"]}
    contacts = {c["contactid"]: c["fullname"] for c in agent.get("/api/contacts?$top=500").json()["value"]}
    users = {u["systemuserid"]: u["fullname"] for u in agent.get("/api/systemusers?$top=500").json()["value"]}
    names = {**accounts, **contacts}
    response = agent.get("/api/incidents", params={"$filter": "contains(customeridname,'A') and statecode eq 0",
                                                   "$orderby": "customeridname desc", "$top": "100"})
    assert response.status_code == 200, response.text
    shown = [names[r["customerid"]] for r in response.json()["value"]]
    assert shown and all("a" in name.lower() for name in shown)
    assert [n.lower() for n in shown] == sorted((n.lower() for n in shown), reverse=True)  # collations differ
    owned = agent.get("/api/incidents", params={"$filter": "owneridname ne null", "$orderby": "owneridname asc",
                                                "$top": "100"}).json()["value"]
    owners = [users[r["ownerid"]] for r in owned]
    assert owners == sorted(owners, key=str.lower) or owners == sorted(owners)
    account_id, name = next(iter(accounts.items()))
    quoted = "'" + name.replace("'", "''") + "'"
    exact = agent.get("/api/incidents", params={"$filter": f"customeridname eq {quoted}"}).json()["value"]
    assert exact and {r["customerid"] for r in exact} == {account_id}
    refused = agent.get("/api/incidents", params={"$select": "customeridname"})
    assert refused.status_code == 400 and error_of(refused)["code"] == "invalid_query"


def test_paging_follows_next_links_without_overlap(agent: TestClient) -> None:
    seen: list[str] = []
    url = "/api/accounts?$top=25&$select=name"
    while url:
        body = agent.get(url).json()
        seen.extend(r["accountid"] for r in body["value"])
        url = body.get("@odata.nextLink")
    assert len(seen) == len(set(seen)) == agent.get("/api/accounts?$count=true&$top=0").json()["@odata.count"]


def test_datetime_filters_and_entity_set_views(agent: TestClient) -> None:
    late = agent.get("/api/incidents?$filter=createdon ge 2026-06-01T00:00:00Z&$orderby=createdon&$top=3").json()
    assert all(r["createdon"] >= "2026-06-01" for r in late["value"]) and late["value"]
    for entity_set, code in [("tasks", "task"), ("emails", "email"), ("phonecalls", "phonecall"),
                             ("appointments", "appointment")]:
        assert first(agent, entity_set)["activitytypecode"] == code


@pytest.mark.parametrize(
    ("query", "field"),
    [("$filter=passwordhash eq 'x'", "passwordhash"), ("$select=title,nosuch", "nosuch"),
     ("$orderby=nosuch desc", "nosuch"), ("$filter=prioritycode eq 'high'", "prioritycode")],
)
def test_bad_queries_answer_invalid_query_naming_the_field(agent: TestClient, query: str, field: str) -> None:
    response = agent.get(f"/api/incidents?{query}")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_query" and error["details"]["field"] == field


@pytest.mark.parametrize("query", ["$top=501", "$top=-1", "$skip=x", "$count=maybe", "$expand=x",
                                   "$filter=title eq 'x' or 1 eq 1; --", "$filter=" + "x" * 3000])
def test_malformed_options_answer_400(agent: TestClient, query: str) -> None:
    response = agent.get(f"/api/incidents?{query}")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_query"


def test_sql_looking_text_is_only_ever_a_value(agent: TestClient) -> None:
    response = agent.get("/api/accounts", params={"$filter": "name eq 'x'' OR ''1''=''1'"})
    assert response.status_code == 200 and response.json()["value"] == []
    assert agent.get("/api/accounts?$top=1").status_code == 200


def test_systemusers_never_expose_password_hashes(agent: TestClient) -> None:
    users = agent.get("/api/systemusers?$top=50").json()["value"]
    assert len(users) == 12 and all("passwordhash" not in u for u in users)


def test_get_by_id_answers_the_record_with_its_etag(agent: TestClient) -> None:
    listed = first(agent, "incidents")
    response = agent.get(f"/api/incidents({listed['incidentid']})")
    assert response.status_code == 200
    assert response.json() == listed
    assert response.headers["etag"] == listed["@odata.etag"] == f'W/"{listed["versionnumber"]}"'
    again = agent.get(f"/api/incidents({listed['incidentid']})", headers={"If-None-Match": listed["@odata.etag"]})
    assert again.status_code == 304


def test_unknown_and_malformed_ids(agent: TestClient) -> None:
    missing = agent.get("/api/incidents(00000000-0000-4000-8000-000000000000)")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    bad = agent.get("/api/incidents(not-a-guid)")
    assert bad.status_code == 400 and error_of(bad)["details"]["field"] == "id"


def test_create_case_answers_201_with_location_etag_and_generated_fields(agent: TestClient) -> None:
    customer = first(agent, "accounts")
    response = agent.post("/api/incidents", json={
        "title": "Scanner jams", "customerid": customer["accountid"], "customeridtype": "account",
        "prioritycode": 1})
    assert response.status_code == 201, response.text
    case = response.json()
    assert response.headers["location"] == f"/api/incidents({case['incidentid']})"
    assert response.headers["etag"] == 'W/"1"' == case["@odata.etag"]
    assert case["ticketnumber"].startswith("CAS-") and case["statecode"] == 0 and case["statuscode"] == 1
    assert case["caseorigincode"] == "web"
    assert agent.get(response.headers["location"]).json() == case


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"title": 5}, "title", "type"),
        ({"prioritycode": "high"}, "prioritycode", "type"),
        ({"prioritycode": True}, "prioritycode", "type"),
        ({"prioritycode": 9}, "prioritycode", "choice"),
        ({"nosuch": 1}, "nosuch", "unknown"),
        ({"ticketnumber": "CAS-1"}, "ticketnumber", "read_only"),
        ({"versionnumber": 7}, "versionnumber", "read_only"),
        ({"title": "x" * 301}, "title", "too_long"),
        ({"customerid": "'; DROP TABLE incidents; --"}, "customerid", "format"),
        ({"title": None}, "title", "null"),
    ],
)
def test_invalid_create_bodies_name_the_field(agent: TestClient, body: dict, field: str, reason: str) -> None:
    customer = first(agent, "contacts")
    base = {"title": "t", "customerid": customer["contactid"], "customeridtype": "contact"}
    response = agent.post("/api/incidents", json={**base, **body})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert error["details"]["field"] == field and error["details"]["reason"] == reason


def test_missing_required_fields_and_dangling_references_are_named(agent: TestClient) -> None:
    response = agent.post("/api/incidents", json={"title": "x"})
    assert response.status_code == 422 and error_of(response)["details"]["field"] == "customerid"
    response = agent.post("/api/incidents", json={
        "title": "x", "customerid": "00000000-0000-4000-8000-000000000000", "customeridtype": "account"})
    assert response.status_code == 422 and error_of(response)["details"] == {
        "field": "customerid", "reason": "not_found", "id": "00000000-0000-4000-8000-000000000000"}


def test_malformed_json_non_objects_and_huge_bodies(agent: TestClient) -> None:
    response = agent.post("/api/incidents", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and error_of(response)["code"] == "invalid_json"
    response = agent.post("/api/incidents", json=[1, 2])
    assert response.status_code == 400 and error_of(response)["code"] == "invalid_body"
    response = agent.post("/api/incidents", json={"title": "x" * 200_000})
    assert response.status_code == 413 and error_of(response)["code"] == "payload_too_large"
    response = agent.post("/api/incidents", content=b"title=x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_patch_needs_if_match_and_bumps_the_version(agent: TestClient, login) -> None:
    me = login("agent1")
    case = my_active_case(agent, me)
    url = f"/api/incidents({case['incidentid']})"
    missing = agent.patch(url, json={"title": "New title"})
    assert missing.status_code == 428 and error_of(missing)["code"] == "precondition_required"
    response = agent.patch(url, json={"title": "New title", "statuscode": 2},
                           headers={"If-Match": case["@odata.etag"]})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["title"] == "New title" and updated["statuscode"] == 2
    assert updated["versionnumber"] == case["versionnumber"] + 1
    assert response.headers["etag"] == updated["@odata.etag"]
    assert updated["modifiedon"] > case["modifiedon"]


def test_a_stale_etag_answers_412_with_the_current_record(agent: TestClient, login) -> None:
    me = login("agent1")
    case = my_active_case(agent, me)
    url = f"/api/incidents({case['incidentid']})"
    assert agent.patch(url, json={"title": "First"}, headers={"If-Match": case["@odata.etag"]}).status_code == 200
    lost = agent.patch(url, json={"title": "Second"}, headers={"If-Match": case["@odata.etag"]})
    assert lost.status_code == 412
    details = error_of(lost)["details"]
    assert details["current"]["title"] == "First" and details["etag"] == details["current"]["@odata.etag"]
    assert agent.get(url).json()["title"] == "First"


def test_resolve_creates_a_resolution_activity_and_closes_the_case(agent: TestClient, login) -> None:
    me = login("agent1")
    case = my_active_case(agent, me)
    url = f"/api/incidents({case['incidentid']})"
    response = agent.post(f"{url}/resolve", json={"subject": "Replaced the toner"},
                          headers={"If-Match": case["@odata.etag"]})
    assert response.status_code == 200, response.text
    resolved = response.json()
    assert (resolved["statecode"], resolved["statuscode"], resolved["resolution"]) == (1, 5, "Replaced the toner")
    timeline = agent.get(f"{url}/timeline?$top=1").json()["value"]
    assert timeline[0]["type"] == "incidentresolution" and timeline[0]["subject"] == "Replaced the toner"
    again = agent.post(f"{url}/resolve", json={"subject": "x"}, headers={"If-Match": resolved["@odata.etag"]})
    assert again.status_code == 409 and error_of(again)["code"] == "case_not_active"
    edit = agent.patch(url, json={"title": "x"}, headers={"If-Match": resolved["@odata.etag"]})
    assert edit.status_code == 409


def test_resolve_requires_a_subject_and_a_valid_reason(agent: TestClient, login) -> None:
    me = login("agent1")
    case = my_active_case(agent, me)
    url = f"/api/incidents({case['incidentid']})/resolve"
    response = agent.post(url, json={}, headers={"If-Match": case["@odata.etag"]})
    assert response.status_code == 422 and error_of(response)["details"]["field"] == "subject"
    response = agent.post(url, json={"subject": "x", "statuscode": 6}, headers={"If-Match": case["@odata.etag"]})
    assert response.status_code == 422 and error_of(response)["details"]["field"] == "statuscode"
    assert agent.get(f"/api/incidents({case['incidentid']})").json()["statecode"] == 0


def test_cancel_sets_the_cancelled_state(agent: TestClient, login) -> None:
    me = login("agent1")
    case = my_active_case(agent, me)
    response = agent.post(f"/api/incidents({case['incidentid']})/cancel", headers={"If-Match": case["@odata.etag"]})
    assert response.status_code == 200
    assert (response.json()["statecode"], response.json()["statuscode"]) == (2, 6)


def test_supervisor_assigns_and_routes_cases(client: TestClient, login) -> None:
    login("supervisor")
    case = first(client, "incidents", "&$filter=statecode eq 0")
    agent2 = first(client, "systemusers", "&$filter=domainname eq 'agent2'")
    queue = first(client, "queues", "&$orderby=name desc")
    url = f"/api/incidents({case['incidentid']})"
    assigned = client.post(f"{url}/assign", json={"ownerid": agent2["systemuserid"]},
                           headers={"If-Match": case["@odata.etag"]})
    assert assigned.status_code == 200 and assigned.json()["ownerid"] == agent2["systemuserid"]
    routed = client.post(f"{url}/route", json={"queueid": queue["queueid"]},
                         headers={"If-Match": assigned.json()["@odata.etag"]})
    assert routed.status_code == 200 and routed.json()["queueid"] == queue["queueid"]
    items = client.get(f"/api/queueitems?$filter=objectid eq {case['incidentid']}").json()["value"]
    assert [(i["queueid"], i["workerid"]) for i in items] == [(queue["queueid"], agent2["systemuserid"])]


def test_timeline_is_newest_first_and_paged(agent: TestClient) -> None:
    case = first(agent, "incidents", "&$filter=statecode eq 1")
    url = f"/api/incidents({case['incidentid']})/timeline"
    everything = agent.get(f"{url}?$top=100").json()["value"]
    assert {e["type"] for e in everything} >= {"incidentresolution"}
    dates = [e["createdon"] for e in everything]
    assert dates == sorted(dates, reverse=True)
    page = agent.get(f"{url}?$top=2").json()
    assert page["value"] == everything[:2]
    assert agent.get(page["@odata.nextLink"]).json()["value"] == everything[2:4]


def test_notes_and_activities_can_be_created_on_a_case(agent: TestClient) -> None:
    case = first(agent, "incidents")
    note = agent.post("/api/annotations", json={"notetext": "Called back", "objectid": case["incidentid"],
                                                "objecttypecode": "incident"})
    assert note.status_code == 201
    task = agent.post("/api/tasks", json={"subject": "Ship part", "regardingobjectid": case["incidentid"],
                                          "regardingobjecttypecode": "incident",
                                          "scheduledend": "2026-12-01T10:00:00Z"})
    assert task.status_code == 201 and task.json()["activitytypecode"] == "task"
    assert task.json()["scheduledend"] == "2026-12-01T10:00:00Z"
    ids = [e["id"] for e in agent.get(f"/api/incidents({case['incidentid']})/timeline?$top=500").json()["value"]]
    assert note.json()["annotationid"] in ids and task.json()["activityid"] in ids


def test_delete_needs_if_match_and_a_manager_for_cases(client: TestClient, login) -> None:
    login("agent1")
    note = client.post("/api/annotations", json={"notetext": "tmp", "objectid": first(client, "incidents")[
        "incidentid"], "objecttypecode": "incident"}).json()
    url = f"/api/annotations({note['annotationid']})"
    assert client.delete(url).status_code == 428
    assert client.delete(url, headers={"If-Match": 'W/"99"'}).status_code == 412
    assert client.delete(url, headers={"If-Match": note["@odata.etag"]}).status_code == 204
    assert client.get(url).status_code == 404
    account = first(client, "accounts")
    response = client.delete(f"/api/accounts({account['accountid']})", headers={"If-Match": account["@odata.etag"]})
    assert response.status_code == 403


def test_deleting_a_referenced_account_answers_409(client: TestClient, login) -> None:
    login("admin")
    contact = first(client, "contacts")
    account = client.get(f"/api/accounts({contact['parentcustomerid']})").json()
    response = client.delete(f"/api/accounts({account['accountid']})", headers={"If-Match": account["@odata.etag"]})
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"


def test_unknown_entity_sets_and_wrong_methods(agent: TestClient) -> None:
    assert agent.get("/api/widgets").status_code == 404
    response = agent.put("/api/incidents")
    assert response.status_code == 405 and "POST" in error_of(response)["details"]["allowed"]


def test_the_app_runs_on_the_parametrized_database(agent: TestClient, backend: str) -> None:
    assert agent.get("/api/health").json()["database"]["dialect"] == backend


def test_a_repeated_list_query_answers_current_data_and_repeated_errors(agent: TestClient, login) -> None:
    """List statements are memoized on the query text: the rows and counts must still be read afresh each time, and
    a bad query must keep answering 400."""
    me = login("agent1")
    case = my_active_case(agent, me)
    query = {"$filter": f"incidentid eq {case['incidentid']}", "$select": "title", "$count": "true"}
    before = agent.get("/api/incidents", params=query).json()
    assert before["@odata.count"] == 1 and before["value"][0]["title"] == case["title"]
    changed = agent.patch(f"/api/incidents({case['incidentid']})", json={"title": "Renamed while listed"},
                          headers={"If-Match": case["@odata.etag"]})
    assert changed.status_code == 200, changed.text
    after = agent.get("/api/incidents", params=query).json()
    assert after["value"][0]["title"] == "Renamed while listed"
    assert after["value"][0]["@odata.etag"] == changed.json()["@odata.etag"]
    for _ in range(2):
        bad = agent.get("/api/incidents", params={"$filter": "nosuchfield eq 1"})
        assert bad.status_code == 400 and error_of(bad)["details"]["field"] == "nosuchfield"


def test_a_sent_email_cannot_be_edited_and_refusals_say_case_not_incident(agent: TestClient) -> None:
    me = agent.get("/api/me").json()["user"]["systemuserid"]
    created = agent.post("/api/emails", json={"subject": "Sent already", "statecode": 1, "statuscode": 2})
    assert created.status_code == 201, created.text
    email = created.json()
    refused = agent.patch(f"/api/emails({email['activityid']})", json={"subject": "Changed after sending"},
                          headers={"If-Match": email["@odata.etag"]})
    assert refused.status_code == 409 and error_of(refused)["code"] == "email_closed"
    other = first(agent, "incidents", f"&$filter=ownerid ne {me} and ownerid ne null and statecode eq 0")
    not_mine = agent.patch(f"/api/incidents({other['incidentid']})", json={"title": "Mine now"},
                           headers={"If-Match": other["@odata.etag"]})
    assert not_mine.status_code == 403
    assert error_of(not_mine)["message"] == "Only the owner, a supervisor or an admin can change this case."
    missing = agent.get("/api/incidents(00000000-0000-4000-8000-000000000000)")
    assert "case" in error_of(missing)["message"] and "incident" not in error_of(missing)["message"]
