"""API throughput and latency: get-by-id, a filtered list page, search and PATCH on a large SQLite data set, and
the same read workload against the npm package ``json-server`` serving an equivalent JSON export, as the peer.

    .venv/bin/python bench/api.py --cases 1000000            # seeds once into bench/results/data-1000000
    .venv/bin/python bench/api.py --cases 100000 --requests 1000 --concurrency 8

Prints one JSON document (figures per workload: p50/p99 in ms, requests/s) and a one-line summary with the ratios.
The load is bounded: ``--concurrency`` client threads, each on its own keep-alive connection, ``--requests`` per
workload. Seeding a million cases takes minutes; the data folder is kept and reused by later runs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.launch import start_server  # noqa: E402

SEARCH_WORDS = ["printer", "refund", "invoice", "battery", "router", "thermostat", "delivery", "warranty"]
LIST_PATH = ("/api/incidents?$filter=" + quote("statecode eq 0 and prioritycode eq 1")
             + "&$orderby=" + quote("createdon desc") + "&$top=25")
PEER_LIST_PATH = "/incidents?statecode=0&prioritycode=1&_sort=createdon&_order=desc&_limit=25"


class Session:
    """One keep-alive connection per thread, with our session cookie and CSRF header."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.headers = headers
        self.local = threading.local()

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None
                ) -> tuple[int, dict, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {**self.headers, **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                conn.request(method, path, body=data, headers=all_headers)
                response = conn.getresponse()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closes keep-alive connections that sat idle (between workloads): reconnect once.
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise
        payload = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        headers["set-cookie"] = "\n".join(response.msg.get_all("set-cookie") or [])
        return response.status, headers, payload


def measure(name: str, session: Session, make_request, requests: int, concurrency: int) -> dict:
    """Run ``requests`` calls of ``make_request(i) -> (method, path, body, headers)`` on ``concurrency`` threads."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(index: int) -> None:
        nonlocal errors
        method, path, body, headers = make_request(index)
        started = time.perf_counter()
        status, _, _ = session.request(method, path, body, headers)
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if status >= 400:
                errors += 1

    for index in range(min(20, requests)):  # warm up connections and caches
        one(index)
    latencies.clear()
    errors = 0
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(requests)))
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "workload": name, "requests": len(ordered), "errors": errors, "concurrency": concurrency,
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        "rps": round(len(ordered) / wall, 1),
    }


def sign_in(base: str) -> Session:
    anonymous = Session(base, {})
    status, headers, body = anonymous.request("POST", "/api/auth/login", {"username": "admin", "password": "casework"})
    if status != 200:
        raise SystemExit(f"bench: sign-in failed: {status} {body[:200]!r}")
    cookie = "; ".join(line.split(";")[0] for line in headers["set-cookie"].splitlines())
    return Session(base, {"Cookie": cookie, "X-CSRF-Token": json.loads(body)["csrfToken"]})


def sample_ids(database: Path, count: int, seed: int = 7) -> list[str]:
    with sqlite3.connect(database) as conn:
        total = conn.execute("SELECT max(rowid) FROM incidents").fetchone()[0]
        rng = random.Random(seed)
        rowids = rng.sample(range(1, total + 1), min(count, total))
        marks = ",".join("?" * len(rowids))
        return [row[0] for row in conn.execute(f"SELECT incidentid FROM incidents WHERE rowid IN ({marks})", rowids)]


def export_for_peer(database: Path, target: Path) -> None:
    """The cases as json-server data (``{"incidents": [{"id", ...}]}``), streamed to disk."""
    columns = ["incidentid", "ticketnumber", "title", "description", "customerid", "customeridtype", "prioritycode",
               "caseorigincode", "statecode", "statuscode", "subject", "productname", "ownerid", "queueid",
               "createdon", "modifiedon", "versionnumber"]
    with sqlite3.connect(database) as conn, target.open("w") as out:
        out.write('{"incidents": [\n')
        first = True
        for row in conn.execute(f"SELECT {', '.join(columns)} FROM incidents"):
            record = dict(zip(columns, row, strict=True))
            record["id"] = record.pop("incidentid")
            out.write(("" if first else ",\n") + json.dumps(record))
            first = False
        out.write("\n]}\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_peer(data: Path, ids: list[str], args: argparse.Namespace) -> list[dict]:
    binary = ROOT / "node_modules" / ".bin" / "json-server"
    if not binary.exists():
        raise SystemExit("bench: node_modules/.bin/json-server missing: run scripts/setup --dev (npm ci)")
    port = free_port()
    env = {**os.environ, "NODE_OPTIONS": "--max-old-space-size=16384"}
    process = subprocess.Popen([str(binary), "--port", str(port), "--host", "127.0.0.1", "--quiet", str(data)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        deadline = time.time() + 900
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.time() > deadline:
                    raise SystemExit("bench: json-server did not start (exit "
                                     f"{process.returncode}): {process.stderr.read().decode()[-300:]}") from None
                time.sleep(0.5)
        peer = Session(f"http://127.0.0.1:{port}", {})
        return [
            measure("peer get", peer, lambda i: ("GET", f"/incidents/{ids[i % len(ids)]}", None, None),
                    args.requests, args.concurrency),
            measure("peer list page", peer, lambda i: ("GET", PEER_LIST_PATH, None, None), args.requests,
                    args.concurrency),
            measure("peer search", peer, lambda i: ("GET", f"/incidents?q={SEARCH_WORDS[i % 8]}&_limit=10", None,
                                                    None), max(10, args.requests // 10), args.concurrency),
        ]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2000, help="requests per workload (default 2000)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--data-dir", type=Path, default=None, help="default: bench/results/data-<cases>")
    parser.add_argument("--no-peer", action="store_true", help="skip the json-server comparison")
    args = parser.parse_args(argv)

    data_dir = args.data_dir or ROOT / "bench" / "results" / f"data-{args.cases}"
    data_dir.mkdir(parents=True, exist_ok=True)
    seeded_before = (data_dir / "casework.sqlite3").exists()
    started = time.perf_counter()
    server = start_server(data_dir, "--scale", str(args.cases), timeout=4 * 3600)
    setup_seconds = round(time.perf_counter() - started, 1)
    results: list[dict] = []
    try:
        session = sign_in(server.url.rstrip("/"))
        ids = sample_ids(data_dir / "casework.sqlite3", 2000)
        results.append(measure("get", session, lambda i: ("GET", f"/api/incidents({ids[i % len(ids)]})", None, None),
                               args.requests, args.concurrency))
        results.append(measure("list page", session, lambda i: ("GET", LIST_PATH, None, None), args.requests,
                               args.concurrency))
        results.append(measure("search", session, lambda i: (
            "GET", f"/api/search?q={SEARCH_WORDS[i % 8]}&entities=incident&top=10", None, None),
            args.requests, args.concurrency))
        # PATCH: each request edits a different case, with the ETag read just before (not timed).
        etags = {}
        for case_id in ids[: args.requests + 20]:
            _, headers, _ = session.request("GET", f"/api/incidents({case_id})")
            etags[case_id] = headers["etag"]
        patch_ids = list(etags)
        results.append(measure("patch", session, lambda i: (
            "PATCH", f"/api/incidents({patch_ids[i]})", {"prioritycode": 1 + i % 3},
            {"If-Match": etags[patch_ids[i]]}), min(args.requests, len(patch_ids) - 20), args.concurrency))
    finally:
        server.stop()

    peer: list[dict] = []
    peer_error = None
    if not args.no_peer:
        export = data_dir / "json-server-db.json"
        if not export.exists():
            export_for_peer(data_dir / "casework.sqlite3", export)
        try:
            peer = run_peer(export, ids, args)
        except SystemExit as exc:  # our figures still count; say why the peer has none
            peer_error = str(exc)
    ours = {r["workload"]: r for r in results}
    ratios = {f"{name} rps ours/peer": round(ours[name]["rps"] / p["rps"], 2)
              for p in peer for name in [p["workload"].removeprefix("peer ")] if name in ours}
    report = {"cases": args.cases, "seeded_now": not seeded_before, "server_start_s": setup_seconds,
              "results": results, "peer_json_server": peer, "peer_error": peer_error, "ratios": ratios}
    print(json.dumps(report, indent=2))
    summary = ", ".join(f"{r['workload']} p50 {r['p50_ms']} ms p99 {r['p99_ms']} ms {r['rps']}/s" for r in results)
    print(f"bench/api.py: {args.cases} cases on SQLite: {summary}; ratios vs json-server: {ratios or 'not run'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
