"""Issue 13: one test (or a few) per finding of the security review, in process on a fresh seeded database.

Each of these failed on the code the review looked at. What only the real uvicorn shows (proxy headers, header
size, concurrency, argon2 memory) is in ``test_security_live.py``; the page's side in ``browser/``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import stat
import sys
import uuid

import pytest
from sqlalchemy import func, insert, select, update
from starlette.testclient import TestClient

from server import auth
from server.app import create_app
from server.auth import CSRF_HEADER, LoginLimiter, PasswordGate
from server.db import budget, schema
from server.db.search import SNIPPET_SCAN_WORDS, STOP, snippet_of
from server.security import CONTENT_SECURITY_POLICY
from tests.support.aio import run
from tests.unit.server.conftest import BOTH_DATABASES, sign_in

LOGIN = "/api/auth/login"
GOOD = {"username": "agent1", "password": "casework"}


def _sessions(client: TestClient) -> list:
    with client.app.state.database.engine.connect() as conn:
        return conn.execute(select(schema.sessions)).all()


def _user_id(client: TestClient, username: str) -> str:
    with client.app.state.database.engine.connect() as conn:
        return conn.execute(select(schema.systemusers.c.systemuserid).where(
            schema.systemusers.c.domainname == username)).scalar_one()


def new_case(client: TestClient, title: str, **fields) -> dict:
    customer = client.get("/api/accounts?$top=1").json()["value"][0]
    response = client.post("/api/incidents", json={"title": title, "customerid": customer["accountid"],
                                                   "customeridtype": "account", **fields})
    assert response.status_code == 201, response.text
    return response.json()


# -- 1. search snippets: linear, bounded, inside the budget ------------------------------------------------------

def _traced_steps(call) -> int:
    """Interpreter steps (line and call events of Python code) that ``call()`` takes: work, not time."""
    steps = 0

    def trace(_frame, _event, _arg):
        nonlocal steps
        steps += 1
        return trace

    sys.settrace(trace)
    try:
        call()
    finally:
        sys.settrace(None)
    return steps


def test_1_snippet_work_grows_linearly_with_a_repeated_word() -> None:
    # Quadratic work (every match counted again for every match) makes 4x the words cost 16x (measured: 13.5x);
    # linear work 4x at most (less once the scan bound is reached).
    def work(words: int) -> int:
        return _traced_steps(lambda: snippet_of(["thermostat " * words], ["thermostat"]))

    small, large = work(200), work(800)
    assert large < 6 * small, (small, large)


def test_1_a_snippet_marks_at_most_its_window_and_scans_a_bounded_prefix() -> None:
    text = "filler " * (SNIPPET_SCAN_WORDS + 50) + "thermostat"
    assert [s for s in snippet_of([text], ["thermostat"]) if s["match"]] == []  # beyond the scanned words
    marks = [s for s in snippet_of(["thermostat " * 5000], ["thermostat"]) if s["match"]]
    assert len(marks) == 16
    assert snippet_of(["thermostat " * 5000], ["thermostat"])[-1]["text"].endswith("…")


def test_1_snippet_building_counts_against_the_query_budget(agent: TestClient, monkeypatch) -> None:
    new_case(agent, "Thermostat loop", description="thermostat " * 1500)
    monkeypatch.setattr(budget, "SQLITE_CHECK_EVERY", 10**9)  # the queries themselves are never stopped here
    agent.app.state.database.query_budget = 1e-9
    response = agent.get("/api/search", params={"q": "thermostat", "top": 50})
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "query_timeout"


# -- 3/4/5. sign-in limits (the real-server races are in test_security_live.py) ----------------------------------

def test_3_a_per_username_limit_holds_whatever_the_client_claims_to_be(clock) -> None:
    limiter = LoginLimiter(clock=clock)
    answers = [limiter.reserve("agent1", f"10.0.0.{n}")[0] for n in range(limiter.user_limit + 1)]
    assert answers[:-1] == [0] * limiter.user_limit and answers[-1] > 0


def test_4_an_attempt_is_counted_when_it_is_allowed_not_after_the_password_check(clock) -> None:
    limiter = LoginLimiter(clock=clock)
    # Five checks in flight (none finished): a sixth is refused at once.
    assert [limiter.reserve("agent1", "c")[0] for _ in range(5)] == [0] * 5
    assert limiter.reserve("agent1", "c")[0] > 0


def test_4_a_success_gives_its_reservation_back(client: TestClient, clock) -> None:
    for _ in range(4):
        assert client.post(LOGIN, json={**GOOD, "password": "nope"}).status_code == 401
    assert client.post(LOGIN, json=GOOD).status_code == 200
    assert client.post(LOGIN, json={**GOOD, "password": "nope"}).status_code == 401  # the desk's count restarted


def test_5_a_per_client_limit_ignores_the_username(client: TestClient) -> None:
    limiter: LoginLimiter = client.app.state.login_limiter
    statuses = [client.post(LOGIN, json={"username": f"ghost{n}", "password": "x"}).status_code
                for n in range(limiter.client_limit + 1)]
    assert statuses[:-1] == [401] * limiter.client_limit
    assert statuses[-1] == 429


def test_5_password_checks_beyond_the_slots_wait_or_are_refused() -> None:
    import asyncio

    async def scenario() -> tuple[list[bool], int]:
        gate = PasswordGate(slots=2, queue=3, wait=0.05)
        entered = await asyncio.gather(*(gate.enter() for _ in range(8)))
        peak = gate.peak
        for _ in range(sum(entered)):
            gate.leave()
        return entered, peak

    entered, peak = run(scenario())
    assert peak == 2 and sum(entered) == 2  # 2 ran; 3 waited past their wait; 3 were refused at once


def test_5_a_saturated_sign_in_answers_503_with_retry_after(settings) -> None:
    with TestClient(create_app(dataclasses.replace(settings, password_checks=1))) as client:
        gate: PasswordGate = client.app.state.password_gate
        gate.wait = 0.01
        gate.queue = 0

        async def hold() -> None:
            await gate.enter()

        # Take the only slot from the app's own event loop, then sign in.
        client.portal.call(hold)
        response = client.post(LOGIN, json=GOOD)
        client.portal.call(gate.leave)
        assert response.status_code == 503 and response.headers["retry-after"]
        assert response.json()["error"]["code"] == "busy"
        assert client.post(LOGIN, json=GOOD).status_code == 200  # the refused attempt was not counted


# -- 6. login CSRF -------------------------------------------------------------------------------------------------

def test_6_a_body_without_a_json_content_type_is_refused(client: TestClient) -> None:
    response = client.post(LOGIN, content=json.dumps(GOOD))  # what fetch(..., {mode: "no-cors"}) can send
    assert response.status_code == 415
    assert "casework_session" not in client.cookies
    sign_in(client, "agent1")
    assert client.put("/api/me/settings/x", content="1").status_code == 415


@pytest.mark.parametrize("headers", [
    {"Origin": "http://testserver:8001"}, {"Origin": "null"}, {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
])
def test_6_a_sign_in_from_another_origin_is_refused(client: TestClient, headers: dict) -> None:
    response = client.post(LOGIN, json=GOOD, headers=headers)
    assert response.status_code == 403 and response.json()["error"]["code"] == "cross_origin"


def test_6_a_sign_in_from_our_own_page_is_accepted(client: TestClient) -> None:
    headers = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert client.post(LOGIN, json=GOOD, headers=headers).status_code == 200


# -- 7. queue membership -------------------------------------------------------------------------------------------

def _queue_of(client: TestClient, username: str) -> str:
    with client.app.state.database.engine.connect() as conn:
        return conn.execute(select(schema.queuemembers.c.queueid).where(
            schema.queuemembers.c.systemuserid == _user_id(client, username))).scalars().first()


def _item_in(client: TestClient, queue_id: str, owner: str | None = None) -> dict:
    sign_in(client, "supervisor")
    case = new_case(client, f"Queue case {uuid.uuid4().hex[:6]}")
    if owner is not None:
        case = client.post(f"/api/incidents({case['incidentid']})/assign", json={"ownerid": owner},
                           headers={"If-Match": case["@odata.etag"]}).json()
    item = client.post("/api/queueitems", json={"queueid": queue_id, "objectid": case["incidentid"],
                                                "objecttypecode": "incident", "title": case["title"]}).json()
    client.patch(f"/api/queueitems({item['queueitemid']})", json={"workerid": None},
                 headers={"If-Match": item["@odata.etag"]})
    return client.get(f"/api/queueitems({item['queueitemid']})").json()


@BOTH_DATABASES
def test_7_an_agent_picks_only_from_their_own_queues(client: TestClient) -> None:
    other_queue = _queue_of(client, "agent2")
    assert other_queue != _queue_of(client, "agent1")
    item = _item_in(client, other_queue)
    sign_in(client, "agent1")
    response = client.post(f"/api/queueitems({item['queueitemid']})/pick", headers={"If-Match": item["@odata.etag"]})
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_queue_member"
    sign_in(client, "agent2")
    response = client.post(f"/api/queueitems({item['queueitemid']})/pick", headers={"If-Match": item["@odata.etag"]})
    assert response.status_code == 200


def test_7_picking_never_takes_a_case_another_agent_owns(client: TestClient) -> None:
    item = _item_in(client, _queue_of(client, "agent1"), owner=_user_id(client, "agent4"))
    sign_in(client, "agent1")
    response = client.post(f"/api/queueitems({item['queueitemid']})/pick", headers={"If-Match": item["@odata.etag"]})
    assert response.status_code == 409 and response.json()["error"]["code"] == "case_owned"
    sign_in(client, "supervisor")
    assert client.get(f"/api/incidents({item['objectid']})").json()["ownerid"] == _user_id(client, "agent4")


def test_7_available_items_are_those_of_the_agents_queues(client: TestClient) -> None:
    mine = _queue_of(client, "agent1")
    sign_in(client, "agent1")
    listed = client.get("/api/queueitems", params={"$filter": "workerid eq null", "$top": 500,
                                                   "$count": "true"}).json()
    assert listed["value"] and {item["queueid"] for item in listed["value"]} == {mine}
    sign_in(client, "supervisor")
    everything = client.get("/api/queueitems", params={"$filter": "workerid eq null", "$count": "true"}).json()
    assert everything["@odata.count"] > listed["@odata.count"]


# -- 8. settings caps ----------------------------------------------------------------------------------------------

def test_8_a_user_keeps_a_bounded_number_of_settings(agent: TestClient) -> None:
    from server.api.auth import MAX_SETTINGS, MAX_SETTINGS_BYTES

    existing = len(agent.get("/api/me").json()["settings"])
    for n in range(MAX_SETTINGS - existing):
        assert agent.put(f"/api/me/settings/k{n}", json=n).status_code == 204
    response = agent.put("/api/me/settings/onemore", json=1)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_many_settings"
    assert agent.put("/api/me/settings/k0", json="replaced").status_code == 204  # replacing is fine
    for n in range(8):
        agent.delete(f"/api/me/settings/k{n}")
    big = "x" * 8000
    statuses = [agent.put(f"/api/me/settings/big{n}", json=big).status_code for n in range(9)]
    assert statuses[-1] == 413 and sum(s == 204 for s in statuses) <= MAX_SETTINGS_BYTES // 8000
    assert len(agent.get("/api/me").content) < MAX_SETTINGS_BYTES + 8192


# -- 9. non-finite numbers; no orphan sessions ---------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", '{"a": [NaN]}'])
def test_9_non_finite_numbers_are_not_json(agent: TestClient, raw: str) -> None:
    response = agent.put("/api/me/settings/x", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"
    assert agent.get("/api/me").status_code == 200


def test_9_an_admin_cannot_store_a_profile_that_locks_its_users_out(client: TestClient) -> None:
    sign_in(client, "admin")
    profile = client.get("/api/profiles?$top=1").json()["value"][0]
    raw = '{"settings": {"maxTabs": NaN}}'
    response = client.patch(f"/api/profiles({profile['profileid']})", content=raw,
                            headers={"Content-Type": "application/json", "If-Match": profile["@odata.etag"]})
    assert response.status_code == 400


def test_9_a_sign_in_that_cannot_be_answered_leaves_no_session(settings) -> None:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with client.app.state.database.engine.begin() as conn:  # a value stored before the fix
            conn.execute(insert(schema.usersettings).values(systemuserid=_user_id(client, "agent1"), key="bad",
                                                            value="NaN"))
        before = len(_sessions(client))
        assert client.post(LOGIN, json=GOOD).status_code == 500
        assert len(_sessions(client)) == before


# -- 11. odd input -------------------------------------------------------------------------------------------------

def test_11_a_nul_in_a_static_path_is_not_found(client: TestClient) -> None:
    assert client.get("/%00").status_code == 404
    assert client.get("/js/%00.js").status_code == 404


def test_11_superscript_digits_are_not_a_top(agent: TestClient) -> None:
    response = agent.get("/api/search", params={"q": "printer", "top": "²"})
    assert response.status_code == 400 and response.json()["error"]["details"]["field"] == "top"


@BOTH_DATABASES
def test_11_nul_characters_are_refused_in_bodies_and_filters(agent: TestClient) -> None:
    response = agent.post("/api/incidents", json={"title": "a\u0000b"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"
    response = agent.get("/api/incidents", params={"$filter": "title eq 'a\u0000b'"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_query"
    response = agent.post(LOGIN, json={"username": "agent1\u0000", "password": "casework"})
    assert response.status_code == 400


@BOTH_DATABASES
@pytest.mark.parametrize("value", [2**31, -(2**31) - 1])
def test_11_integers_outside_32_bits_are_refused(client: TestClient, value: int) -> None:
    sign_in(client, "supervisor")  # templates: languagecode is an integer field without choices
    body = {"title": "Big number", "subject": "s", "body": "b"}
    assert client.post("/api/templates", json={**body, "languagecode": 2**31 - 1}).status_code == 201
    response = client.post("/api/templates", json={**body, "languagecode": value})
    assert response.status_code == 422 and response.json()["error"]["details"]["field"] == "languagecode"


# -- 12. session lifecycle -----------------------------------------------------------------------------------------

def _session_row(client: TestClient):
    token_hash = auth.token_hash(client.cookies["casework_session"])
    with client.app.state.database.engine.connect() as conn:
        return conn.execute(select(schema.sessions).where(schema.sessions.c.tokenhash == token_hash)).one()


def _set_session(client: TestClient, **values) -> None:
    token_hash = auth.token_hash(client.cookies["casework_session"])
    with client.app.state.database.engine.begin() as conn:
        conn.execute(update(schema.sessions).where(schema.sessions.c.tokenhash == token_hash).values(**values))


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@BOTH_DATABASES
def test_12_disabling_a_user_ends_their_sessions_for_good(client: TestClient, settings) -> None:
    sign_in(client, "agent1")
    agent_cookie = client.cookies["casework_session"]
    with TestClient(client.app) as admin:
        sign_in(admin, "admin")
        user = admin.get(f"/api/systemusers({_user_id(client, 'agent1')})").json()
        user = admin.patch(f"/api/systemusers({user['systemuserid']})", json={"isdisabled": True},
                           headers={"If-Match": user["@odata.etag"]}).json()
        admin.patch(f"/api/systemusers({user['systemuserid']})", json={"isdisabled": False},
                    headers={"If-Match": user["@odata.etag"]})
    client.cookies.set("casework_session", agent_cookie)
    assert client.get("/api/me").status_code == 401


def test_12_a_session_expires_after_an_hour_without_requests_and_slides_with_them(client: TestClient) -> None:
    sign_in(client, "agent1")
    now = dt.datetime.now(dt.UTC)
    row = _session_row(client)
    assert _utc(row.expireson) <= now + auth.IDLE_TIMEOUT + dt.timedelta(minutes=1)
    _set_session(client, expireson=now + dt.timedelta(minutes=10))  # 50 minutes idle
    assert client.get("/api/me").status_code == 200
    assert _utc(_session_row(client).expireson) >= now + auth.IDLE_TIMEOUT - dt.timedelta(minutes=1)  # slid
    _set_session(client, createdon=now - dt.timedelta(hours=11, minutes=50), expireson=now + dt.timedelta(minutes=5))
    assert client.get("/api/me").status_code == 200
    # never past 12 hours from the sign-in
    assert _utc(_session_row(client).expireson) <= now + dt.timedelta(minutes=11)
    _set_session(client, expireson=now - dt.timedelta(seconds=1))
    assert client.get("/api/me").status_code == 401


def test_12_a_user_has_at_most_ten_sessions_the_oldest_ends(client: TestClient) -> None:
    sign_in(client, "agent1")
    first = client.cookies["casework_session"]
    for _ in range(auth.MAX_SESSIONS_PER_USER):
        client.cookies.clear()
        sign_in(client, "agent1")
    user_id = _user_id(client, "agent1")
    assert sum(row.systemuserid == user_id for row in _sessions(client)) == auth.MAX_SESSIONS_PER_USER
    client.cookies.clear()
    client.cookies.set("casework_session", first)
    assert client.get("/api/me").status_code == 401


def test_12_expired_sessions_are_purged_without_anyone_signing_in(client: TestClient) -> None:
    sign_in(client, "agent1")
    now = dt.datetime.now(dt.UTC)
    with client.app.state.database.engine.begin() as conn:
        conn.execute(insert(schema.sessions).values(
            tokenhash="0" * 64, systemuserid=_user_id(client, "agent2"), csrftoken="x",
            createdon=now - dt.timedelta(days=2), expireson=now - dt.timedelta(days=1)))
    _set_session(client, expireson=now + dt.timedelta(minutes=30))  # due to slide
    assert client.get("/api/me").status_code == 200
    assert "0" * 64 not in {row.tokenhash for row in _sessions(client)}


# -- 13. cookies and transport in production -----------------------------------------------------------------------

def test_13_production_cookies_are_host_prefixed_and_secure_and_hsts_is_sent(settings) -> None:
    from argon2 import PasswordHasher

    with TestClient(create_app(settings)):  # migrate the copy, then give everyone a non-demo password
        pass
    from server.db import open_database

    database = open_database(settings.effective_database_url)
    with database.engine.begin() as conn:
        conn.execute(update(schema.systemusers).values(
            passwordhash=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("s3cret-pass")))
        conn.execute(update(schema.channelaccounts).values(isdisabled=True))  # no demo channel secret in use either
    database.close()
    production = dataclasses.replace(settings, production=True, seed=False)
    with TestClient(create_app(production)) as client:  # plain http: Secure regardless
        response = client.post(LOGIN, json={"username": "agent1", "password": "s3cret-pass"})
        assert response.status_code == 200
        cookies = {c.split("=")[0]: c.lower() for c in response.headers.get_list("set-cookie")}
        assert set(cookies) == {"__Host-casework_session", "__Host-casework_csrf"}
        assert all("secure" in c and "path=/" in c and "domain" not in c for c in cookies.values())
        assert response.headers["strict-transport-security"].startswith("max-age=")
        session = response.headers.get_list("set-cookie")[0].split(";")[0].split("=", 1)[1]
        me = client.get("/api/me", headers={"Cookie": f"__Host-casework_session={session}"})
        assert me.status_code == 200


# -- 14. timeline --------------------------------------------------------------------------------------------------

def test_14_the_timeline_runs_under_the_query_budget(agent: TestClient, monkeypatch) -> None:
    case = agent.get("/api/incidents?$top=1").json()["value"][0]
    monkeypatch.setattr(budget, "SQLITE_CHECK_EVERY", 1)
    agent.app.state.database.query_budget = 1e-9
    response = agent.get(f"/api/incidents({case['incidentid']})/timeline")
    assert response.status_code == 503 and response.json()["error"]["code"] == "query_timeout"


def test_14_the_timeline_pages_a_bounded_window(agent: TestClient) -> None:
    case = new_case(agent, "Many notes")
    for n in range(6):
        assert agent.post("/api/annotations", json={"notetext": f"note {n}", "objectid": case["incidentid"],
                                                    "objecttypecode": "incident"}).status_code == 201
        agent.post("/api/tasks", json={"subject": f"task {n}", "regardingobjectid": case["incidentid"],
                                       "regardingobjecttypecode": "incident"})
    url = f"/api/incidents({case['incidentid']})/timeline"
    whole = [e["id"] for e in agent.get(url, params={"$top": 50}).json()["value"]]
    assert len(whole) == 12
    paged = []
    for skip in range(0, 12, 5):
        paged += [e["id"] for e in agent.get(url, params={"$top": 5, "$skip": skip}).json()["value"]]
    assert paged == whole  # each branch cut to top + skip still gives the same pages
    assert agent.get(url, params={"$skip": 10_001}).status_code == 400


# -- 15. hardening -------------------------------------------------------------------------------------------------

def test_15_health_tells_anonymous_callers_the_status_only(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}


def test_15_the_data_folder_and_database_are_private(client: TestClient, settings) -> None:
    assert stat.S_IMODE(os.stat(settings.data_dir).st_mode) == 0o700
    for name in ("casework.sqlite3", "casework.sqlite3-wal"):
        path = settings.data_dir / name
        if path.exists():
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name


def test_15_the_limiter_forgets_attempts_that_aged_out(clock) -> None:
    limiter = LoginLimiter(clock=clock)
    for n in range(500):
        limiter.reserve(f"user{n}", f"10.0.{n // 250}.{n % 250}")
    clock.now += limiter.window + 1
    limiter.retry_after("someone", "10.9.9.9")
    assert limiter.tracked() == 0


def test_15_inline_style_elements_are_not_allowed() -> None:
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["style-src"] == "'self'" and directives["style-src-attr"] == "'unsafe-inline'"


def test_15_search_markers_never_come_from_stored_text(agent: TestClient) -> None:
    created = new_case(agent, f"Fake \x02mark{STOP} case")
    assert created["title"] == "Fake mark case"
    hits = agent.get("/api/search", params={"q": "fake mark"}).json()["value"]
    assert all("\x02" not in s["text"] and "\x03" not in s["text"] for h in hits for s in h["snippet"])


@BOTH_DATABASES
def test_15_time_zone_offsets_are_converted_not_dropped(agent: TestClient) -> None:
    task = agent.post("/api/tasks", json={"subject": "Call back", "scheduledend": "2030-01-01T10:00:00+02:00"}).json()
    assert task["scheduledend"] == "2030-01-01T08:00:00Z"
    found = agent.get("/api/tasks", params={"$filter": f"activityid eq {task['activityid']} and "
                                                       "scheduledend eq 2030-01-01T09:00:00+01:00"}).json()
    assert [t["activityid"] for t in found["value"]] == [task["activityid"]]


def test_a_csrf_header_is_still_needed_after_these_changes(agent: TestClient) -> None:
    del agent.headers[CSRF_HEADER]
    assert agent.put("/api/me/settings/x", json=1).status_code == 403
    with agent.app.state.database.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.usersettings).where(
            schema.usersettings.c.key == "x")).scalar_one() == 0
