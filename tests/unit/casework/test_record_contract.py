"""ONE contract for the record client's two backends: HTTP to the real server app, and the static demo's
``StaticTransport`` (the server's seed exported as JSON, writes in an in-memory overlay) under CPython.

Every ``test_*`` taking ``backend`` runs once per backend with the same assertions. Both start from the same
database: the static side is exported (``server.static_demo.export_dataset``) from a copy of the file the HTTP side
serves, so :func:`test_both_backends_answer_list_queries_alike` can also compare their answers exactly.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from casework.records import ConflictError, RecordClient, RecordError, odata_literal
from casework.static_records import DictSource, MemoryKeyValue, StaticTransport
from server.seed import DEMO_PASSWORD
from tests.support.aio import run
from tests.support.live_app import live_transport


@dataclass
class Backend:
    name: str
    transport: object

    def client(self, user: str = "agent3") -> RecordClient:
        client = RecordClient(self.transport)
        if self.name == "http":
            client.transport.client.cookies.clear()
            run(client.login(user, DEMO_PASSWORD))
        else:
            self.transport.username = user
            self.transport._me = None
            run(client.me())
        return client


@pytest.fixture(params=["http", "static"])
def backend(request: pytest.FixtureRequest, seeded_template: Path, tmp_path: Path, documents: dict
            ) -> Iterator[Backend]:
    if request.param == "http":
        with live_transport(seeded_template, tmp_path) as transport:
            yield Backend("http", transport)
    else:
        yield Backend("static", StaticTransport(DictSource(documents), MemoryKeyValue(), "agent3"))


def _open_case(client: RecordClient, owner_id: str) -> dict:
    page = run(client.list("incidents", filter=f"statecode eq 0 and ownerid eq {owner_id}", top=1))
    assert page.records, "the seed gives every agent open cases"
    return page.records[0]


def _me_id(client: RecordClient) -> str:
    return run(client.me())["user"]["systemuserid"]


# -- reads

def test_list_filters_orders_pages_and_counts(backend: Backend) -> None:
    client = backend.client()
    page = run(client.list("incidents", filter="statecode eq 0 and prioritycode le 2", orderby="title asc",
                           select=["title", "prioritycode"], top=3, count=True))
    assert len(page.records) == 3 and page.count > 3
    assert [r["title"] for r in page.records] == sorted(r["title"] for r in page.records)
    assert all(set(r) == {"@odata.etag", "incidentid", "title", "prioritycode"} for r in page.records)
    assert all(r["prioritycode"] <= 2 for r in page.records)
    following = run(client.next_page(page))
    assert following is not None and len(following.records) == 3
    assert not {r["incidentid"] for r in page.records} & {r["incidentid"] for r in following.records}
    assert following.records[0]["title"] >= page.records[-1]["title"]


def test_lists_search_and_sort_by_the_customer_s_name(backend: Backend) -> None:
    """A case list's Customer column shows a name; search and sort go by that name, not by the id behind it."""
    client = backend.client()
    account = run(client.list("accounts", orderby="name asc", top=1)).records[0]
    word = account["name"].split()[0].upper()  # any case, any part of the name
    found = run(client.list("incidents", filter=f"contains(customeridname,{odata_literal(word)})", top=500,
                            count=True))
    assert found.count > 0
    names = {a["accountid"]: a["name"] for a in run(client.list("accounts", top=500)).records}
    contacts = run(client.list("contacts", top=500)).records
    names.update({c["contactid"]: c["fullname"] for c in contacts})
    assert all(word.lower() in names[r["customerid"]].lower() for r in found.records)
    exact = run(client.list("incidents", filter=f"customeridname eq {odata_literal(account['name'])}", top=500))
    assert exact.records and {r["customerid"] for r in exact.records} == {account["accountid"]}
    ordered = run(client.list("incidents", filter="statecode eq 0", orderby="customeridname asc", top=200))
    shown = [names[r["customerid"]] for r in ordered.records]
    assert shown == sorted(shown) and len(set(shown)) > 1
    with pytest.raises(RecordError) as error:  # a name is for queries; it is not a field of the record
        run(client.list("incidents", select=["customeridname"], top=1))
    assert error.value.status == 400


def test_text_functions_ignore_case(backend: Backend) -> None:
    client = backend.client()
    page = run(client.list("accounts", filter="contains(name, 'CONTOSO')", top=50))
    assert page.records and all("contoso" in r["name"].lower() for r in page.records)


def test_a_bad_query_option_is_invalid_query_naming_the_field(backend: Backend) -> None:
    client = backend.client()
    with pytest.raises(RecordError) as error:
        run(client.list("incidents", filter="nosuchfield eq 1"))
    assert (error.value.status, error.value.code, error.value.details.get("field")) == (400, "invalid_query",
                                                                                        "nosuchfield")
    with pytest.raises(RecordError) as error:
        run(client.list("incidents", filter="title eq"))
    assert error.value.code == "invalid_query"


