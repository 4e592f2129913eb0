"""A small package index of the pure-Python wheels in the repository's ``wheels/`` folder, for ``micropip`` in the
page's developer console (PEP 503 HTML and PEP 691 JSON, chosen by ``Accept``).

``GET /api/simple/`` lists the projects, ``GET /api/simple/<name>/`` a project's files (with ``#sha256=`` /
``hashes``, so micropip checks what it installs), ``GET /api/wheels/<file>`` the wheel. A name no wheel has is a
404 at once (in the API's error shape), which micropip reports as "Can't fetch metadata for '<name>'". Under
``/api/`` like the rest of what the page fetches; no sign-in needed (public packages). To add a package::

    .venv/bin/pip download --no-deps --only-binary=:all: NAME==VERSION -d wheels/

(only ``py3-none-any`` wheels install in Pyodide), then commit the file. The index reads the folder on each
request, so no restart is needed.
"""

from __future__ import annotations

import hashlib
import html
import re
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from server.errors import ApiError

WHEELS_DIR = Path(__file__).resolve().parent.parent / "wheels"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
_WHEEL = re.compile(r"^(?P<name>[A-Za-z0-9_.]+)-(?P<version>[^-]+)-.+\.whl$")


def normalize(name: str) -> str:
    """PEP 503 name normalization."""
    return re.sub(r"[-_.]+", "-", name).lower()


@lru_cache(maxsize=256)
def _digest(path: Path, size: int, mtime: float) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheels(folder: Path = WHEELS_DIR) -> dict[str, list[tuple[str, str]]]:
    """``{normalized name: [(file name, sha256)]}`` of the folder's wheels."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(folder.glob("*.whl")) if folder.is_dir() else ():
        match = _WHEEL.match(path.name)
        if match:
            stat = path.stat()
            found.setdefault(normalize(match["name"]), []).append(
                (path.name, _digest(path, stat.st_size, stat.st_mtime)))
    return found


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return JSON_TYPE in accept or ("application/json" in accept and "text/html" not in accept)


def _page(title: str, links: list[tuple[str, str]]) -> str:
    body = "\n".join(f'<a href="{html.escape(href)}">{html.escape(text)}</a><br>' for href, text in links)
    return (f'<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0">'
            f"<title>{html.escape(title)}</title></head><body>\n{body}\n</body></html>\n")


async def index(request: Request) -> Response:
    projects = sorted(wheels())
    if _wants_json(request):
        return JSONResponse({"meta": {"api-version": "1.0"}, "projects": [{"name": n} for n in projects]},
                            media_type=JSON_TYPE)
    return HTMLResponse(_page("Simple index", [(f"{n}/", n) for n in projects]), media_type=HTML_TYPE)


async def project(request: Request) -> Response:
    name = normalize(request.path_params["name"])
    files = wheels().get(name)
    if not files:
        raise ApiError(404, "not_found", f"No wheel of {name!r} in this server's index (wheels/).")
    base = f"{request.base_url}api/wheels/"  # absolute: micropip does not resolve relative JSON urls
    if _wants_json(request):
        return JSONResponse({"meta": {"api-version": "1.0"}, "name": name, "files": [
            {"filename": f, "url": base + f, "hashes": {"sha256": d}} for f, d in files]},
            media_type=JSON_TYPE)
    return HTMLResponse(_page(f"Links for {name}", [(f"{base}{f}#sha256={d}", f) for f, d in files]),
                        media_type=HTML_TYPE)


async def wheel_file(request: Request) -> Response:
    file_name = request.path_params["file"]
    path = WHEELS_DIR / file_name
    if "/" in file_name or not _WHEEL.match(file_name) or not path.is_file():
        raise ApiError(404, "not_found", f"No wheel {file_name!r} here.")
    return FileResponse(path, media_type="application/octet-stream",
                        headers={"Cache-Control": "public, max-age=3600"})


routes = [
    Route("/api/simple/", index, methods=["GET", "HEAD"]),
    Route("/api/simple/{name}/", project, methods=["GET", "HEAD"]),
    Route("/api/wheels/{file}", wheel_file, methods=["GET", "HEAD"]),
]
