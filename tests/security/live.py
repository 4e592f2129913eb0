"""Real servers for the security tests: ``python -m server`` on a free loopback port, raw HTTP to it, and parallel
requests released together (bounded in count; every socket has a timeout)."""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from server.launch import RunningServer, start_server

TIMEOUT = 60.0


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def start(data_dir: Path, *args: str) -> RunningServer:
    """A server with no demo data (no users: every sign-in is checked against the dummy hash, at full cost)."""
    return start_server(data_dir, "--no-seed", *args)


def request(server: RunningServer, method: str, path: str, body: object = None,
            headers: dict[str, str] | None = None) -> Answer:
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        sent = {"Content-Type": "application/json"} if payload is not None else {}
        conn.request(method, path, body=payload, headers={**sent, **(headers or {})})
        response = conn.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


def login(server: RunningServer, username: str, password: str, headers: dict[str, str] | None = None) -> Answer:
    return request(server, "POST", "/api/auth/login", {"username": username, "password": password}, headers)


def in_parallel(count: int, call) -> list:
    """Run ``call(i)`` for ``i < count`` in threads released at once by a barrier; their results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        barrier.wait(TIMEOUT)
        try:
            results[index] = call(index)
        except Exception as exc:  # an answer the test asserts on, not a lost thread
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 2)
    assert not any(thread.is_alive() for thread in threads), "a request did not finish"
    return results


def peak_rss_mb(server: RunningServer) -> float:
    """The server process's peak resident memory (VmHWM) in MB."""
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc")
