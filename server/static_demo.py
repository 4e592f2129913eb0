"""The static demo build (``scripts/build-static [DIR]``): a folder any static host serves.

What it writes:
* the shell (``index.html`` marked ``<meta name="casework-mode" content="static">``), css, js, the vendored runtime
  and ``app.zip`` (our Python with its bytecode, as the server builds it);
* ``signin.html``: instead of signing in, the visitor chooses a demo user (``web/js/demo.js``);
* ``sw.js``: a service worker that keeps the runtime files in a cache named after the build (``web/demo/sw.js``;
  a plain static host sends no cache lifetimes, so without it every reload fetches or revalidates them);
* ``data/``: the server's seed as JSON, generated through the real database layer (a temporary SQLite database
  migrated and seeded by the server's own lifespan, read back with the API's converters) so it stays in step with
  ``server/seed.py`` and ``server/api/entities.py``: one file per table (only the columns an entity set exposes: no
  password hash leaves the database), ``meta.json`` (each entity set's fields and rules, the search sources, queue
  membership, user roles) and ``me.json`` (each demo user's ``GET /api/me`` answer, from the real endpoint).

The page reads these with ``casework.static_records.StaticTransport`` (docs/static-demo.md). Every URL in the
folder is relative, so it works from a sub-path (``https://host/casework-demo/``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
DEFAULT_CASES = 1000
STATIC_META = '<meta name="casework-mode" content="static">'
#: Entity sets that need the server (conversations arrive by push from channels): left out of the demo.
SERVER_ONLY_SETS = ("conversations", "conversationmessages")
#: Shell files copied as they are (``chat/`` is the customer's page, served by the server only).
COPIED = ("css", "js", "favicon.svg", "webresources")


def _field_meta(f: Any) -> dict:
    return {"name": f.name, "kind": f.kind, "write": f.write, "required": f.required, "max_length": f.max_length,
            "choices": list(f.choices) if f.choices is not None else None, "nullable": f.nullable,
            "default": f.default}


def _set_meta(entity_set: Any) -> dict:
    return {
        "entity": entity_set.entity, "table": entity_set.table.name, "key": entity_set.key,
        "fields": [_field_meta(f) for f in entity_set.fields],
        "fixed": {k: list(v) if isinstance(v, tuple) else v for k, v in entity_set.fixed.items()},
        "order": [[name, desc] for name, desc in entity_set.default_order], "read_only": entity_set.read_only,
        "write_roles": list(entity_set.write_roles), "delete_roles": list(entity_set.delete_roles),
        "owner_check": entity_set.agent_owner_check, "owner_or_unowned": entity_set.owner_or_unowned,
        "lookup_names": [{"name": spec.name, "lookup": spec.lookup,
                          "targets": [[table.name, key, name] for table, key, name in spec.targets]}
                         for spec in entity_set.lookup_names],
    }


def export_dataset(cases: int = DEFAULT_CASES, data_dir: Path | None = None) -> dict[str, Any]:
    """The demo's documents by name (``meta``, ``me``, one per table), from a freshly seeded database (or from the
    server data folder ``data_dir``, as it is: the contract tests export the database the HTTP side serves)."""
    from starlette.testclient import TestClient

    from server.api.entities import ENTITY_SETS
    from server.api.records import _CONVERTERS
    from server.app import create_app
    from server.db import schema
    from server.db.search import SOURCES
    from server.seed import DEMO_PASSWORD, DEMO_USERNAMES
    from server.settings import Settings

    sets = {name: s for name, s in ENTITY_SETS.items() if name not in SERVER_ONLY_SETS}
    with tempfile.TemporaryDirectory(prefix="casework-static-") as tmp:
        settings = Settings(data_dir=data_dir or Path(tmp), seed_cases=cases)
        me: dict[str, dict] = {}
        with TestClient(create_app(settings)) as client:
            for username in DEMO_USERNAMES:
                client.cookies.clear()
                answer = client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
                answer.raise_for_status()
                body = client.get("/api/me").json()
                body["csrfToken"] = "static-demo"  # no server session: the static transport ignores it
                me[username] = body
            documents = _tables(client.app.state.database, sets, _CONVERTERS, schema)
    tables = {}
    for s in sets.values():
        tables.setdefault(s.table.name, {"key": s.key})
    meta = {
        "schema": 1,
        "sets": {name: _set_meta(s) for name, s in sets.items()},
        "tables": tables,
        "search": {entity: {"table": s.table, "key": s.key, "title": s.title, "columns": list(s.columns)}
                   for entity, s in SOURCES.items()},
        "queuemembers": documents.pop("__queuemembers"),
        "roles": documents.pop("__roles"),
    }
    return {"meta": meta, "me": me, **documents}


def _tables(database: Any, sets: dict, converters: dict, schema: Any) -> dict[str, Any]:
    """Each table's rows as JSON: the columns some entity set exposes, converted as the API converts them."""
    kinds: dict[str, dict[str, str]] = {}
    for s in sets.values():
        for f in s.fields:
            kinds.setdefault(s.table.name, {})[f.name] = f.kind
    documents: dict[str, Any] = {}
    with database.engine.connect() as conn:
        for table_name, columns in kinds.items():
            table = schema.metadata.tables[table_name]
            key = next(s.key for s in sets.values() if s.table.name == table_name)
            wanted = [c for c in table.c if c.name in columns or c.name == "versionnumber"]
            rows = []
            for row in conn.execute(select(*wanted).order_by(table.c[key])):
                record = {}
                for name, value in row._mapping.items():
                    convert = converters.get(columns.get(name, ""))
                    record[name] = convert(value) if convert is not None and value is not None else value
                rows.append(record)
            documents[table_name] = rows
        m, r = schema.queuemembers, schema.userroles
        documents["__queuemembers"] = [dict(row._mapping) for row in conn.execute(
            select(m.c.queueid, m.c.systemuserid).order_by(m.c.queueid, m.c.systemuserid))]
        roles: dict[str, list[str]] = {}
        for row in conn.execute(select(r).order_by(*r.c)):
            roles.setdefault(str(row.systemuserid), []).append(str(row.role))
        documents["__roles"] = roles
    return documents


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)  # the runtime is ~20 MB: a hard link costs nothing where the file system allows
    except OSError:
        shutil.copy2(source, target)


