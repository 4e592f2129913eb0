"""The static demo's build pieces under CPython: the export through the real database layer and the static shell."""

from __future__ import annotations

import re

from server.settings import REPO_ROOT
from server.static_demo import STATIC_META, static_index


def test_the_export_has_every_table_its_sets_need_and_no_secret(documents: dict) -> None:
    meta = documents["meta"]
    assert "conversations" not in meta["sets"]  # server-only
    for name, entity_set in meta["sets"].items():
        assert entity_set["table"] in documents, name
    users = documents["systemusers"]
    assert users and all(not any("password" in column for column in row) for row in users)
    assert all(set(row) <= {f["name"] for f in meta["sets"]["systemusers"]["fields"]} | {"versionnumber"}
               for row in users)
    assert set(documents["me"]) >= {"admin", "supervisor", "agent3"}
    assert documents["me"]["agent3"]["roles"] == ["agent"]
    case = documents["incidents"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", case["createdon"])  # the API's date-times


def test_the_static_shell_is_marked_and_uses_relative_urls_only() -> None:
    html = static_index((REPO_ROOT / "web" / "index.html").read_text())
    assert STATIC_META in html and 'src="js/idb.js"' in html and 'href="css/demo.css"' in html
    assert not re.search(r'(?:src|href)="/', html)  # a sub-path host would resolve "/x" outside the demo
    chooser = (REPO_ROOT / "web" / "demo" / "signin.html").read_text()
    assert not re.search(r'(?:src|href)="/', chooser)


def test_the_service_worker_caches_every_runtime_file_under_a_version_that_follows_their_contents(
        tmp_path) -> None:
    from server.static_demo import service_worker

    template = (REPO_ROOT / "web" / "demo" / "sw.js").read_text()
    (tmp_path / "vendor" / "pyodide" / "1.0").mkdir(parents=True)
    (tmp_path / "vendor" / "pyodide" / "1.0" / "pyodide.asm.wasm").write_bytes(b"\0asm")
    (tmp_path / "app.zip").write_bytes(b"zip one")
    script, paths = service_worker(tmp_path, template)
    assert paths == ["app.zip", "vendor/pyodide/1.0/pyodide.asm.wasm"]  # relative: the build works from a sub-path
    assert '"vendor/pyodide/1.0/pyodide.asm.wasm"' in script
    version = re.search(r'const BUILD = "(\w+)";', script).group(1)
    assert service_worker(tmp_path, template)[0] == script  # a rebuild of the same runtime keeps the cache
    (tmp_path / "app.zip").write_bytes(b"zip two")
    assert f'"{version}"' not in service_worker(tmp_path, template)[0]  # a changed file: a new cache


def test_the_static_shell_registers_the_service_worker() -> None:
    html = static_index((REPO_ROOT / "web" / "index.html").read_text())
    assert 'src="js/offline.js"' in html
    assert 'register("sw.js")' in (REPO_ROOT / "web" / "demo" / "offline.js").read_text()  # beside index.html
