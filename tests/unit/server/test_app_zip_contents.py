"""What /app.zip ships: the product's packages from a normal start; the test pages only with ``--test-kits``."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from starlette.testclient import TestClient

from server.__main__ import build_parser, main, settings_from_args
from server.app import create_app
from server.settings import REPO_ROOT


def zip_names(tmp_path: Path, *argv: str) -> list[str]:
    settings = settings_from_args(build_parser().parse_args([*argv, "--no-seed"]), tmp_path / "data")
    with TestClient(create_app(settings)) as client:
        response = client.get("/app.zip")
        assert response.status_code == 200
        return zipfile.ZipFile(io.BytesIO(response.content)).namelist()


def test_a_normal_start_ships_the_product_and_no_test_module(tmp_path: Path) -> None:
    names = zip_names(tmp_path)
    sources = {name for name in names if name.endswith(".py")}
    assert {"main.py", "app/__init__.py", "app/boot.py", "components/pages.py", "browser/dom.py",
            "casework/deferred.py", "apm/model.py"} <= sources
    assert {name.split("/")[0] for name in sources} == {"main.py", "app", "components", "browser", "casework", "apm"}
    assert not [name for name in names if "testkit" in name or name.startswith("tests/")]
    kits = REPO_ROOT / "tests" / "pagekits"
    test_modules = {path.name for path in kits.rglob("*.py") if path.name != "__init__.py"}
    assert test_modules and not {name.rsplit("/", 1)[-1] for name in sources} & test_modules


def test_the_test_kits_come_only_when_asked_for(tmp_path: Path) -> None:
    names = zip_names(tmp_path, "--test-kits")
    assert {"testkits/__init__.py", "testkits/restore_drafts.py", "testkits/form_host.py"} <= set(names)
    assert "app/boot.py" in names


def test_test_kits_are_refused_in_production(tmp_path: Path, capsys) -> None:
    assert main(["--test-kits", "--production", "--data-dir", str(tmp_path / "data")]) == 2
    assert "--test-kits" in capsys.readouterr().err