def _copy_tree(source: Path, target: Path, skip_suffixes: tuple[str, ...] = ()) -> int:
    count = 0
    for path in sorted(source.rglob("*")):
        if path.is_file() and not path.name.endswith(skip_suffixes) and "__pycache__" not in path.parts:
            _link_or_copy(path, target / path.relative_to(source))
            count += 1
    return count


def static_index(html: str) -> str:
    """The shell for the static host: marked static, with the IndexedDB helper."""
    marked = html.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n  ' + STATIC_META, 1)
    marked = marked.replace('<script type="module" src="js/boot.js"></script>',
                            '<script type="module" src="js/boot.js"></script>\n'
                            '  <script type="module" src="js/idb.js"></script>\n'
                            '  <script type="module" src="js/offline.js"></script>', 1)
    # What Python reads before the first paint, fetched while the runtime loads (as the server's page asks
    # api/me early): the entity sets' rules and the demo users.
    marked = marked.replace('<link rel="preload" href="app.zip" as="fetch" crossorigin>',
                            '<link rel="preload" href="app.zip" as="fetch" crossorigin>\n'
                            '  <link rel="preload" href="data/meta.json" as="fetch" crossorigin>\n'
                            '  <link rel="preload" href="data/me.json" as="fetch" crossorigin>', 1)
    marked = marked.replace('<link rel="stylesheet" href="css/console.css">',
                            '<link rel="stylesheet" href="css/console.css">\n'
                            '  <link rel="stylesheet" href="css/demo.css">', 1)
    if STATIC_META not in marked or "js/offline.js" not in marked or "css/demo.css" not in marked \
            or "data/meta.json" not in marked:
        raise RuntimeError("web/index.html changed shape: update server/static_demo.py:static_index")
    return marked


def service_worker(out: Path, template: str) -> tuple[str, list[str]]:
    """``sw.js`` for the folder ``out`` (its runtime written already): the template (``web/demo/sw.js``) with the
    build's version and the files it caches on install: every runtime file (``vendor/`` and ``app.zip``). The
    version is a digest of those files' names and contents, so a build with any runtime change gets a new cache
    (and the old one is deleted) while a rebuild with the same runtime keeps the visitor's cache.

    Returns:
        The script's text and the precached paths (relative to the folder).
    """
    paths = ["app.zip", *sorted(p.relative_to(out).as_posix() for p in (out / "vendor").rglob("*") if p.is_file())]
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.encode() + b"\0" + hashlib.sha256((out / path).read_bytes()).digest())
    version = digest.hexdigest()[:16]
    script = template.replace('const BUILD = "dev";', f"const BUILD = {json.dumps(version)};", 1)
    script = script.replace("const PRECACHE = [];", f"const PRECACHE = {json.dumps(paths)};", 1)
    if version not in script or "vendor/" not in script:
        raise RuntimeError("web/demo/sw.js changed shape: update server/static_demo.py:service_worker")
    return script, paths


