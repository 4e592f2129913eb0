"""The browser-side records client under CPython: with a fake transport (exact requests, error mapping) and with a
transport over the real server app (the conventions it encodes are the server's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from casework.records import (
    ConflictError,
    NotSignedInError,
    RecordClient,
    RecordError,
    odata_literal,
)
from tests.support.aio import run
from tests.support.live_app import live_transport


class FakeTransport:
    """Records requests and answers from a queue of ``(status, body)``."""

    def __init__(self, *answers: tuple[int, object]) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, str, dict, object]] = []

    async def request(self, method, url, headers, body):
        self.sent.append((method, url, headers, json.loads(body) if body else None))
        status, payload = self.answers.pop(0)
        raw = json.dumps(payload).encode() if payload is not None else b""
        return status, {"Content-Type": "application/json"}, raw


def test_update_sends_if_match_csrf_and_the_changes() -> None:
    transport = FakeTransport((200, {"incidentid": "c1", "@odata.etag": 'W/"3"', "title": "New"}))
    client = RecordClient(transport, csrf_token="tok")
    updated = run(client.update("incidents", {"incidentid": "c1", "@odata.etag": 'W/"2"'}, {"title": "New"}))
    assert updated["@odata.etag"] == 'W/"3"'
    method, url, headers, body = transport.sent[0]
    assert (method, url, body) == ("PATCH", "/api/incidents(c1)", {"title": "New"})
    assert headers["If-Match"] == 'W/"2"' and headers["X-CSRF-Token"] == "tok"


def test_list_encodes_query_options() -> None:
    transport = FakeTransport((200, {"value": [{"a": 1}], "@odata.count": 7, "@odata.nextLink": "/api/x?$skip=1"}))
    name_filter = "name eq " + odata_literal("O'Brien & Co")
    page = run(RecordClient(transport).list("accounts", filter=name_filter, select=["name", "telephone1"], top=1,
                                            count=True))
    assert (page.records, page.count, page.next_link) == ([{"a": 1}], 7, "/api/x?$skip=1")
    url = transport.sent[0][1]
    assert url == ("/api/accounts?%24filter=name%20eq%20%27O%27%27Brien%20%26%20Co%27"
                   "&%24select=name%2Ctelephone1&%24top=1&%24count=true")
    assert "X-CSRF-Token" not in transport.sent[0][2]  # reads send no token


def test_errors_map_to_exceptions_with_their_details() -> None:
    current = {"incidentid": "c1", "@odata.etag": 'W/"5"'}
    transport = FakeTransport(
        (412, {"error": {"code": "precondition_failed", "message": "changed", "details": {"etag": 'W/"5"',
                                                                                          "current": current}}}),
        (422, {"error": {"code": "validation_failed", "message": "bad", "details": {"field": "title"}}}),
        (401, {"error": {"code": "unauthenticated", "message": "Sign in first.", "details": None}}),
        (502, None),
    )
    client = RecordClient(transport)
    with pytest.raises(ConflictError) as conflict:
        run(client.update("incidents", {"incidentid": "c1", "@odata.etag": 'W/"4"'}, {"title": "x"}))
    assert conflict.value.current == current and conflict.value.etag == 'W/"5"'
    with pytest.raises(RecordError) as invalid:
        run(client.create("incidents", {"title": 5}))
    assert (invalid.value.status, invalid.value.code, invalid.value.field) == (422, "validation_failed", "title")
    with pytest.raises(NotSignedInError):
        run(client.me())
    with pytest.raises(RecordError) as gateway:
        run(client.get("incidents", "c1"))
    assert (gateway.value.status, gateway.value.code) == (502, "http_error")


def test_odata_literals_are_quoted_safely() -> None:
    assert odata_literal("it's") == "'it''s'"
    assert [odata_literal(v) for v in (None, True, 3)] == ["null", "true", "3"]


def test_the_client_module_is_pure() -> None:
    import ast

    import casework.records

    tree = ast.parse(Path(casework.records.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 and node.module}
    assert not imported & {"js", "pyodide", "pyscript"}


# -- against the real server -------------------------------------------------------------------------------------

@pytest.fixture
def live(seeded_template: Path, tmp_path: Path) -> Iterator[RecordClient]:
    with live_transport(seeded_template, tmp_path) as transport:
        yield RecordClient(transport)


def test_sign_in_edit_conflict_and_resolve_against_the_real_api(live: RecordClient) -> None:
    async def scenario() -> None:
        me = await live.login("agent1", "casework")
        assert me["roles"] == ["agent"] and live.csrf_token
        page = await live.list("incidents", filter=f"ownerid eq {me['user']['systemuserid']} and statecode eq 0",
                               top=2, count=True)
        assert page.count and page.next_link
        case = page.records[0]
        edited = await live.update("incidents", case, {"title": "Edited in the browser"})
        with pytest.raises(ConflictError) as stale:
            await live.update("incidents", case, {"title": "Lost update"})
        assert stale.value.current["title"] == "Edited in the browser"
        resolved = await live.resolve_case(edited, "Fixed by phone")
        assert resolved["statecode"] == 1
        timeline = await live.timeline("incidents", case["incidentid"], top=1)
        assert timeline.records[0]["subject"] == "Fixed by phone"
        hits = await live.search("printer", entities=["knowledgearticle"], top=3)
        assert hits and any(s["match"] for s in hits[0]["snippet"])
        second = await live.next_page(page)
        assert second and second.records[0]["incidentid"] not in {r["incidentid"] for r in page.records}
        await live.set_setting("closeSessionWarning", False)
        assert (await live.me())["settings"]["closeSessionWarning"] is False
        await live.delete_setting("closeSessionWarning")
        assert "closeSessionWarning" not in (await live.me())["settings"]
        await live.logout()
        with pytest.raises(NotSignedInError):
            await live.me()

    run(scenario())
