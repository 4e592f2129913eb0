"""Static files of the workspace: MIME types, cache policy, precompressed variants, conditional requests.

Cache policy: files under ``vendor/`` live in versioned folders (``vendor/pyodide/314.0.7/...``) and never change
under one URL, so they are ``immutable`` for a year; everything else is ``no-cache`` (revalidated by ETag, cheap 304).
The setup step (``scripts/vendor.py``) writes ``.gz`` siblings of large vendor files so the server never compresses
the 9.6 MB wasm per request; other text responses are compressed on the fly by ``GZipMiddleware``.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from server.security import WEB_RESOURCE_POLICY

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".py": "text/x-python; charset=utf-8",
    ".toml": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".whl": "application/zip",
}


def media_type_for(path: Path) -> str:
    """The Content-Type for a served file (``.mjs`` and ``.wasm`` included, which some OS tables lack)."""
    return _MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _etag(stat: os.stat_result) -> str:
    raw = f"{stat.st_mtime_ns}-{stat.st_size}".encode()
    return '"' + hashlib.blake2b(raw, digest_size=8).hexdigest() + '"'


def _not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


class StaticSite:
    """Serves files from one folder with the cache and encoding rules above."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def resolve(self, url_path: str) -> Path | None:
        """Map a URL path to a file inside the root, or ``None`` (missing, a folder, or outside the root)."""
        relative = url_path.lstrip("/")
        if "\x00" in relative:  # no file name holds NUL (resolving one raises ValueError)
            return None
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        candidate = (self.root / relative).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            return None
        return candidate if candidate.is_file() else None

    async def serve(self, request: Request) -> Response:
        """Answer a GET or HEAD for a file of the site."""
        if request.method not in ("GET", "HEAD"):
            return PlainTextResponse("Method not allowed", status_code=405, headers={"Allow": "GET, HEAD"})
        path = self.resolve(request.url.path)
        if path is None:
            return PlainTextResponse("Not found", status_code=404)
        relative = path.relative_to(self.root).as_posix()
        cache_control = IMMUTABLE if relative.startswith("vendor/") else REVALIDATE
        headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding"}
        if relative.startswith("webresources/"):  # framed by the workspace's tabs (and by nothing else)
            headers["Content-Security-Policy"] = WEB_RESOURCE_POLICY
        media_type = media_type_for(path)

        served = path
        gzipped = path.with_name(path.name + ".gz")
        if "gzip" in request.headers.get("accept-encoding", "") and gzipped.is_file():
            served = gzipped
            headers["Content-Encoding"] = "gzip"
        stat = served.stat()
        etag = _etag(stat)
        if _not_modified(request, etag):
            return Response(status_code=304, headers={**headers, "ETag": etag})
        headers["ETag"] = etag
        return FileResponse(served, media_type=media_type, headers=headers, stat_result=stat)
