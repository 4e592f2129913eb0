#!/usr/bin/env python3
"""Setup step: place the browser runtime from node_modules (filled by ``npm ci``) under ``web/vendor/``.

- ``web/vendor/pyodide/<version>/``: the files Pyodide needs to boot, plus the wheels the developer console loads
  (``scripts/pyodide-packages.txt``: micropip, pyodide-http, requests and its dependencies). The npm package ships
  no wheels, so they are downloaded with pip (hash-checked against that file, cached in
  ``node_modules/.casework-wheels``) and their entries in ``pyodide-lock.json`` get the sha256 of the file served:
  Pyodide checks a package loaded by name against the lock's sha256, and PyPI's wheels are not byte-identical to
  the ones Pyodide's own build published.
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
import subprocess
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


PACKAGES = ROOT / "scripts" / "pyodide-packages.txt"
WHEEL_CACHE = NODE_MODULES / ".casework-wheels"


def _lock_digest() -> str:
    digest = hashlib.sha256((ROOT / "package-lock.json").read_bytes())
    digest.update(PACKAGES.read_bytes())
    return digest.hexdigest()


def _wanted_wheels() -> dict[str, str]:
    """``{name: version}`` from scripts/pyodide-packages.txt."""
    wanted = {}
    for line in PACKAGES.read_text().splitlines():
        spec = line.split("#", 1)[0].split("--hash", 1)[0].strip()
        if spec:
            name, version = spec.split("==")
            wanted[name.strip()] = version.strip()
    return wanted


def _download_wheels() -> list[Path]:
    """The console's wheels, hash-checked by pip (downloaded once into the cache)."""
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
               "--only-binary=:all:", "--platform", "any", "--python-version", "3.14", "--implementation", "py",
               "--require-hashes", "-r", str(PACKAGES), "-d", str(WHEEL_CACHE)]
    subprocess.run(command, check=True)
    found = []
    for name, version in _wanted_wheels().items():
        stem = f"{name.replace('-', '_')}-{version}-"
        matches = [p for p in WHEEL_CACHE.glob("*.whl") if p.name.lower().startswith(stem.lower())]
        if not matches:
            raise SystemExit(f"vendor: pip placed no wheel of {name}=={version} in {WHEEL_CACHE}")
        found.append(matches[0])
    return found


def _place_wheels(target: Path) -> None:
    """Copy the wheels next to the lock and make the lock's entries name those files and their sha256."""
    lock_path = target / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    for wheel in _download_wheels():
        name = wheel.name.split("-", 1)[0].replace("_", "-").lower()
        entry = lock["packages"].get(name)
        if entry is None:
            raise SystemExit(f"vendor: pyodide-lock.json has no package {name!r}")
        shutil.copyfile(wheel, target / wheel.name)
        entry["file_name"] = wheel.name
        entry["sha256"] = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock_path.write_text(json.dumps(lock, separators=(",", ":")))
    packed = gzip.compress(lock_path.read_bytes(), compresslevel=6, mtime=0)
    lock_path.with_name(lock_path.name + ".gz").write_bytes(packed)


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
    _place_wheels(VENDOR / "pyodide" / versions["pyodide"])
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
