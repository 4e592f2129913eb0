"""The static demo's backend beyond the shared contract: the overlay survives a reload, two tabs over one storage
conflict like two agents, reset forgets the writes, tables load only when needed, server-only features say so."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from casework.records import ConflictError, NotSignedInError, RecordClient, RecordError
from casework.static_records import DictSource, MemoryKeyValue, StaticTransport
from tests.support.aio import run


def _client(documents: dict, store: MemoryKeyValue, user: str = "agent3", source: DictSource | None = None
            ) -> RecordClient:
    return RecordClient(StaticTransport(source or DictSource(documents), store, user))


def _my_open_case(client: RecordClient) -> dict:
    me = run(client.me())["user"]["systemuserid"]
    return run(client.list("incidents", filter=f"statecode eq 0 and ownerid eq {me}", top=1)).records[0]


def test_writes_survive_a_reload_over_the_same_storage(documents: dict) -> None:
    store = MemoryKeyValue()
    first = _client(documents, store)
    case = _my_open_case(first)
    updated = run(first.update("incidents", case, {"title": "Kept in this browser"}))
    run(first.set_setting("closeSessionWarning", False))
    reloaded = _client(documents, store)  # a new page: nothing in memory but the storage
    assert run(reloaded.get("incidents", case["incidentid"])) == updated
    assert run(reloaded.me())["settings"]["closeSessionWarning"] is False
    assert any(key.startswith("row:incidents:") for key in store.data)


def test_two_tabs_over_one_storage_conflict_on_a_stale_etag(documents: dict) -> None:
    store = MemoryKeyValue()
    tab_a, tab_b = _client(documents, store), _client(documents, store)
    case = _my_open_case(tab_a)
    seen_by_b = run(tab_b.get("incidents", case["incidentid"]))
    theirs = run(tab_a.update("incidents", case, {"title": "Tab A was first"}))
    with pytest.raises(ConflictError) as error:
        run(tab_b.update("incidents", seen_by_b, {"title": "Tab B, on the old version"}))
    assert error.value.current == theirs
    assert run(tab_b.get("incidents", case["incidentid"]))["title"] == "Tab A was first"


def test_a_failed_write_leaves_nothing_in_storage(documents: dict) -> None:
    store = MemoryKeyValue()
    client = _client(documents, store)
    case = _my_open_case(client)
    with pytest.raises(RecordError):
        run(client.resolve_case(case, ""))  # a blank subject: 422 before anything is written
    assert store.data == {}


def test_reset_forgets_every_write(documents: dict) -> None:
    store = MemoryKeyValue()
    transport = StaticTransport(DictSource(documents), store, "agent3")
    client = RecordClient(transport)
    case = _my_open_case(client)
    run(client.update("incidents", case, {"title": "Soon forgotten"}))
    run(transport.reset())
    assert store.data == {}
    assert run(client.get("incidents", case["incidentid"])) == case


def test_tables_are_loaded_only_when_a_request_needs_them(documents: dict) -> None:
    source = DictSource(documents)
    client = _client(documents, MemoryKeyValue(), source=source)
    run(client.me())
    assert source.loaded == ["meta", "me"]
    run(client.list("accounts", top=1))
    run(client.list("accounts", top=2))
    assert source.loaded == ["meta", "me", "accounts"]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/presence"), ("POST", "/emails/compose"), ("GET", "/conversations"),
    ("GET", "/incidents(00000000-0000-0000-0000-000000000001)/suggestions"), ("GET", "/simple/tabulate/"),
])
def test_server_only_features_answer_demo_unavailable_in_the_error_shape(documents: dict, method: str,
                                                                          path: str) -> None:
    client = _client(documents, MemoryKeyValue())
    with pytest.raises(RecordError) as error:
        run(client.call_json(method, path, {} if method == "POST" else None))
    assert (error.value.status, error.value.code) == (501, "demo_unavailable")
    assert "server" in error.value.message


def test_an_unknown_demo_user_is_not_signed_in(documents: dict) -> None:
    with pytest.raises(NotSignedInError):
        run(_client(documents, MemoryKeyValue(), user="mallory").me())


def test_the_clock_and_ids_are_injected(documents: dict) -> None:
    now = dt.datetime(2026, 7, 1, 12, 30, tzinfo=dt.UTC)
    transport = StaticTransport(DictSource(documents), MemoryKeyValue(), "agent3", clock=lambda: now,
                                new_id=lambda: "0f0f0f0f-0000-4000-8000-000000000001")
    account = run(RecordClient(transport).list("accounts", top=1)).records[0]
    status, headers, body = run(transport.request("POST", "/api/incidents", {}, json.dumps(
        {"title": "Timed", "customerid": account["accountid"], "customeridtype": "account"}).encode()))
    record = json.loads(body)
    assert status == 201 and headers["etag"] == 'W/"1"'
    assert (record["incidentid"], record["createdon"]) == ("0f0f0f0f-0000-4000-8000-000000000001",
                                                           "2026-07-01T12:30:00Z")
