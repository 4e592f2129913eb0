"""Opening the database, applying migrations and reporting its state."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from server.db import schema
from server.db.migrations import MIGRATIONS

SQLITE_MMAP_BYTES = 1 << 30
SQLITE_CACHE_KIB = 64 * 1024


class DatabaseError(Exception):
    """The database cannot be opened or migrated; the message is one readable line."""


@dataclass
class Database:
    """An open engine plus what the app asks of it at the top level."""

    engine: Engine
    #: Seconds a list or search request's queries may run before they are stopped (``server.db.budget``); the app
    #: sets it from ``Settings.query_budget``, the one default. ``None``: no limit.
    query_budget: float | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.coalesce(func.max(schema.schema_migrations.c.version), 0))).scalar_one()

    def migrate(self) -> list[int]:
        """Apply every pending migration, each in its own transaction. Returns the versions applied."""
        schema.schema_migrations.create(self.engine, checkfirst=True)
        with self.engine.connect() as conn:
            done = set(conn.execute(select(schema.schema_migrations.c.version)).scalars())
        applied = []
        # Every version not recorded yet, not only those above the highest: branches take version numbers ahead
        # of each other (6 was merged before 4 and 5), and a skipped migration would be a missing table.
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            with self.engine.begin() as conn:
                migration.apply(conn)
                conn.execute(
                    insert(schema.schema_migrations).values(
                        version=migration.version, name=migration.name, applied_at=dt.datetime.now(dt.UTC)
                    )
                )
            applied.append(migration.version)
        return applied

    def counts(self) -> dict[str, int]:
        """Row counts of the main record tables (for health and the seed check)."""
        names = ["accounts", "contacts", "incidents", "activities", "annotations", "queues", "queueitems",
                 "knowledgearticles", "templates", "systemusers", "userroles", "queuemembers", "profiles",
                 "profileassignments", "usersettings"]
        with self.engine.connect() as conn:
            return {name: conn.execute(select(func.count()).select_from(schema.metadata.tables[name])).scalar_one()
                    for name in names}

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Reads at a million cases: map the file (no read() copy per page) and keep a 64 MiB page cache per pooled
    # connection, so index and FTS pages stay hot across requests; sorts and temp b-trees stay in memory.
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def private_data_dir(folder: Path, database_file: Path) -> None:
    """Create the data folder (0700) and the SQLite file (0600) readable by the server's user only; tighten them
    when they exist. SQLite gives the -wal and -shm files the database file's permissions."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        folder.chmod(0o700)
        os.close(os.open(database_file, os.O_CREAT | os.O_RDWR, 0o600))
        for path in (database_file, *(database_file.with_name(database_file.name + s) for s in ("-wal", "-shm"))):
            if path.exists():
                path.chmod(0o600)
    except OSError as exc:
        raise DatabaseError(f"cannot secure the data folder {str(folder)!r}: {exc.strerror or exc}") from exc


def open_database(url: str) -> Database:
    """Open (creating if needed) and migrate the database at ``url``.

    Raises:
        DatabaseError: the file or server cannot be opened, or a migration failed.
    """
    try:
        engine = create_engine(url, future=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        database = Database(engine)
        database.migrate()
        return database
    except (SQLAlchemyError, ImportError) as exc:  # ImportError: the URL names a driver that is not installed
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise DatabaseError(f"cannot open the database ({reason})") from exc
