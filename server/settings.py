"""Server settings: one frozen object built by the CLI (or by tests) and handed to ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WEB_DIR = REPO_ROOT / "web"
DEFAULT_DATA_DIR = REPO_ROOT / "data"
#: Test pages and bench kits (page packages that are not the product), added to /app.zip only with ``--test-kits``.
TEST_KITS_DIR = REPO_ROOT / "tests" / "pagekits"


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know about where it runs.

    Attributes:
        data_dir: Folder for the embedded SQLite database (created if missing).
        web_dir: The static site served at ``/`` (index.html, main.py, vendor/ ...).
        database_url: SQLAlchemy URL; ``None`` means the SQLite file ``casework.sqlite3`` in ``data_dir``.
        seed: Seed deterministic demo data into an empty database.
        seed_cases: How many demo cases to seed (``None``: the default 5,000; ``--scale N``).
        production: Refuse demo credentials and never seed (``--production``).
        login_limiter: A ``server.auth.LoginLimiter`` to use (tests pass one with a fake clock).
        query_budget: Seconds a list or search request's queries may run before they are stopped and the request
            answers 503 ``query_timeout`` (``None``: no limit).
        smtp_url: Where e-mail goes: ``smtp://[user:password@]host[:port]`` sends through that server; ``None``
            (the demo default) records each message in the outbox table without sending it.
        mail_from: The sender address of e-mail sent from cases.
        password_checks: How many sign-in password checks may run at once (``None``: the core count, 1-4).
        python_packages: The packages of ``web/py`` that ``/app.zip`` ships (the product).
        extra_python_dirs: Folders whose contents are added to ``/app.zip`` as well (``--test-kits`` adds
            :data:`TEST_KITS_DIR` for the e2e tests and benchmarks; empty in a normal start).
    """

    data_dir: Path = DEFAULT_DATA_DIR
    web_dir: Path = DEFAULT_WEB_DIR
    database_url: str | None = None
    seed: bool = True
    seed_cases: int | None = None
    production: bool = False
    login_limiter: Any = None
    query_budget: float | None = 10.0
    smtp_url: str | None = None
    mail_from: str = "support@casework.example"
    password_checks: int | None = None
    python_packages: tuple[str, ...] = field(default=("apm", "casework", "browser", "components", "app"))
    extra_python_dirs: tuple[Path, ...] = ()

    @property
    def effective_database_url(self) -> str:
        """The URL the database layer opens."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'casework.sqlite3').as_posix()}"