def test_get_answers_the_record_with_its_etag_and_404_for_an_unknown_id(backend: Backend) -> None:
    client = backend.client()
    case = _open_case(client, _me_id(client))
    again = run(client.get("incidents", case["incidentid"]))
    assert again == case
    assert again["@odata.etag"].startswith('W/"')
    with pytest.raises(RecordError) as error:
        run(client.get("incidents", str(uuid.uuid4())))
    assert (error.value.status, error.value.code) == (404, "not_found")


# -- writes and ETags

def test_update_with_the_current_etag_changes_the_record_and_its_etag(backend: Backend) -> None:
    client = backend.client()
    case = _open_case(client, _me_id(client))
    updated = run(client.update("incidents", case, {"title": "Contract: printer on fire"}))
    assert updated["title"] == "Contract: printer on fire"
    assert updated["@odata.etag"] != case["@odata.etag"]
    assert run(client.get("incidents", case["incidentid"])) == updated


def test_a_stale_if_match_is_a_412_conflict_with_the_current_record(backend: Backend) -> None:
    client = backend.client()
    case = _open_case(client, _me_id(client))
    theirs = run(client.update("incidents", case, {"title": "Changed by someone else"}))
    with pytest.raises(ConflictError) as error:
        run(client.update("incidents", case, {"title": "My edit on the old version"}))
    assert error.value.status == 412 and error.value.code == "precondition_failed"
    assert error.value.current == theirs and error.value.etag == theirs["@odata.etag"]
    assert run(client.get("incidents", case["incidentid"]))["title"] == "Changed by someone else"


def test_a_write_without_if_match_is_428(backend: Backend) -> None:
    client = backend.client()
    case = _open_case(client, _me_id(client))
    with pytest.raises(RecordError) as error:
        run(client.call_json("PATCH", f"/incidents({case['incidentid']})", {"title": "x"}))
    assert (error.value.status, error.value.code) == (428, "precondition_required")


def test_create_fills_the_generated_fields_and_lists_the_new_record(backend: Backend) -> None:
    client = backend.client()
    me = _me_id(client)
    account = run(client.list("accounts", top=1)).records[0]
    title = f"Contract case {uuid.uuid4().hex[:8]}"
    case = run(client.create("incidents", {"title": title, "customerid": account["accountid"],
                                           "customeridtype": "account"}))
    assert case["ownerid"] == me and case["statecode"] == 0 and case["ticketnumber"].startswith("CAS-")
    assert case["@odata.etag"] == 'W/"1"' and case["createdon"].endswith("Z")
    found = run(client.list("incidents", filter=f"title eq {odata_literal(title)}")).records
    assert [r["incidentid"] for r in found] == [case["incidentid"]]


def test_validation_names_the_field(backend: Backend) -> None:
    client = backend.client()
    with pytest.raises(RecordError) as error:
        run(client.create("incidents", {"title": "x", "nosuch": 1}))
    assert (error.value.status, error.value.code, error.value.field) == (422, "validation_failed", "nosuch")
    with pytest.raises(RecordError) as error:
        run(client.create("accounts", {"telephone1": "123"}))
    assert (error.value.code, error.value.field) == ("validation_failed", "name")
    case = _open_case(client, _me_id(client))
    with pytest.raises(RecordError) as error:
        run(client.update("incidents", case, {"prioritycode": "high"}))
    assert (error.value.code, error.value.field) == ("validation_failed", "prioritycode")


def test_roles_are_enforced(backend: Backend) -> None:
    client = backend.client("agent3")
    case = _open_case(client, _me_id(client))
    with pytest.raises(RecordError) as error:
        run(client.delete("incidents", case))
    assert (error.value.status, error.value.code) == (403, "forbidden")


def test_an_agent_cannot_edit_another_agents_case(backend: Backend) -> None:
    other = backend.client("agent4")
    theirs = _open_case(other, _me_id(other))
    client = backend.client("agent3")
    with pytest.raises(RecordError) as error:
        run(client.update("incidents", run(client.get("incidents", theirs["incidentid"])), {"title": "mine now"}))
    assert (error.value.status, error.value.code) == (403, "not_owner")


def test_resolve_closes_the_case_adds_a_resolution_and_blocks_edits(backend: Backend) -> None:
    client = backend.client()
    case = _open_case(client, _me_id(client))
    resolved = run(client.resolve_case(case, "Fixed by the contract"))
    assert (resolved["statecode"], resolved["statuscode"]) == (1, 5)
    items = run(client.timeline("incidents", case["incidentid"], top=5)).records
    assert items[0]["type"] == "incidentresolution" and items[0]["subject"] == "Fixed by the contract"
    with pytest.raises(RecordError) as error:
        run(client.update("incidents", resolved, {"title": "too late"}))
    assert (error.value.status, error.value.code) == (409, "case_not_active")
    queued = run(client.list("queueitems", filter=f"objectid eq {case['incidentid']}")).records
    assert queued == []


