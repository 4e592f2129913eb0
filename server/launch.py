"""For the e2e tests and the benchmarks: start the real server on a free port, and find a Chromium to drive."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from server.settings import REPO_ROOT


@dataclass
class RunningServer:
    """A running ``python -m server`` child process and its URL (ends with ``/``)."""

    url: str
    data_dir: Path
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)

    def stop(self) -> None:
        """Terminate the server (kill it if it does not stop within 10 s)."""
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def start_server(data_dir: Path, *extra_args: str, timeout: float = 60) -> RunningServer:
    """Start the server with ``--port 0``; return once it printed its URL (migrated and seeded by then).

    Raises:
        RuntimeError: it exited or did not print its URL within ``timeout`` seconds (its output is included).
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "--port", "0", "--data-dir", str(data_dir), *extra_args],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
    )
    output: list[str] = []
    url: list[str] = []
    announced = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line.rstrip("\n"))
            match = re.search(r"running at (http://\S+/)", line)
            if match and not url:
                url.append(match.group(1))
                announced.set()
        announced.set()  # the process ended

    threading.Thread(target=pump, name="server-output", daemon=True).start()
    if not announced.wait(timeout) or not url:
        process.kill()
        raise RuntimeError("the server did not start:\n" + "\n".join(output))
    return RunningServer(url[0], data_dir, process, output)


DEMO_PASSWORD = "casework"


def sign_in(context: object, base_url: str, username: str = "agent3", password: str = DEMO_PASSWORD) -> None:
    """Sign a Playwright browser context in through the API (its cookies then carry the session).

    Raises:
        RuntimeError: the server refused the credentials.
    """
    response = context.request.post(base_url + "api/auth/login", data={"username": username, "password": password})
    if not response.ok:
        raise RuntimeError(f"sign-in as {username} failed: HTTP {response.status} {response.text()[:200]}")


SYSTEM_CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling Google's hosts, which this network refuses.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def chromium_executable(playwright_default: str | None) -> str | None:
    """Which Chromium to launch: ``None`` means Playwright's own (it is installed), else a path.

    Order: ``$CASEWORK_CHROMIUM``; Playwright's own browser where the user installed it; the system Chromium.

    Raises:
        LookupError: none of them exists.
    """
    explicit = os.environ.get("CASEWORK_CHROMIUM")
    if explicit:
        return explicit
    if playwright_default and os.path.exists(playwright_default):
        return None
    for candidate in (SYSTEM_CHROMIUM, shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    raise LookupError(
        "no Chromium found: run scripts/test (as root it installs Debian's chromium) or set CASEWORK_CHROMIUM"
    )


@contextlib.contextmanager
def server_and_browser(*server_args: str) -> Iterator[tuple[RunningServer, object]]:
    """For benchmarks: a fresh server (temporary data dir, ``server_args`` on its command line) and a launched
    Chromium; both stopped on exit."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as data_dir:
        server = start_server(Path(data_dir), *server_args)
        try:
            with sync_playwright() as playwright:
                executable = chromium_executable(playwright.chromium.executable_path)
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
                try:
                    yield server, browser
                finally:
                    browser.close()
        finally:
            server.stop()
