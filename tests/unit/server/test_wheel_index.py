"""The package index micropip uses in the console: PEP 503 HTML and PEP 691 JSON over the repository's wheels/,
hashes included, absent names a clear 404, and only wheel files served."""

from __future__ import annotations

import hashlib

from server.wheels import JSON_TYPE, WHEELS_DIR

TABULATE = next(WHEELS_DIR.glob("tabulate-*-py3-none-any.whl"))


def test_the_json_index_lists_the_bundled_wheel_with_its_sha256(client):
    projects = client.get("/api/simple/", headers={"Accept": JSON_TYPE})
    assert projects.headers["content-type"].startswith(JSON_TYPE)
    assert {"name": "tabulate"} in projects.json()["projects"]
    files = client.get("/api/simple/Tabulate/", headers={"Accept": JSON_TYPE}).json()["files"]
    digest = hashlib.sha256(TABULATE.read_bytes()).hexdigest()
    assert files == [{"filename": TABULATE.name, "url": f"http://testserver/api/wheels/{TABULATE.name}",
                      "hashes": {"sha256": digest}}]
    wheel = client.get(f"/api/wheels/{TABULATE.name}")
    assert wheel.status_code == 200 and hashlib.sha256(wheel.content).hexdigest() == digest


def test_the_html_index_links_with_the_hash_fragment(client):
    page = client.get("/api/simple/tabulate/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "simple.v1+html" in page.headers["content-type"]
    assert f"{TABULATE.name}#sha256=" in page.text


def test_an_absent_package_is_a_404_in_the_error_shape(client):
    answer = client.get("/api/simple/casework-no-such-package/", headers={"Accept": JSON_TYPE})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    assert client.get("/api/wheels/..%2Fpyproject.toml").status_code == 404
    assert client.get("/api/wheels/nothing-1.0-py3-none-any.whl").status_code == 404
