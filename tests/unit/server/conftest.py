"""A server app on a temporary data dir, driven in-process through Starlette's TestClient.

Seeding the demo data takes a couple of seconds, so it happens once per test session into a template database;
each test gets a fresh copy (``settings``): a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL.
Repository test modules run on both databases with ``pytestmark = BOTH_DATABASES``.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, update
from starlette.testclient import TestClient

from server.app import create_app
from server.auth import CSRF_HEADER, LoginLimiter
from server.db import open_database, schema
from server.seed import seed_if_empty
from server.settings import Settings
from tests.support.postgres import PostgresCluster, start_cluster

DB_FILE = "casework.sqlite3"


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded database file, made once per session."""
    folder = tmp_path_factory.mktemp("seeded")
    database = open_database(f"sqlite:///{(folder / DB_FILE).as_posix()}")
    seed_if_empty(database)
    _cheap_passwords(database)
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


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL server for the session (fails, never skips, when PostgreSQL is not installed)."""
    try:
        cluster = start_cluster()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield cluster
    cluster.stop()


def _admin_engine(cluster: PostgresCluster):
    return create_engine(cluster.url(), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PostgresCluster) -> str:
    """A migrated, seeded PostgreSQL database that each test clones (CREATE DATABASE ... TEMPLATE)."""
    admin = _admin_engine(pg_cluster)
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE casework_template")
    admin.dispose()
    database = open_database(pg_cluster.url("casework_template"))
    seed_if_empty(database)
    _cheap_passwords(database)
    database.close()
    return "casework_template"


def _cheap_passwords(database) -> None:
    # Verifying argon2 costs what hashing cost (~0.4 s with the production parameters), and these tests sign in
    # hundreds of times: the template's users get the same password hashed with cheap parameters instead.
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("casework")
    with database.engine.begin() as conn:
        conn.execute(update(schema.systemusers).values(passwordhash=cheap))


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database the test runs on; repository test modules parametrize it over both (indirect)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def settings(backend: str, tmp_path: Path, clock: FakeClock, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings for a fresh copy of the seeded database on ``backend``."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    limiter = LoginLimiter(clock=clock)
    if backend == "sqlite":
        shutil.copyfile(request.getfixturevalue("seeded_template"), data_dir / DB_FILE)
        yield Settings(data_dir=data_dir, login_limiter=limiter)
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    template = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(cluster)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield Settings(data_dir=data_dir, database_url=cluster.url(name), login_limiter=limiter)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


BOTH_DATABASES = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


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
