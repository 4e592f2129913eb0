"""A server app on a temporary data dir, driven in-process through Starlette's TestClient.

Seeding the demo data takes a couple of seconds, so it happens once per test session into a template SQLite file;
each test gets a fresh copy of that file (``settings``) and so a fresh, fully seeded database.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update
from starlette.testclient import TestClient

from server.app import create_app
from server.auth import CSRF_HEADER, LoginLimiter
from server.db import open_database, schema
from server.seed import seed_if_empty
from server.settings import Settings

DB_FILE = "casework.sqlite3"


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded database file, made once per session."""
    folder = tmp_path_factory.mktemp("seeded")
    database = open_database(f"sqlite:///{(folder / DB_FILE).as_posix()}")
    seed_if_empty(database)
    # Verifying argon2 costs what hashing cost (~0.4 s with the production parameters), and these tests sign in
    # hundreds of times: the template's users get the same password hashed with cheap parameters instead.
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("casework")
    with database.engine.begin() as conn:
        conn.execute(update(schema.systemusers).values(passwordhash=cheap))
    with database.engine.connect() as conn:  # fold the WAL into the main file so a plain copy is complete
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    return folder / DB_FILE


class FakeClock:
    """A monotonic clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path, seeded_template: Path, clock: FakeClock) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(seeded_template, data_dir / DB_FILE)
    return Settings(data_dir=data_dir, login_limiter=LoginLimiter(clock=clock))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def sign_in(client: TestClient, username: str, password: str = "casework") -> dict:
    """Sign ``client`` in and make it send the CSRF header on every later request; returns the /api/me body."""
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    client.headers[CSRF_HEADER] = body["csrfToken"]
    return body


@pytest.fixture
def login(client: TestClient) -> Callable[[str], dict]:
    """Sign the test client in as a demo user (password ``casework``)."""
    return lambda username: sign_in(client, username)


@pytest.fixture
def agent(client: TestClient, login) -> TestClient:
    """The client signed in as ``agent1``."""
    login("agent1")
    return client
