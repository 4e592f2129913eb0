"""A real, throwaway PostgreSQL cluster for the repository tests, from Debian's ``postgresql`` package.

``initdb`` in a temporary folder, ``pg_ctl start`` on 127.0.0.1 and a free port, trust authentication for one
user, durability off (fsync, synchronous_commit: a test cluster need not survive a power cut). PostgreSQL refuses
to run as root, so as root the cluster runs as the ``postgres`` OS user (``runuser``). Missing binaries are an
error, never a skip: CI must really run these tests (``.ci/run`` installs the package).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MISSING = ("PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql package "
           "(apt-get install -y postgresql; .ci/run and scripts/setup --dev do this) or set CASEWORK_PG_BINDIR")


def find_bindir() -> Path | None:
    """Where initdb and pg_ctl live: $CASEWORK_PG_BINDIR, Debian's versioned folder (newest), or the PATH."""
    explicit = os.environ.get("CASEWORK_PG_BINDIR")
    candidates = [explicit] if explicit else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                         if Path(p).parent.name.isdigit() else 0, reverse=True)
    which = shutil.which("initdb")
    if which:
        candidates.append(str(Path(which).resolve().parent))
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresCluster:
    """A running cluster; :meth:`url` gives SQLAlchemy URLs for its databases."""

    bindir: Path
    folder: Path
    port: int
    user: str = "casework"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        _run(self, [str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"],
             check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def _as_cluster_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _run(cluster: PostgresCluster, command: list[str], check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(_as_cluster_owner(command), capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        log = cluster.folder / "server.log"
        extra = log.read_text()[-2000:] if log.exists() else ""
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}\n{extra}")
    return result


def start_cluster() -> PostgresCluster:
    """Create and start a cluster; raises ``RuntimeError`` with :data:`MISSING` when PostgreSQL is not installed."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError(MISSING)
    folder = Path(tempfile.mkdtemp(prefix="casework-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = PostgresCluster(bindir, folder, _free_port())
    data = folder / "data"
    _run(cluster, [str(bindir / "initdb"), "-D", str(data), "-U", cluster.user, "--auth=trust", "-E", "UTF8",
                   "--locale=C", "--no-sync"])
    options = (f"-p {cluster.port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    _run(cluster, [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"),
                   "-w", "-t", "60", "start"])
    return cluster
