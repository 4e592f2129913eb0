"""Sign-in, sessions, CSRF, rate limiting, /api/me, and the authorisation matrix (role x endpoint x method)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from server.auth import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from tests.unit.server.conftest import BOTH_DATABASES, sign_in

ANY_ID = "00000000-0000-4000-8000-000000000000"

pytestmark = BOTH_DATABASES


def test_login_sets_an_httponly_lax_session_cookie_and_a_readable_csrf_cookie(client: TestClient) -> None:
    response = client.post("/api/auth/login", json={"username": "agent1", "password": "casework"})
    assert response.status_code == 200
    cookies = {c.split("=")[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    assert "httponly" in cookies[SESSION_COOKIE] and "samesite=lax" in cookies[SESSION_COOKIE]
    assert "secure" not in cookies[SESSION_COOKIE]  # plain http here
    assert "httponly" not in cookies[CSRF_COOKIE]
    assert response.json()["csrfToken"] == client.cookies[CSRF_COOKIE]


def test_cookies_are_secure_over_https(settings) -> None:
    from server.app import create_app

    with TestClient(create_app(settings), base_url="https://testserver") as secure_client:
        response = secure_client.post("/api/auth/login", json={"username": "agent1", "password": "casework"})
    assert all("secure" in c.lower() for c in response.headers.get_list("set-cookie"))


def test_me_reports_user_roles_profile_by_rank_and_settings(client: TestClient) -> None:
    me = sign_in(client, "agent1")
    assert me["user"]["domainname"] == "agent1" and me["roles"] == ["agent"]
    # agent1 has a user assignment (chat profile) that beats the agent role's default profile.
    assert me["profile"]["name"] == "Chat agent experience" and me["profile"]["assignedBy"] == "user"
    assert me["profile"]["settings"]["maxSessions"] == 6
    assert me["settings"] == {"closeSessionWarning": True}
    assert client.get("/api/me").json() == me


def test_role_assignment_applies_without_a_user_assignment(client: TestClient) -> None:
    me = sign_in(client, "agent5")
    assert (me["profile"]["name"], me["profile"]["assignedBy"]) == ("Default agent experience", "role")
    assert set(me["profile"]["settings"]) >= {"sessionTemplates", "tabTemplates", "channels", "productivityTools",
                                              "inboxViews", "sessionRestore", "maxSessions", "maxTabs"}
    assert sign_in(client, "supervisor")["profile"]["name"] == "Supervisor experience"


@pytest.mark.parametrize("body", [{"username": "agent1", "password": "nope"}, {"username": "ghost", "password": "x"}])
def test_wrong_credentials_answer_401_without_saying_which(client: TestClient, body: dict) -> None:
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert SESSION_COOKIE not in client.cookies


def test_login_body_is_validated(client: TestClient) -> None:
    assert client.post("/api/auth/login", json={"username": "agent1"}).json()["error"]["details"]["field"] == \
        "password"
    assert client.post("/api/auth/login", json={"username": 1, "password": "x"}).status_code == 422
    assert client.post("/api/auth/login", content=b"nope", headers={"Content-Type": "application/json"}
                       ).status_code == 400


def test_failed_sign_ins_are_rate_limited_per_user_and_client(client: TestClient, clock) -> None:
    for _ in range(5):
        assert client.post("/api/auth/login", json={"username": "agent3", "password": "bad"}).status_code == 401
    blocked = client.post("/api/auth/login", json={"username": "agent3", "password": "casework"})
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_attempts"
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    # Another user from the same client is not affected.
    assert client.post("/api/auth/login", json={"username": "agent4", "password": "casework"}).status_code == 200
    clock.now += 61
    assert client.post("/api/auth/login", json={"username": "agent3", "password": "casework"}).status_code == 200


def test_logout_ends_the_session_server_side(client: TestClient) -> None:
    sign_in(client, "agent1")
    token = client.cookies[SESSION_COOKIE]
    assert client.post("/api/auth/logout").status_code == 204
    client.cookies.set(SESSION_COOKIE, token)  # replaying the old cookie does not work
    assert client.get("/api/me").status_code == 401


def test_writes_without_the_csrf_header_are_refused(client: TestClient) -> None:
    sign_in(client, "agent1")
    del client.headers[CSRF_HEADER]
    response = client.post("/api/annotations", json={"notetext": "x", "objectid": ANY_ID, "objecttypecode": "incident"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"
    client.headers[CSRF_HEADER] = "forged"
    assert client.post("/api/auth/logout").status_code == 403
    assert client.get("/api/me").status_code == 200  # reads need no token


@pytest.mark.parametrize("path", ["/api/me", "/api/incidents", "/api/search?q=printer",
                                  f"/api/incidents({ANY_ID})", f"/api/incidents({ANY_ID})/timeline"])
def test_everything_but_health_and_login_needs_a_session(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"
    assert client.get("/api/health").status_code == 200


def test_disabled_users_cannot_sign_in(client: TestClient) -> None:
    sign_in(client, "admin")
    user = client.get("/api/systemusers?$filter=domainname eq 'agent9'").json()["value"][0]
    response = client.patch(f"/api/systemusers({user['systemuserid']})", json={"isdisabled": True},
                            headers={"If-Match": user["@odata.etag"]})
    assert response.status_code == 200
    assert client.post("/api/auth/login", json={"username": "agent9", "password": "casework"}).status_code == 401


# -- the authorisation matrix ------------------------------------------------------------------------------------

def _one(client: TestClient, entity_set: str, query: str = "") -> dict:
    return client.get(f"/api/{entity_set}?$top=1{query}").json()["value"][0]


def _ids(client: TestClient) -> dict:
    sign_in(client, "admin")
    agent1 = _one(client, "systemusers", "&$filter=domainname eq 'agent1'")["systemuserid"]
    return {
        "own_case": _one(client, "incidents", f"&$filter=ownerid eq {agent1} and statecode eq 0"),
        "other_case": _one(client, "incidents", f"&$filter=ownerid ne {agent1} and statecode eq 0"),
        "account": _one(client, "accounts"),
        "profile": _one(client, "profiles"),
        "user": _one(client, "systemusers", "&$filter=domainname eq 'agent2'"),
        "template": _one(client, "templates"),
        "article": _one(client, "knowledgearticles"),
        "queue": _one(client, "queues"),
        "agent1": agent1,
    }


# (description, method, url builder, body builder, {role: expected status})
MATRIX = [
    ("read cases", "GET", lambda r: "/api/incidents", None, {"agent": 200, "supervisor": 200, "admin": 200}),
    ("read profiles", "GET", lambda r: "/api/profiles", None, {"agent": 200, "supervisor": 200, "admin": 200}),
    ("edit own case", "PATCH", lambda r: f"/api/incidents({r['own_case']['incidentid']})",
     lambda r: {"title": "Edited"}, {"agent": 200, "supervisor": 200, "admin": 200}),
    ("edit another agent's case", "PATCH", lambda r: f"/api/incidents({r['other_case']['incidentid']})",
     lambda r: {"title": "Edited"}, {"agent": 403, "supervisor": 200, "admin": 200}),
    ("assign a case", "POST", lambda r: f"/api/incidents({r['own_case']['incidentid']})/assign",
     lambda r: {"ownerid": r["agent1"]}, {"agent": 403, "supervisor": 200, "admin": 200}),
    ("route a case", "POST", lambda r: f"/api/incidents({r['own_case']['incidentid']})/route",
     lambda r: {"queueid": r["queue"]["queueid"]}, {"agent": 403, "supervisor": 200, "admin": 200}),
    ("delete a case", "DELETE", lambda r: f"/api/incidents({r['other_case']['incidentid']})", None,
     {"agent": 403, "supervisor": 204, "admin": 204}),
    ("edit an account", "PATCH", lambda r: f"/api/accounts({r['account']['accountid']})",
     lambda r: {"telephone1": "+1 555 9999"}, {"agent": 200, "supervisor": 200, "admin": 200}),
    ("edit a profile", "PATCH", lambda r: f"/api/profiles({r['profile']['profileid']})",
     lambda r: {"settings": {"maxSessions": 3}}, {"agent": 403, "supervisor": 403, "admin": 200}),
    ("edit another user", "PATCH", lambda r: f"/api/systemusers({r['user']['systemuserid']})",
     lambda r: {"fullname": "Renamed"}, {"agent": 403, "supervisor": 403, "admin": 200}),
    ("create a user", "POST", lambda r: "/api/systemusers",
     lambda r: {"domainname": "newbie", "fullname": "New Bie"}, {"agent": 403, "supervisor": 403, "admin": 201}),
    ("edit an email template", "PATCH", lambda r: f"/api/templates({r['template']['templateid']})",
     lambda r: {"subject": "Hi"}, {"agent": 403, "supervisor": 200, "admin": 200}),
    ("publish an article", "PATCH", lambda r: f"/api/knowledgearticles({r['article']['knowledgearticleid']})",
     lambda r: {"statecode": 3}, {"agent": 403, "supervisor": 200, "admin": 200}),
    ("create a queue", "POST", lambda r: "/api/queues", lambda r: {"name": "Escalations"},
     {"agent": 403, "supervisor": 201, "admin": 201}),
]
ROLE_USERS = {"agent": "agent1", "supervisor": "supervisor", "admin": "admin"}


@pytest.mark.parametrize("role", list(ROLE_USERS))
@pytest.mark.parametrize("case", MATRIX, ids=[row[0] for row in MATRIX])
def test_authorisation_matrix(client: TestClient, role: str, case: tuple) -> None:
    _, method, url_of, body_of, expected = case
    records = _ids(client)
    client.cookies.clear()
    sign_in(client, ROLE_USERS[role])
    url = url_of(records)
    headers = {}
    if method in ("PATCH", "DELETE") or url.endswith(("/assign", "/route")):
        headers["If-Match"] = client.get(url.rsplit("/", 1)[0] if url.endswith(("/assign", "/route")) else url
                                         ).json()["@odata.etag"]
    response = client.request(method, url, json=body_of(records) if body_of else None, headers=headers)
    assert response.status_code == expected[role], response.text
    if response.status_code == 403:
        assert response.json()["error"]["code"] in ("forbidden", "not_owner")


def test_users_keep_their_own_settings(client: TestClient) -> None:
    sign_in(client, "agent5")
    assert client.put("/api/me/settings/closeSessionWarning", json=False).status_code == 204
    assert client.put("/api/me/settings/inbox.sort", json={"by": "priority"}).status_code == 204
    assert client.put("/api/me/settings/inbox.sort", json={"by": "age"}).status_code == 204
    assert client.get("/api/me").json()["settings"] == {"closeSessionWarning": False, "inbox.sort": {"by": "age"}}
    assert client.delete("/api/me/settings/inbox.sort").status_code == 204
    assert client.get("/api/me").json()["settings"] == {"closeSessionWarning": False}
    bad = client.put("/api/me/settings/%20bad", json=1)
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "key"
    assert client.put("/api/me/settings/big", json="x" * 9000).status_code == 413
    client.cookies.clear()
    sign_in(client, "agent6")
    assert client.get("/api/me").json()["settings"] == {}
