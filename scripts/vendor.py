#!/usr/bin/env python3
"""Setup step: place the browser runtime from node_modules (filled by ``npm ci``) under ``web/vendor/``.

- ``web/vendor/pyodide/<version>/``: the files Pyodide needs to boot (no wheels: the npm package ships none and
  our page loads no packages).
- ``web/vendor/pyscript/<version>/``: PyScript's dist (source maps left out).
Folders are versioned so the server can mark them immutable. Files over 16 KiB get a ``.gz`` sibling, which the
server sends to browsers that accept gzip (compressing the 9.6 MB wasm once here, not on every request).
Idempotent: does nothing when ``web/vendor/manifest.json`` already matches package-lock.json.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "web" / "vendor"
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
COMPRESS_MIN_BYTES = 16 * 1024
COMPRESSIBLE = {".js", ".mjs", ".wasm", ".json", ".css", ".zip"}


def _version(package_dir: Path) -> str:
    return json.loads((package_dir / "package.json").read_text())["version"]


def _lock_digest() -> str:
    return hashlib.sha256((ROOT / "package-lock.json").read_bytes()).hexdigest()


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    if target.suffix in COMPRESSIBLE and target.stat().st_size >= COMPRESS_MIN_BYTES:
        data = target.read_bytes()
        # mtime=0 keeps the .gz byte-identical across runs.
        packed = gzip.compress(data, compresslevel=6, mtime=0)
        if len(packed) <= 0.9 * len(data):  # already-compressed files (python_stdlib.zip) are sent as they are
            target.with_name(target.name + ".gz").write_bytes(packed)


def main() -> int:
    pyodide_dir = NODE_MODULES / "pyodide"
    pyscript_dir = NODE_MODULES / "@pyscript" / "core"
    if not pyodide_dir.is_dir() or not pyscript_dir.is_dir():
        print("vendor: node_modules has no pyodide/@pyscript/core; run `npm ci` first", file=sys.stderr)
        return 1
    manifest_path = VENDOR / "manifest.json"
    versions = {"pyodide": _version(pyodide_dir), "pyscript": _version(pyscript_dir)}
    wanted = {"lock": _lock_digest(), **versions}
    if manifest_path.is_file() and json.loads(manifest_path.read_text()) == wanted:
        print(f"vendor: up to date (pyodide {versions['pyodide']}, pyscript {versions['pyscript']})")
        return 0

    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for name in PYODIDE_FILES:
        _copy(pyodide_dir / name, VENDOR / "pyodide" / versions["pyodide"] / name)
    dist = pyscript_dir / "dist"
    for source in sorted(dist.rglob("*")):
        if source.is_file() and source.suffix != ".map":
            _copy(source, VENDOR / "pyscript" / versions["pyscript"] / source.relative_to(dist))
    manifest_path.write_text(json.dumps(wanted, indent=2) + "\n")
    size = sum(p.stat().st_size for p in VENDOR.rglob("*") if p.is_file())
    print(f"vendor: placed pyodide {versions['pyodide']} and pyscript {versions['pyscript']} "
          f"in web/vendor ({size / 1e6:.1f} MB with .gz)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
