"""The real server app in process, for browser-side client code tested under CPython."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.testclient import TestClient


class InProcessTransport:
    """Sends the records client's requests through Starlette's TestClient (the real app, in process)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    async def request(self, method, url, headers, body):
        response = self.client.request(method, url, headers=headers, content=body)
        return response.status_code, dict(response.headers), response.content


@contextmanager
def live_transport(seeded_template: Path, tmp_path: Path) -> Iterator[InProcessTransport]:
    """A transport to a fresh copy of the seeded database behind the real app (lifespan run)."""
    from server.app import create_app
    from server.settings import Settings

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(seeded_template, data_dir / "casework.sqlite3")
    with TestClient(create_app(Settings(data_dir=data_dir))) as client:
        yield InProcessTransport(client)
