"""Fixtures for the session-engine unit tests (plain CPython, no browser)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The project config puts web/py on sys.path; this keeps a bare `pytest tests/unit/apm` working too.
_WEB_PY = str(Path(__file__).resolve().parents[3] / "web" / "py")
if _WEB_PY not in sys.path:
    sys.path.insert(0, _WEB_PY)

from apm import Workspace  # noqa: E402
from apm_testkit import Recorder  # noqa: E402


@pytest.fixture
def ws() -> Workspace:
    return Workspace()


@pytest.fixture
def rec(ws: Workspace) -> Recorder:
    return Recorder(ws)
