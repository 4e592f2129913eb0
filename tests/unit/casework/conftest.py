"""The client's live tests reuse the server suite's seeded database template."""

from tests.unit.server.conftest import seeded_template  # noqa: F401 - a fixture, used by name
