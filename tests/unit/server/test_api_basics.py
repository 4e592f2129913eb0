"""Health, the JSON error shape, the database: migrated and seeded once, deterministically."""

from __future__ import annotations

from starlette.testclient import TestClient

from server.app import create_app
from server.db import open_database
from server.db.migrations import LATEST_VERSION
from server.seed import demo_records, seed_if_empty
from server.settings import Settings


def test_health_reports_database_and_schema_to_a_signed_in_user(client: TestClient, login) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}  # anonymous: the status only
    login("agent1")
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"dialect": "sqlite", "schemaVersion": LATEST_VERSION}
    assert response.headers["cache-control"] == "no-store"


def test_unknown_api_path_answers_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "not_found"
    assert "/api/no-such-thing" in error["message"]


def test_wrong_method_on_health_answers_the_error_shape(client: TestClient) -> None:
    response = client.post("/api/health")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_first_start_creates_migrates_and_seeds_the_database(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh")
    with TestClient(create_app(settings)) as fresh:
        assert (settings.data_dir / "casework.sqlite3").is_file()
        counts = fresh.app.state.database.counts()
    expected = demo_records()
    assert counts == {name: len(expected.get(name, [])) for name in counts}
    assert counts["accounts"] >= 50 and counts["contacts"] >= 300 and counts["incidents"] >= 5000
    assert counts["activities"] >= 20000 and counts["knowledgearticles"] >= 300 and counts["templates"] == 20
    assert counts["systemusers"] == 12 and counts["queues"] == 3 and counts["profiles"] == 3


def test_seeding_is_deterministic() -> None:
    assert demo_records() == demo_records()
    assert demo_records()["incidents"][0]["ticketnumber"].startswith("CAS-01000-")


def test_restart_does_not_migrate_or_seed_twice(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    first = open_database(settings.effective_database_url)
    assert seed_if_empty(first) is True
    counts = first.counts()
    first.close()
    second = open_database(settings.effective_database_url)
    assert second.migrate() == []
    assert seed_if_empty(second) is False
    assert second.counts() == counts
    assert second.schema_version() == LATEST_VERSION
    second.close()


def test_ticket_numbers_follow_the_case_number_format() -> None:
    import re

    for case in demo_records()["incidents"]:
        assert re.fullmatch(r"CAS-\d{5}-[A-Z0-9]{6}", case["ticketnumber"])


def test_workspace_page_sends_anyone_not_signed_in_to_sign_in_and_back(client: TestClient) -> None:
    response = client.get("/?case=42", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "signin.html?next=%2F%3Fcase%3D42"
    assert client.get("/signin.html").status_code == 200  # the sign-in page itself is public
