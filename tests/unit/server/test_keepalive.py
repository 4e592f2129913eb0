"""Keep-alive responses are not held back by Nagle's algorithm (the server's sockets have TCP_NODELAY)."""

from __future__ import annotations

import http.client
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

from server.launch import start_server


def test_repeated_requests_on_one_connection_answer_without_the_delayed_ack_stall(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", "--no-seed")
    try:
        parts = urlsplit(server.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        timings = []
        for _ in range(8):
            started = time.perf_counter()
            conn.request("GET", "/api/health")
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            timings.append(time.perf_counter() - started)
        conn.close()
    finally:
        server.stop()
    # With Nagle on, every response after the first waited for the client's delayed ACK: about 40 ms each.
    assert statistics.median(timings[1:]) < 0.025, timings
