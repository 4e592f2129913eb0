"""Package boundary: no browser imports, cheap import, fast operations."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import apm
from apm import NavSource, Workspace

PACKAGE = Path(apm.__file__).parent
FORBIDDEN_IMPORTS = {"js", "pyodide", "pyscript"}


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_imports_js_pyodide_or_pyscript():
    for path in PACKAGE.glob("*.py"):
        assert not (_imported_modules(path) & FORBIDDEN_IMPORTS), path.name


def test_typing_is_not_imported_at_runtime():
    # Annotations are strings (from __future__ import annotations); nothing needs typing at boot.
    for path in PACKAGE.glob("*.py"):
        assert "typing" not in _imported_modules(path), path.name


def test_only_the_standard_library_is_imported():
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    for path in PACKAGE.glob("*.py"):
        assert _imported_modules(path) <= stdlib, path.name


def test_importing_apm_does_not_pull_in_heavy_modules():
    code = "import sys; before = set(sys.modules); import apm; print(' '.join(sorted(set(sys.modules) - before)))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(PACKAGE.parent)},
    )
    loaded = set(result.stdout.split())
    heavy = {"urllib", "urllib.parse", "asyncio", "logging", "email", "http", "decimal", "js", "pyodide"}
    assert not (loaded & heavy), loaded & heavy


def test_operations_on_a_full_workspace_take_well_under_a_millisecond():
    ws = Workspace()
    for n in range(9):
        ws.open_record("incident", f"c-{n}", NavSource.HOME, title=f"Case {n}")
        for m in range(9):
            ws.open_record("contact", f"p-{n}-{m}", NavSource.TIMELINE)
    ids = list(ws.sessions)[1:]
    assert len(ws.sessions) == 10 and all(len(ws.sessions[s].tab_ids) == 10 for s in ids)
    operations = 0
    start = time.perf_counter()
    for round_ in range(5):
        for n, session_id in enumerate(ids):
            session = ws.sessions[session_id]
            ws.focus_session(session_id)
            ws.focus_tab(session.tab_ids[-1])
            ws.set_tab_title(session.tab_ids[-1], f"t{round_}")
            ws.update_context(session_id, {"round": round_})
            ws.request_focus("home")
            ws.refresh_tab(session.tab_ids[1])
            ws.open_record("contact", f"p-{n}-1", NavSource.HOME)  # already open: focuses it
            ws.can_create_tab(session_id)
            operations += 8
    elapsed = time.perf_counter() - start
    assert elapsed / operations < 0.0005, f"{elapsed / operations * 1e6:.0f} µs per operation"