def build(out: Path, cases: int = DEFAULT_CASES, *, web_dir: Path = WEB) -> dict:
    """Write the static demo into ``out`` (emptied first); returns what was written (counts, bytes, seconds)."""
    from server.appzip import build_app_zip
    from server.settings import Settings

    started = time.perf_counter()
    if not (web_dir / "vendor" / "pyodide").is_dir():
        raise RuntimeError("web/vendor is missing: run scripts/setup first")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "index.html").write_text(static_index((web_dir / "index.html").read_text()))
    for name in COPIED:
        source = web_dir / name
        if source.is_dir():
            _copy_tree(source, out / name)
        elif source.is_file():
            _link_or_copy(source, out / name)
    # The runtime without its .gz siblings (a static host compresses, or not, by itself).
    vendored = _copy_tree(web_dir / "vendor", out / "vendor", skip_suffixes=(".gz",))
    (out / "signin.html").write_text((web_dir / "demo" / "signin.html").read_text())
    _link_or_copy(web_dir / "demo" / "demo.js", out / "js" / "demo.js")
    _link_or_copy(web_dir / "demo" / "idb.js", out / "js" / "idb.js")
    built = build_app_zip(web_dir, Settings().python_packages)
    (out / "app.zip").write_bytes(built.content)
    _link_or_copy(web_dir / "demo" / "offline.js", out / "js" / "offline.js")
    worker, precached = service_worker(out, (web_dir / "demo" / "sw.js").read_text())
    (out / "sw.js").write_text(worker)
    data = out / "data"
    data.mkdir()
    sizes = {}
    for name, document in export_dataset(cases).items():
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        (data / f"{name}.json").write_text(text, encoding="utf-8")
        sizes[name] = len(text.encode())
    (out / ".nojekyll").write_text("")  # GitHub Pages: serve files as they are
    return {"out": str(out), "cases": cases, "vendor_files": vendored, "precached": len(precached),
            "modules": built.modules, "precompiled": built.precompiled, "data_bytes": sizes,
            "seconds": round(time.perf_counter() - started, 1)}


def serve(root: Path, sub_path: str = "", timeout: float = 30):
    """Start ``python -m http.server`` on 127.0.0.1 (a free port) serving ``root``; for the e2e tests and
    bench/boot.py. Returns a ``server.launch.RunningServer`` whose ``url`` is the demo's (``.../<sub_path>/``).

    Raises:
        RuntimeError: it exited or did not say its port within ``timeout`` seconds.
    """
    import re
    import subprocess
    import threading

    from server.launch import RunningServer

    process = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                                "--directory", str(root)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1)
    output: list[str] = []
    port: list[str] = []
    announced = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if len(output) < 2000:  # the access log: keep the start (the port line), not every request
                output.append(line.rstrip("\n"))
            match = re.search(r"port (\d+)", line)
            if match and not port:
                port.append(match.group(1))
                announced.set()
        announced.set()

    threading.Thread(target=pump, name="static-server-output", daemon=True).start()
    if not announced.wait(timeout) or not port:
        process.kill()
        raise RuntimeError("http.server did not start:\n" + "\n".join(output))
    prefix = sub_path.strip("/") + "/" if sub_path.strip("/") else ""
    return RunningServer(f"http://127.0.0.1:{port[0]}/{prefix}", root, process, output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/build-static", description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "build" / "static"),
                        help="folder to write (emptied first; default build/static)")
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES, help=f"demo cases (default {DEFAULT_CASES})")
    args = parser.parse_args(argv)
    if not 1 <= args.cases <= 20000:
        parser.error("--cases is 1 to 20000 (every record is loaded into the page)")
    result = build(Path(args.out).resolve(), args.cases)
    total = sum(result["data_bytes"].values())
    print(f"static demo: {result['out']} ({result['cases']} cases, data {total / 1e6:.1f} MB, "
          f"{result['modules']} modules, {result['seconds']} s)")
    print(f"serve it with: python -m http.server -d {result['out']} and open http://127.0.0.1:8000/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
