"""The security suite (issue 13): the in-process app fixtures of the server unit tests, plus real servers
(``live.py``) for what only the real uvicorn shows: proxy headers, header size, concurrency, argon2 memory."""

from tests.unit.server.conftest import *  # noqa: F403 - the same fixtures: a fresh seeded database per test
