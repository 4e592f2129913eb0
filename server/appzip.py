"""Our browser-side Python packages as one zip, built from ``web/py`` on demand.

PyScript's ``"files": {"./app.zip": "./*"}`` unpacks it into the interpreter's working directory in one request,
which measured faster than one fetch per module. Building it in the server (instead of a setup step) means an edit
to ``web/py`` is live on the next reload, with nothing stale to forget. The zip is rebuilt only when a source file's
mtime or the file list changes, and is byte-for-byte deterministic, so its ETag is stable across restarts.
"""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

_FIXED_DATE = (2020, 1, 1, 0, 0, 0)
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


@dataclass(frozen=True)
class BuiltZip:
    """A built archive and its validator."""

    content: bytes
    etag: str


def _sources(py_root: Path, packages: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for package in packages:
        base = py_root / package
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and not _SKIP_DIRS.intersection(path.relative_to(py_root).parts):
                if path.suffix in (".py", ".json", ".css", ".txt"):
                    files.append(path)
    return files


def build_app_zip(py_root: Path, packages: tuple[str, ...]) -> BuiltZip:
    """Zip the given top-level packages of ``py_root`` (deflated; the server does not gzip zips again)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in _sources(py_root, packages):
            info = zipfile.ZipInfo(path.relative_to(py_root).as_posix(), date_time=_FIXED_DATE)
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    content = buffer.getvalue()
    return BuiltZip(content, '"' + hashlib.sha256(content).hexdigest()[:32] + '"')


class AppZipCache:
    """Rebuilds the zip only when the sources changed (checked by mtimes, cheap next to a rebuild)."""

    def __init__(self, py_root: Path, packages: tuple[str, ...]) -> None:
        self.py_root = py_root
        self.packages = packages
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._built: BuiltZip | None = None

    def get(self) -> BuiltZip:
        """The current archive, rebuilt if any source changed since the last call."""
        sources = _sources(self.py_root, self.packages)
        key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sources)
        with self._lock:
            if self._built is None or key != self._key:
                self._built = build_app_zip(self.py_root, self.packages)
                self._key = key
            return self._built
