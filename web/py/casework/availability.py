"""Which restored record tabs still show a record the agent may see: the server queries, and what is missing.

Pure (no ``js``): ``PageRestore.check_records`` (browser/restore.py) sends the queries after the first paint and
marks what is missing with ``apm.snapshot.mark_unavailable``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from apm.templates import record_identity
from casework.entities import entity
from casework.records import odata_literal

CHUNK = 25  # ids per request: keeps the URL short
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class RecordQuery:
    """One request: ``GET /api/<entity_set>?$filter=<key> eq 'a' or <key> eq 'b'&$select=<key>``.

    Attributes:
        entity_set: The API entity set.
        key: The id column.
        ids: The ids asked for, as the tabs hold them.
        records: Their identities (``Tab.record``), in the same order.
    """

    entity_set: str
    key: str
    ids: tuple[str, ...]
    records: tuple[tuple[str, str], ...]

    @property
    def filter(self) -> str:
        return " or ".join(f"{self.key} eq {odata_literal(record_id)}" for record_id in self.ids)


def record_queries(records: Iterable[tuple[object, object]], chunk: int = CHUNK) -> list[RecordQuery]:
    """Group ``(entityName, entityId)`` pairs (as tab parameters hold them) into requests per entity set.

    Unknown entities and non-records are left out (nothing to ask); duplicates are asked once. Ids that are not
    GUIDs are not asked either (the server refuses them in a filter): see :func:`not_guids`.
    """
    by_set: dict[tuple[str, str], dict[tuple[str, str], str]] = {}
    for name, record_id in records:
        identity = record_identity(name, record_id)
        if identity is None:
            continue
        try:
            meta = entity(str(name))
        except KeyError:
            continue
        if not GUID.match(str(record_id).strip().strip("{}")):
            continue
        by_set.setdefault((meta.entity_set, meta.key), {}).setdefault(identity, str(record_id).strip().strip("{}"))
    queries = []
    for (entity_set, key), wanted in sorted(by_set.items()):
        items = sorted(wanted.items())
        for start in range(0, len(items), chunk):
            part = items[start : start + chunk]
            queries.append(RecordQuery(entity_set, key, tuple(i for _, i in part), tuple(r for r, _ in part)))
    return queries


def missing_records(query: RecordQuery, rows: Iterable[dict]) -> dict[tuple[str, str], str]:
    """The records of ``query`` absent from the server's answer ``rows``: deleted, or not visible (``"deleted"``;
    the list cannot tell the two apart)."""
    found = {str(row.get(query.key)).strip("{}").lower() for row in rows if isinstance(row, dict)}
    return {record: "deleted" for record in query.records if record[1] not in found}


def not_guids(records: Iterable[tuple[object, object]]) -> dict[tuple[str, str], str]:
    """Records of known entities whose id is not a GUID: no such record can exist (``"deleted"``)."""
    found = {}
    for name, record_id in records:
        identity = record_identity(name, record_id)
        if identity is None or not GUID.match(identity[1]):
            try:
                entity(str(name))
            except KeyError:
                continue
            if identity is not None:
                found[identity] = "deleted"
    return found
