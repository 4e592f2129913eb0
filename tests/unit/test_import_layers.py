"""The page's import layers, checked by import-linter (the contracts in pyproject.toml's ``[tool.importlinter]``):
app > components > browser > casework > apm, and the pure core (apm, casework) imports neither js nor pyodide nor
pyscript. A wrong arrow anywhere in web/py fails this test (and so CI)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "components", "browser", "casework", "apm")


def lint_imports(cwd: Path, python_path: Path, *args: str) -> subprocess.CompletedProcess:
    found = Path(sys.executable).parent / "lint-imports"
    command = str(found) if found.exists() else shutil.which("lint-imports")
    if command is None:
        pytest.fail("lint-imports is not installed (requirements-dev.txt pins import-linter; run scripts/setup --dev)")
    env = {**os.environ, "PYTHONPATH": str(python_path)}
    return subprocess.run([command, "--no-cache", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_every_import_in_the_page_points_down_the_layers() -> None:
    result = lint_imports(REPO, REPO / "web" / "py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_wrong_arrow_or_a_browser_import_in_the_core_breaks_a_contract(tmp_path: Path) -> None:
    """The same contracts over a small tree with one upward import and one ``js`` import in the core."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "components" / "page.py").write_text("import browser.dom\n")
    (tmp_path / "browser" / "dom.py").write_text("import casework.logic\n")
    (tmp_path / "browser" / "boot.py").write_text("import components.page\n")  # up: the arrow that must not exist
    (tmp_path / "casework" / "logic.py").write_text("import apm.model\n")
    (tmp_path / "apm" / "model.py").write_text("import js\n")  # the pure core reaching the browser
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    result = lint_imports(tmp_path, tmp_path)
    assert result.returncode != 0
    assert "browser.boot -> components.page" in result.stdout
    assert "apm.model -> js" in result.stdout
    assert "0 kept, 2 broken" in result.stdout