def test_a_new_note_comes_first_in_the_timeline(backend: Backend) -> None:
    client = backend.client()
    case = _open_case(client, _me_id(client))
    note = run(client.create("annotations", {"subject": "Contract note", "notetext": "Called back",
                                             "objectid": case["incidentid"], "objecttypecode": "incident"}))
    first = run(client.timeline("incidents", case["incidentid"], top=1))
    assert first.records[0]["id"] == note["annotationid"] and first.records[0]["type"] == "note"
    assert first.next_link is not None


def test_search_finds_a_new_record_by_a_word_of_its_title(backend: Backend) -> None:
    client = backend.client()
    account = run(client.list("accounts", top=1)).records[0]
    word = "zq" + uuid.uuid4().hex[:8]
    case = run(client.create("incidents", {"title": f"Flux capacitor {word} broken", "customerid":
                                           account["accountid"], "customeridtype": "account"}))
    hits = run(client.search(word[:6], ["incident"], top=5))
    assert hits[0]["id"] == case["incidentid"] and hits[0]["entity"] == "incident"
    assert any(s["match"] for s in hits[0]["snippet"])
    assert hits[0]["details"]["number"] == case["ticketnumber"]
    with pytest.raises(RecordError) as error:
        run(client.search("   "))
    assert (error.value.status, error.value.code) == (400, "invalid_query")


def test_settings_are_kept_per_user(backend: Backend) -> None:
    client = backend.client()
    run(client.set_setting("contractSetting", {"on": True}))
    assert run(client.me())["settings"]["contractSetting"] == {"on": True}
    run(client.delete_setting("contractSetting"))
    assert "contractSetting" not in run(client.me())["settings"]


def test_picking_a_queue_item_makes_it_and_its_case_mine(backend: Backend) -> None:
    client = backend.client("agent3")
    me = _me_id(client)
    free = run(client.list("queueitems", filter="workerid eq null", top=50)).records
    for item in free:
        case = run(client.get("incidents", item["objectid"]))
        if case["statecode"] == 0 and case["ownerid"] in (None, me):
            break
    else:
        pytest.skip("no free queue item on an open, unowned case in agent3's queues")
    picked, case = run(client.pick_queue_item(item))
    assert picked["workerid"] == me and case["ownerid"] == me


def test_both_backends_answer_list_queries_alike(seeded_template: Path, tmp_path: Path, documents: dict) -> None:
    static = RecordClient(StaticTransport(DictSource(documents), MemoryKeyValue(), "agent3"))
    queries = [
        ("incidents", dict(filter="statecode eq 0 and prioritycode eq 1", orderby="createdon desc", top=20,
                           count=True)),
        ("incidents", dict(filter="createdon ge 2026-03-01T00:00:00Z and not (statecode eq 2)", top=15)),
        ("incidents", dict(orderby="title asc,ticketnumber desc", select=["title", "ticketnumber"], top=30,
                           skip=10)),
        ("contacts", dict(filter="startswith(fullname, 'a') or endswith(emailaddress1, '.com')", top=25)),
        ("accounts", dict(top=500)),
        ("activitypointers", dict(filter="activitytypecode eq 'phonecall'", top=10, count=True)),
        ("phonecalls", dict(top=5)),
        ("queueitems", dict(top=40, count=True)),
        ("knowledgearticles", dict(select=["title", "articlepublicnumber"], top=10)),
        ("macros", dict(orderby="name asc")),
        # The Customer, Owner and Account columns as lists search and sort them (issue 15, item 7)
        ("incidents", dict(filter="statecode eq 0 and (contains(title,'a') or contains(customeridname,'a'))",
                           orderby="customeridname asc,createdon desc", top=30, count=True)),
        ("incidents", dict(orderby="owneridname desc,createdon desc", select=["title", "ownerid"], top=25)),
        ("contacts", dict(filter="contains(parentcustomeridname,'o')", orderby="parentcustomeridname desc", top=20,
                          count=True)),
    ]
    with live_transport(seeded_template, tmp_path) as transport:
        http = RecordClient(transport)
        run(http.login("agent3", DEMO_PASSWORD))
        for entity_set, options in queries:
            ours, theirs = run(static.list(entity_set, **options)), run(http.list(entity_set, **options))
            assert (ours.records, ours.count) == (theirs.records, theirs.count), (entity_set, options)
        case = run(http.list("incidents", filter="statecode eq 1", top=1)).records[0]
        assert run(static.timeline("incidents", case["incidentid"])).records == \
            run(http.timeline("incidents", case["incidentid"])).records
