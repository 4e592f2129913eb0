"""Numbered schema migrations. Append, never edit: a database records which versions it has applied."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from server.db import schema


@dataclass(frozen=True)
class Migration:
    """One schema step, applied inside a transaction."""

    version: int
    name: str
    apply: Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    for table in (schema.settings_table, schema.accounts, schema.contacts, schema.incidents):
        table.create(conn, checkfirst=True)


MIGRATIONS: tuple[Migration, ...] = (Migration(1, "initial: meta, accounts, contacts, incidents", _initial),)

LATEST_VERSION = MIGRATIONS[-1].version
