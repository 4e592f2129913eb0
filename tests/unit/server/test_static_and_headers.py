"""Static serving: MIME types, cache policy, precompressed files, conditional requests, CSP everywhere."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A small web root: a page, a module, a versioned vendor file with a .gz sibling, Python packages."""
    web = tmp_path / "web"
    (web / "vendor" / "pyodide" / "1.0").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>t</title>")
    (web / "app.mjs").write_text("export const x = 1;")
    wasm = web / "vendor" / "pyodide" / "1.0" / "pyodide.asm.wasm"
    wasm.write_bytes(b"\0asm" + b"\1" * 5000)
    (wasm.parent / "pyodide.asm.wasm.gz").write_bytes(gzip.compress(wasm.read_bytes(), mtime=0))
    (web / "py" / "apm").mkdir(parents=True)
    (web / "py" / "apm" / "__init__.py").write_text("VALUE = 1\n")
    (tmp_path / "secret.txt").write_text("not for the web")
    return web


@pytest.fixture
def site_client(site: Path, tmp_path: Path):
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", web_dir=site, seed=False))) as client:
        yield client


CSP_NEEDS = ("default-src 'self'", "'wasm-unsafe-eval'", "object-src 'none'", "frame-ancestors 'none'")


@pytest.mark.parametrize("path", ["/", "/api/health", "/missing.js", "/api/nothing-here"])
def test_every_response_carries_the_content_security_policy(site_client: TestClient, path: str) -> None:
    response = site_client.get(path)
    policy = response.headers["content-security-policy"]
    for needed in CSP_NEEDS:
        assert needed in policy
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    directives = {part.strip().split()[0]: part.strip() for part in policy.split(";")}
    # our own origin only, no other hosts; tabs may frame https websites (the reference's third-party website page)
    assert all("http" not in text for name, text in directives.items() if name != "frame-src")
    assert directives["frame-src"] == "frame-src 'self' https:"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_web_resources_may_be_framed_by_the_workspace_only(site_client: TestClient, site: Path) -> None:
    (site / "webresources").mkdir()
    (site / "webresources" / "new_page.html").write_text("<!doctype html><title>w</title>")
    framed = site_client.get("/webresources/new_page.html").headers["content-security-policy"]
    assert "frame-ancestors 'self'" in framed and "frame-ancestors 'none'" not in framed
    assert "default-src 'self'" in framed
    assert "frame-ancestors 'none'" in site_client.get("/").headers["content-security-policy"]


def test_modules_and_wasm_get_the_types_browsers_require(site_client: TestClient) -> None:
    assert site_client.get("/app.mjs").headers["content-type"].startswith("text/javascript")
    wasm = site_client.get("/vendor/pyodide/1.0/pyodide.asm.wasm", headers={"Accept-Encoding": "identity"})
    assert wasm.headers["content-type"] == "application/wasm"


def test_versioned_vendor_files_are_immutable_and_pages_revalidate(site_client: TestClient) -> None:
    vendor = site_client.get("/vendor/pyodide/1.0/pyodide.asm.wasm")
    assert "immutable" in vendor.headers["cache-control"]
    assert "max-age=31536000" in vendor.headers["cache-control"]
    page = site_client.get("/app.mjs")
    assert page.headers["cache-control"] == "no-cache"


def test_precompressed_file_is_sent_to_gzip_clients_and_plain_to_others(site_client: TestClient, site: Path) -> None:
    original = (site / "vendor" / "pyodide" / "1.0" / "pyodide.asm.wasm").read_bytes()
    zipped = site_client.get("/vendor/pyodide/1.0/pyodide.asm.wasm", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert zipped.content == original  # httpx decoded the gzip body
    plain = site_client.get("/vendor/pyodide/1.0/pyodide.asm.wasm", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == original


def test_unchanged_file_answers_304_to_its_etag(site_client: TestClient) -> None:
    first = site_client.get("/app.mjs")
    again = site_client.get("/app.mjs", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    "path", ["/../secret.txt", "/%2e%2e/secret.txt", "/vendor/../../secret.txt", "/py/../../secret.txt"]
)
def test_paths_outside_the_web_root_are_not_served(site_client: TestClient, path: str) -> None:
    response = site_client.get(path)
    assert response.status_code == 404
    assert "not for the web" not in response.text


def test_text_responses_are_compressed_on_the_fly(site_client: TestClient, site: Path) -> None:
    (site / "big.js").write_text("const a = 1;\n" * 1000)
    response = site_client.get("/big.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"


def test_app_zip_holds_our_python_packages_and_revalidates(site_client: TestClient) -> None:
    import io
    import zipfile

    response = site_client.get("/app.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "apm/__init__.py" in names
    assert not any("__pycache__" in name for name in names)
    again = site_client.get("/app.zip", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_app_zip_changes_when_a_module_changes(site_client: TestClient, site: Path) -> None:
    before = site_client.get("/app.zip").headers["etag"]
    module = site / "py" / "apm" / "__init__.py"
    module.write_text("VALUE = 2\n")
    import os

    os.utime(module, ns=(module.stat().st_atime_ns, module.stat().st_mtime_ns + 1_000_000_000))
    assert site_client.get("/app.zip").headers["etag"] != before


def test_app_zip_ships_bytecode_only_next_to_the_source_it_was_compiled_from(site: Path, tmp_path: Path) -> None:
    import hashlib
    import io
    import json
    import zipfile

    from server.appzip import build_app_zip

    module = site / "py" / "apm" / "__init__.py"
    pyc_dir = site / "vendor" / "pyc"
    pyc_dir.mkdir(parents=True)
    (pyc_dir / "manifest.json").write_text(json.dumps({"cache_tag": "cpython-314"}))
    (pyc_dir / (hashlib.sha256(module.read_bytes()).hexdigest() + ".pyc")).write_bytes(b"bytecode for VALUE = 1")
    (site / "main.py").write_text("import apm\n")

    built = build_app_zip(site, ("apm",))
    names = zipfile.ZipFile(io.BytesIO(built.content)).namelist()
    assert "main.py" in names
    assert "apm/__pycache__/__init__.cpython-314.pyc" in names
    assert (built.modules, built.precompiled) == (2, 1)  # main.py has no bytecode built for it here

    module.write_text("VALUE = 2\n")  # edited after the setup step: its old bytecode must not ship
    stale = build_app_zip(site, ("apm",))
    assert "apm/__pycache__/__init__.cpython-314.pyc" not in zipfile.ZipFile(io.BytesIO(stale.content)).namelist()
    assert stale.precompiled == 0


def test_api_responses_say_how_long_the_server_took_and_static_files_do_not(site_client: TestClient) -> None:
    """``Server-Timing: app;dur=<ms>`` lets the browser (and bench/workspace.py) tell server time from wire time."""
    for path in ("/api/health", "/api/nothing-here"):
        timing = site_client.get(path).headers.get("server-timing", "")
        name, _, duration = timing.partition(";dur=")
        assert name == "app" and float(duration) >= 0, (path, timing)
    assert "server-timing" not in site_client.get("/app.mjs").headers
