"""Numbered schema migrations. Append, never edit: a database records which versions it has applied."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateColumn

from server.db import schema, schema_v1
from server.db.search import engine_for


@dataclass(frozen=True)
class Migration:
    """One schema step, applied inside a transaction."""

    version: int
    name: str
    apply: Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    for table in (schema_v1.settings_table, schema_v1.accounts, schema_v1.contacts, schema_v1.incidents):
        table.create(conn, checkfirst=True)


def _records_search_signin(conn: Connection) -> None:
    # Columns for the migration-1 tables; server defaults fill existing rows (versionnumber 1).
    for table_name, columns in schema.ADDED_COLUMNS.items():
        for column in columns:
            spec = CreateColumn(column).compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {table_name} ADD COLUMN {spec}")
    for table in schema.NEW_TABLES:
        table.create(conn)
    for index in schema.INDEXES:
        index.create(conn)
    engine_for(conn.dialect.name).install(conn)


def _dashboard_indexes(conn: Connection) -> None:
    # checkfirst: a database created by this code's migration 2 has them already (the tables carry them).
    for index in schema.DASHBOARD_INDEXES:
        index.create(conn, checkfirst=True)


def _conversations(conn: Connection) -> None:
    for table in schema.CONVERSATION_TABLES:
        table.create(conn, checkfirst=True)


def _productivity(conn: Connection) -> None:
    for table in schema.PRODUCTIVITY_TABLES:
        table.create(conn)


def _inbox(conn: Connection) -> None:
    for table in schema.INBOX_TABLES:
        table.create(conn, checkfirst=True)


def _quick_replies_ratings_waiting(conn: Connection) -> None:
    # Tables of migrations 2 and 4 are created from their latest shape, so a database they made with this code
    # has these columns already; older ones get them here.
    for table_name, names in schema.MIGRATION_7_COLUMNS.items():
        have = {c["name"] for c in inspect(conn).get_columns(table_name)}
        for name in names:
            if name not in have:
                spec = CreateColumn(schema.metadata.tables[table_name].c[name]).compile(dialect=conn.dialect)
                conn.exec_driver_sql(f"ALTER TABLE {table_name} ADD COLUMN {spec}")
    for table in schema.MIGRATION_7_TABLES:
        table.create(conn, checkfirst=True)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial: meta, accounts, contacts, incidents", _initial),
    Migration(2, "records: cases, activities, queues, articles, templates, users, profiles, sessions, search",
              _records_search_signin),
    Migration(3, "indexes for the agent dashboard's lists (mine, open, available) at scale", _dashboard_indexes),
    Migration(4, "conversations: channel accounts, conversations, messages, outbox, offers, presence, events",
              _conversations),
    Migration(5, "productivity pane: suggestion feedback, macros, agent scripts, e-mail outbox",
              _productivity),
    Migration(6, "inbox: read state per agent and item", _inbox),
    Migration(7, "quick replies, knowledge article ratings and languages, the chat customer's connections",
              _quick_replies_ratings_waiting),
)

LATEST_VERSION = max(m.version for m in MIGRATIONS)
