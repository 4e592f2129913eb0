"""The shell page and the runtime setup agree: every boot file it names exists, nothing comes from elsewhere."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"


def locked_version(package: str) -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    return lock["packages"][f"node_modules/{package}"]["version"]


def test_package_json_pins_the_runtime_versions() -> None:
    pins = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert pins == {"pyodide": "314.0.7", "@pyscript/core": "0.7.31"}
    assert locked_version("pyodide") == "314.0.7"
    assert locked_version("@pyscript/core") == "0.7.31"


def test_pages_name_the_locked_runtime_versions() -> None:
    expected = {"pyodide": locked_version("pyodide"), "pyscript": locked_version("@pyscript/core")}
    for page in [WEB / "index.html", WEB / "bench" / "bare.js", WEB / "bench" / "bare.html"]:
        for package, version in re.findall(r"vendor/(pyodide|pyscript)/([\w.\-]+)/", page.read_text()):
            assert version == expected[package], f"{page.name} names {package} {version}"


def test_pyscript_config_points_at_our_pyodide_not_a_cdn() -> None:
    html = (WEB / "index.html").read_text()
    config = json.loads(re.search(r"<script type=\"py\"[^>]*config='([^']+)'", html).group(1))
    assert config["interpreter"] == f"./vendor/pyodide/{locked_version('pyodide')}/pyodide.mjs"
    assert config["files"] == {"./app.zip": "./*"}


def test_no_file_of_ours_in_web_names_another_host() -> None:
    offenders = []
    for path in WEB.rglob("*"):
        if "vendor" in path.relative_to(WEB).parts or not path.is_file() or path.suffix not in {
            ".html", ".js", ".mjs", ".css", ".py", ".json", ".toml"
        }:
            continue
        for url in re.findall(r"https?://[\w\-]+(?:\.[\w\-]+)+[^\s\"')]*", path.read_text()):
            if not re.match(r"https?://(127\.0\.0\.1|localhost)", url):
                offenders.append(f"{path.relative_to(ROOT)}: {url}")
    assert offenders == []


def test_no_html_injection_sinks_in_our_web_code() -> None:
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write")
    offenders = [
        str(path.relative_to(ROOT))
        for path in WEB.rglob("*")
        if path.is_file() and "vendor" not in path.relative_to(WEB).parts and path.suffix in {".js", ".py", ".html"}
        and sinks.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.skipif(not (WEB / "vendor").is_dir(), reason="the setup step (scripts/setup) has not placed web/vendor")
def test_every_vendor_file_the_shell_preloads_exists() -> None:
    html = (WEB / "index.html").read_text()
    named = set(re.findall(r"(?:href|src)=\"(vendor/[^\"]+)\"", html))
    assert named, "the shell should preload its runtime files"
    missing = sorted(path for path in named if not (WEB / path).is_file())
    assert missing == []


def test_no_inline_script_code_in_the_shell() -> None:
    html = (WEB / "index.html").read_text()
    for match in re.finditer(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", html, re.S):
        if 'type="py"' in match.group("attrs"):
            continue  # Python is fetched by PyScript from src=, not run by the browser
        assert "src=" in match.group("attrs") and match.group("body").strip() == "", "CSP blocks inline scripts"
