"""The composition root of the page: builds the model, the record client, the pages, the view and the browser
adapters, and connects them (``app.boot``). ``web/main.py`` hands over to :func:`app.boot.start`; no module of
``apm``, ``casework``, ``browser`` or ``components`` imports this package (the import-linter contract in
pyproject.toml checks it).

:data:`handle` is the ONE way into a running page for tests, benchmarks and (next) the developer console, in the
page's Python (e.g. a test's ``run_python``)::

    from app import handle
    handle.workspace.focused_tab_id
    handle.services.open_record("incident", record_id, "home")
    handle.host.page(tab_id).view_state()
    handle.restore.save_ms

Modules named in ``window.caseworkExtensions`` before boot (a Playwright init script) are imported and their
``install(handle)`` called before the first render, so they can register pages; they must be in ``/app.zip``, which
holds only the product unless the server was started with ``--test-kits`` (then ``tests/pagekits`` is added).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apm.facade import Apm
    from apm.model import Workspace
    from browser.peers import PeerPresence
    from browser.restore import PageRestore
    from casework.records import RecordClient
    from components.pages import PageHost, Services
    from components.workspace_view import WorkspaceView


class Handle:
    """The booted page's objects (``None`` before boot built them).

    Attributes:
        services: What pages share (``components.pages.Services``): every other attribute is reached from here.
        restore: Session restore of this page, ``None`` when off or blocked by the browser.
    """

    def __init__(self) -> None:
        self.services: Services | None = None
        self.restore: PageRestore | None = None

    def _services(self) -> Services:
        if self.services is None:
            raise RuntimeError("the workspace is not built yet (wait for body[data-ready])")
        return self.services

    @property
    def workspace(self) -> Workspace:
        return self._services().workspace

    @property
    def client(self) -> RecordClient:
        return self._services().client

    @property
    def host(self) -> PageHost:
        host = self._services().host
        assert host is not None
        return host

    @property
    def api(self) -> Apm | None:
        return self._services().api

    @property
    def view(self) -> WorkspaceView | None:
        return self._services().view

    @property
    def peers(self) -> PeerPresence | None:
        return self._services().peers


handle = Handle()

__all__ = ["Handle", "handle"]
