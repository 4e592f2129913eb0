"""A list or search whose queries run over the time budget is stopped and answers 503 ``query_timeout`` in the
error shape; the connection it ran on serves the next request normally."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from server.db import budget
from server.db.budget import QueryTimeout, time_budget
from tests.unit.server.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES

# Every activity, sorted on a column no index serves, counted, filtered on a word no description has: a full scan.
EXPENSIVE_LIST = "/api/activitypointers?$filter=contains(description,'zqxjv')&$orderby=subject desc&$count=true"


def test_a_list_over_the_budget_answers_query_timeout_and_the_next_request_is_served(agent: TestClient) -> None:
    database = agent.app.state.database
    assert agent.get(EXPENSIVE_LIST).status_code == 200  # within the default budget
    database.query_budget = 0.000_001
    stopped = agent.get(EXPENSIVE_LIST)
    assert stopped.status_code == 503, stopped.text
    error = stopped.json()["error"]
    assert error["code"] == "query_timeout" and error["details"] == {"seconds": 0.000_001}
    assert "narrow it" in error["message"]
    database.query_budget = None
    for _ in range(3):  # whichever pooled connection comes next: no leftover handler or timeout on it
        assert agent.get(EXPENSIVE_LIST).status_code == 200


def test_search_over_the_budget_answers_query_timeout(agent: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # Search reads a bounded candidate set, often fewer SQLite steps than one deadline check: check more often.
    monkeypatch.setattr(budget, "SQLITE_CHECK_EVERY", 100)
    agent.app.state.database.query_budget = 0.000_001
    stopped = agent.get("/api/search", params={"q": "s"})  # a one-letter prefix matches most records
    assert stopped.status_code == 503 and stopped.json()["error"]["code"] == "query_timeout", stopped.text


def test_a_statement_within_its_budget_runs_and_one_without_a_budget_is_untouched(agent: TestClient) -> None:
    engine = agent.app.state.database.engine
    with engine.connect() as conn:
        with time_budget(conn, 30):
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
        with time_budget(conn, None):
            assert conn.execute(text("SELECT 2")).scalar_one() == 2
        with pytest.raises(QueryTimeout), time_budget(conn, 0.000_001):
            conn.execute(text("SELECT count(*) FROM activities a, (SELECT 1 UNION ALL SELECT 2) b "
                              "WHERE a.description LIKE '%zqxjv%'")).scalar_one()
