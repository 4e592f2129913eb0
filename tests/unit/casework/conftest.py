"""The client's live tests reuse the server suite's seeded database template; the static backend's tests use the
static demo's export of that same database."""

import shutil
from pathlib import Path

import pytest

from tests.unit.server.conftest import seeded_template  # noqa: F401 - a fixture, used by name


@pytest.fixture(scope="session")
def documents(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:  # noqa: F811
    """The static demo's documents (``server.static_demo.export_dataset``) of the seeded template; treat as
    read-only (``DictSource`` hands out copies)."""
    from server.static_demo import export_dataset

    folder = tmp_path_factory.mktemp("static-export")
    shutil.copyfile(seeded_template, folder / seeded_template.name)
    return export_dataset(data_dir=folder)
