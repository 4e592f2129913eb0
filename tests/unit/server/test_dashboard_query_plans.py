"""The agent dashboard's lists, as the page asks for them, run as index range scans on SQLite: no table scan and
no sort of the whole match, for the page and for its $count (at 1,000,000 cases a scan took seconds to minutes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from casework.listcatalog import SPECS
from server.api.records import _list_statements
from server.db import schema

DASHBOARD_LISTS = {"dashboard.cases": "ix_incidents_mine", "dashboard.activities": "ix_activities_mine",
                   "dashboard.queue": "ix_queueitems_available"}


def query_plan(conn, statement) -> list[str]:
    sql = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    return [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()]


@pytest.mark.parametrize("list_name", sorted(DASHBOARD_LISTS))
def test_a_dashboard_list_and_its_count_read_one_index_range(list_name: str, seeded_template: Path) -> None:
    engine = create_engine(f"sqlite:///{seeded_template}")
    try:
        with engine.connect() as conn:
            me = conn.execute(select(schema.systemusers.c.systemuserid)
                              .where(schema.systemusers.c.domainname == "agent3")).scalar_one()
            spec = SPECS[list_name]
            query = spec.default_state().query(spec, me)
            page, count, *_ = _list_statements(
                spec.entity_set, query["filter"], ",".join(query["select"]), query["orderby"], str(query["top"]),
                str(query["skip"]), "true")
            index = DASHBOARD_LISTS[list_name]
            for statement in (page, count):
                plan = query_plan(conn, statement)
                assert any(f"INDEX {index} " in step for step in plan), plan
                assert not any(step.startswith("SCAN") or "TEMP B-TREE" in step for step in plan), plan
    finally:
        engine.dispose()
