"""E2E fixtures: the real server on a free port with a temporary data dir, Chromium, and page guards.

Every page made here is guarded: a request to a non-loopback host, an uncaught page error or a console error fails
the test (``@pytest.mark.allow_page_errors`` lets a test that provokes errors assert them itself; requests to
other hosts are never allowed). Pages are "ready" when Python set ``body[data-ready]``. Contexts are signed in as
``agent3`` (default profile: 10 sessions, 10 tabs) through the API unless a test asks otherwise.

Browser: Playwright's own Chromium when it is installed, else the system one (``/usr/bin/chromium``), or
``$CASEWORK_CHROMIUM``. Booting Pyodide costs about 2.7 s per fresh browser context, so modules that can share a
booted page use ``shared_page`` and reset state through the API instead of booting again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from server.launch import CHROMIUM_FLAGS, RunningServer, chromium_executable, sign_in, start_server

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
READY_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, browser_type) -> dict:
    """pytest-playwright's launch arguments plus our flags and the Chromium we found."""
    args = {**browser_type_launch_args, "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_FLAGS]}
    try:
        executable = chromium_executable(browser_type.executable_path)
    except LookupError as exc:
        pytest.exit(str(exc), 3)
    if executable:
        args["executable_path"] = executable
    return args


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-error"):
        return True
    host = (parts.hostname or "").lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The real server (``python -m server``) on a free port with a temporary data dir, for the whole run; with the
    test pages of tests/pagekits in /app.zip (``--test-kits``)."""
    server = start_server(tmp_path_factory.mktemp("casework-data"), "--test-kits")
    yield server
    server.stop()


def _is_answered_api_error(text: str, url: str) -> bool:
    """Chromium logs every 4xx answer as a console error ("Failed to load resource: ... status of 404"). For our
    own API those are answers the page handles and shows (a record deleted meanwhile, a 412 conflict, a field
    error), so they are not page errors; a 4xx for anything else (a missing script or asset) and every 5xx still are.
    """
    if not text.startswith("Failed to load resource: the server responded with a status of 4"):
        return False
    return is_loopback(url) and urlsplit(url).path.startswith("/api/")


class PageGuard:
    """Records what a page must never do; :meth:`problems` lists it."""

    def __init__(self) -> None:
        self.external_requests: list[str] = []
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        self.requests: list[str] = []

    def watch_context(self, context: BrowserContext) -> None:
        context.on("request", self._on_request)
        context.on("page", self.watch_page)

    def watch_page(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("console", self._on_console)
        page.on("websocket", lambda ws: None if is_loopback(ws.url) else self.external_requests.append(ws.url))

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        if _is_answered_api_error(message.text, message.location.get("url", "")):
            return
        self.console_errors.append(message.text)

    def _on_request(self, request) -> None:
        self.requests.append(request.url)
        if not is_loopback(request.url):
            self.external_requests.append(request.url)

    def problems(self, allow_page_errors: bool = False) -> list[str]:
        found = [f"request to a non-loopback address: {url}" for url in self.external_requests]
        if not allow_page_errors:
            found += [f"uncaught page error: {text}" for text in self.page_errors]
            found += [f"console error: {text}" for text in self.console_errors]
        return found


def wait_ready(page: Page) -> None:
    """Wait until Python reports the workspace ready (or fail fast with the boot panel's text)."""
    page.wait_for_selector("body[data-ready], body[data-boot-failed]", state="attached", timeout=READY_TIMEOUT_MS)
    if page.evaluate("document.body.dataset.bootFailed"):
        raise AssertionError("boot failed: " + page.inner_text("#boot-error"))


@dataclass
class GuardedPages:
    """Factory for guarded browser contexts and pages; checks every guard when the test ends."""

    browser: Browser
    server: RunningServer
    contexts: list[tuple[BrowserContext, PageGuard]] = field(default_factory=list)

    def new_context(self, user: str | None = "agent3", **options) -> tuple[BrowserContext, PageGuard]:
        """A guarded browser context, signed in as ``user`` (``None``: not signed in)."""
        context = self.browser.new_context(viewport={"width": 1280, "height": 800}, **options)
        guard = PageGuard()
        guard.watch_context(context)
        self.contexts.append((context, guard))
        if user is not None:
            sign_in(context, self.server.url, user)
        return context, guard

    def open(
        self,
        path: str = "",
        *,
        ready: bool = True,
        before_goto: Callable[[Page], None] | None = None,
        user: str | None = "agent3",
    ) -> Page:
        """A new page in its own context, signed in as ``user``, at ``path``; waits for readiness unless told not."""
        context, guard = self.new_context(user)
        page = context.new_page()
        page.guard = guard  # type: ignore[attr-defined]
        if before_goto:
            before_goto(page)
        page.goto(self.server.url + path)
        if ready:
            wait_ready(page)
        return page

    def check_and_close(self, allow_page_errors: bool) -> list[str]:
        problems = []
        for context, guard in self.contexts:
            problems += guard.problems(allow_page_errors)
            context.close()
        self.contexts.clear()
        return problems


@pytest.fixture
def pages(browser: Browser, live_server: RunningServer, request: pytest.FixtureRequest) -> Iterator[GuardedPages]:
    """Guarded pages for one test; the test fails if any of them misbehaved."""
    factory = GuardedPages(browser, live_server)
    yield factory
    problems = factory.check_and_close(request.node.get_closest_marker("allow_page_errors") is not None)
    if problems:
        pytest.fail("page guard:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def workspace_page(pages: GuardedPages) -> Page:
    """A freshly booted workspace page in its own browser context."""
    return pages.open()


@pytest.fixture(scope="module")
def _module_page(browser: Browser, live_server: RunningServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    """The module's booted page, signed in as the module's ``PAGE_USER`` (default agent3)."""
    factory = GuardedPages(browser, live_server)
    page = factory.open(user=getattr(request.module, "PAGE_USER", "agent3"))
    yield page
    factory.check_and_close(True)


@pytest.fixture
def shared_page(_module_page: Page) -> Iterator[Page]:
    """One booted page reused by every test of a module (tests reset state through the API).

    The guard is checked after each test and then cleared, so a problem is blamed on the test that caused it.
    """
    guard: PageGuard = _module_page.guard  # type: ignore[attr-defined]
    yield _module_page
    problems = guard.problems()
    guard.external_requests.clear()
    guard.page_errors.clear()
    guard.console_errors.clear()
    if problems:
        pytest.fail("page guard (shared page):\n" + "\n".join(problems), pytrace=False)
