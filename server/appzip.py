"""Our browser-side Python as one zip, built from ``web/py`` (and ``web/main.py``) on demand.

PyScript's ``"files": {"./app.zip": "./*"}`` unpacks it into the interpreter's working directory in one request,
which measured faster than one fetch per module. Building it in the server (instead of a setup step) means an edit
to ``web/py`` is live on the next reload, with nothing stale to forget. The zip is rebuilt only when a source file's
mtime or the file list changes, and is byte-for-byte deterministic, so its ETag is stable across restarts.

Bytecode: the setup step (``scripts/pyc.mjs``) compiles every module with the browser's own interpreter into
``web/vendor/pyc/<sha256 of source>.pyc``. A module's pyc goes into the zip (as ``__pycache__/<name>.<tag>.pyc``,
unchecked-hash, PEP 552) only when its key matches the current source exactly, so an edited module is compiled in
the browser instead of running stale bytecode. Compiling our packages was most of their import time in the page.
"""

from __future__ import annotations

import hashlib
import io
import json
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
    modules: int
    precompiled: int


def _sources(web_dir: Path, packages: tuple[str, ...], extra_dirs: tuple[Path, ...] = ()) -> list[tuple[Path, str]]:
    """``(file, name in the zip)`` for every file to ship, in a stable order (``extra_dirs``' files last, named
    relative to their folder)."""
    py_root = web_dir / "py"
    files: list[tuple[Path, str]] = []
    entry = web_dir / "main.py"
    if entry.is_file():
        files.append((entry, "main.py"))
    for package in packages:
        base = py_root / package
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            relative = path.relative_to(py_root)
            if path.is_file() and not _SKIP_DIRS.intersection(relative.parts) and path.suffix in (".py", ".json"):
                files.append((path, relative.as_posix()))
    for folder in extra_dirs:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and not _SKIP_DIRS.intersection(relative.parts) and path.suffix in (".py", ".json"):
                files.append((path, relative.as_posix()))
    return files


def _cache_tag(pyc_dir: Path) -> str | None:
    try:
        return json.loads((pyc_dir / "manifest.json").read_text())["cache_tag"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def build_app_zip(web_dir: Path, packages: tuple[str, ...], extra_dirs: tuple[Path, ...] = ()) -> BuiltZip:
    """Zip ``web/main.py`` and the given packages of ``web/py`` (plus the files of ``extra_dirs``), with matching
    precompiled bytecode."""
    pyc_dir = web_dir / "vendor" / "pyc"
    cache_tag = _cache_tag(pyc_dir)
    buffer = io.BytesIO()
    modules = precompiled = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path, name in _sources(web_dir, packages, extra_dirs):
            source = path.read_bytes()
            _add(archive, name, source)
            if not name.endswith(".py"):
                continue
            modules += 1
            pyc = pyc_dir / (hashlib.sha256(source).hexdigest() + ".pyc")
            if cache_tag and pyc.is_file():
                folder, _, filename = name.rpartition("/")
                cached = f"{folder}/__pycache__/" if folder else "__pycache__/"
                _add(archive, f"{cached}{filename[:-3]}.{cache_tag}.pyc", pyc.read_bytes())
                precompiled += 1
    content = buffer.getvalue()
    return BuiltZip(content, '"' + hashlib.sha256(content).hexdigest()[:32] + '"', modules, precompiled)


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


class AppZipCache:
    """Rebuilds the zip only when the sources or the bytecode changed (checked by mtimes, cheap next to a build)."""

    def __init__(self, web_dir: Path, packages: tuple[str, ...], extra_dirs: tuple[Path, ...] = ()) -> None:
        self.web_dir = web_dir
        self.packages = packages
        self.extra_dirs = extra_dirs
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._built: BuiltZip | None = None

    def _fingerprint(self) -> tuple:
        pyc_dir = self.web_dir / "vendor" / "pyc"
        watched = [path for path, _ in _sources(self.web_dir, self.packages, self.extra_dirs)]
        watched.append(pyc_dir)
        return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in watched if p.exists())

    def get(self) -> BuiltZip:
        """The current archive, rebuilt if any source or the bytecode folder changed since the last call."""
        key = self._fingerprint()
        with self._lock:
            if self._built is None or key != self._key:
                self._built = build_app_zip(self.web_dir, self.packages, self.extra_dirs)
                self._key = key
            return self._built
