"""Issue 13's figures, before and after the hardening: the real server (``python -m server``) on loopback.

    .venv/bin/python bench/security.py                       # this checkout
    .venv/bin/python bench/security.py --repo /tmp/before     # another checkout of the code (the "before" figures)
    .venv/bin/python bench/security.py --only 4,5             # some of the findings

- **1, search snippets**: 20 cases whose description repeats one word (``thermostat``, 1,800 times: the
  20,000-character limit) on a small seeded data set; ``GET /api/search?q=thermostat&top=50`` alone, then ten at
  once while another agent lists cases (``GET /api/incidents?$top=25`` in a loop): the search times and that
  list request's latency (idle and during the ten).
- **4, the sign-in race**: 60 parallel wrong passwords for one username from one client; how many were checked
  and answered 401 (the limit is 5), 429 or 503.
- **5, the anonymous sign-in flood**: 60 parallel sign-ins with random usernames (each a full argon2id check,
  m=64 MiB) while ``/api/health`` is polled: the server's peak RSS growth (VmHWM) and the health latency.

Prints one JSON document and a one-line summary. Wall-clock figures on a shared machine: compare runs made on the
same machine at about the same time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORD = "thermostat"
DESCRIPTION = (WORD + " ") * 1800  # 19,800 characters: under the 20,000 limit
TIMEOUT = 600


class Server:
    def __init__(self, repo: Path, data_dir: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server", "--port", "0", "--data-dir", data_dir, *args], cwd=repo,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.process.stdout is not None
        for line in self.process.stdout:
            match = re.search(r"running at http://([\d.]+):(\d+)/", line)
            if match:
                self.host, self.port = match.group(1), int(match.group(2))
                break
        else:
            raise RuntimeError("the server did not start")
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)

    def memory_mb(self) -> dict[str, float]:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return {key: int(re.search(rf"{key}:\s+(\d+)", status).group(1)) / 1024 for key in ("VmRSS", "VmHWM")}

    def call(self, method: str, path: str, body: object = None, headers: dict | None = None
             ) -> tuple[int, list[tuple[str, str]], bytes, float]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        started = time.perf_counter()
        try:
            payload = json.dumps(body).encode() if body is not None else None
            sent = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, path, body=payload, headers={**sent, **(headers or {})})
            response = conn.getresponse()
            data = response.read()
            return response.status, response.getheaders(), data, time.perf_counter() - started
        finally:
            conn.close()


@contextmanager
def server(repo: Path, *args: str):
    with tempfile.TemporaryDirectory() as data_dir:
        running = Server(repo, data_dir, *args)
        try:
            yield running
        finally:
            running.stop()


def parallel(count: int, call) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = call(index)
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def poll(call, stop: threading.Event, interval: float = 0.05) -> list[float]:
    """``call()`` repeatedly until ``stop``; each one's latency in ms."""
    latencies: list[float] = []

    def run() -> None:
        while not stop.is_set():
            latencies.append(call()[3] * 1000)
            stop.wait(interval)

    thread = threading.Thread(target=run)
    thread.start()
    poll.threads.append(thread)  # type: ignore[attr-defined]
    return latencies


poll.threads = []  # type: ignore[attr-defined]


def ms(values: list[float]) -> dict:
    if not values:
        return {}
    return {"median_ms": round(statistics.median(values), 1), "max_ms": round(max(values), 1), "n": len(values)}


def sign_in(running: Server, username: str) -> dict:
    status, headers, body, _ = running.call("POST", "/api/auth/login", {"username": username,
                                                                        "password": "casework"})
    assert status == 200, body[:200]
    session = next(value.split(";")[0] for key, value in headers
                   if key.lower() == "set-cookie" and value.startswith("casework_session="))
    me = json.loads(body)
    return {"Cookie": session, "X-CSRF-Token": me["csrfToken"]}


def finding_1(repo: Path, ten: int) -> dict:
    with server(repo, "--scale", "200") as running:
        auth = sign_in(running, "agent1")
        status, _, body, _ = running.call("GET", "/api/accounts?$top=1", headers=auth)
        customer = json.loads(body)["value"][0]["accountid"]
        for n in range(20):
            status, _, body, _ = running.call("POST", "/api/incidents", {
                "title": f"Loop {n}", "customerid": customer, "customeridtype": "account",
                "description": DESCRIPTION}, headers=auth)
            assert status == 201, body[:200]
        search = f"/api/search?q={WORD}&top=50"
        listing = "/api/incidents?$top=25"
        idle_list = [running.call("GET", listing, headers=auth)[3] * 1000 for _ in range(10)]
        status, _, body, took = running.call("GET", search, headers=auth)
        one = {"status": status, "seconds": round(took, 3), "hits": len(json.loads(body).get("value", []))}
        stop = threading.Event()
        during = poll(lambda: running.call("GET", listing, headers=auth), stop)
        answers = parallel(ten, lambda _i: running.call("GET", search, headers=auth))
        stop.set()
        for thread in poll.threads:
            thread.join()
        poll.threads.clear()
        times = [a[3] for a in answers if not isinstance(a, Exception)]
        return {
            "one_search_s": one,
            f"{ten}_parallel_searches_s": {"median": round(statistics.median(times), 3), "max": round(max(times), 3),
                                          "statuses": sorted({a[0] for a in answers if not isinstance(a, Exception)})},
            "list_latency_idle": ms(idle_list),
            f"list_latency_during_{ten}_searches": ms(during),
        }


def finding_4(repo: Path) -> dict:
    with server(repo, "--no-seed") as running:
        username = f"ghost-{uuid.uuid4().hex[:8]}"
        answers = parallel(60, lambda _i: running.call("POST", "/api/auth/login",
                                                        {"username": username, "password": "wrong"}))
        statuses = [a[0] for a in answers if not isinstance(a, Exception)]
        return {"requests": 60, "limit": 5, "answered_401": statuses.count(401), "answered_429": statuses.count(429),
                "answered_503": statuses.count(503), "errors": sum(isinstance(a, Exception) for a in answers)}


def finding_5(repo: Path) -> dict:
    with server(repo, "--no-seed") as running:
        running.call("POST", "/api/auth/login", {"username": "warm-up", "password": "x"})
        idle_health = [running.call("GET", "/api/health")[3] * 1000 for _ in range(10)]
        before = running.memory_mb()
        stop = threading.Event()
        during = poll(lambda: running.call("GET", "/api/health"), stop, interval=0.02)
        started = time.perf_counter()
        answers = parallel(60, lambda _i: running.call("POST", "/api/auth/login", {
            "username": f"ghost-{uuid.uuid4().hex}", "password": "wrong"}))
        flood_s = time.perf_counter() - started
        stop.set()
        for thread in poll.threads:
            thread.join()
        poll.threads.clear()
        after = running.memory_mb()
        statuses = [a[0] for a in answers if not isinstance(a, Exception)]
        return {
            "requests": 60, "flood_seconds": round(flood_s, 2),
            "rss_before_mb": round(before["VmRSS"], 1), "peak_rss_mb": round(after["VmHWM"], 1),
            "peak_growth_mb": round(after["VmHWM"] - before["VmHWM"], 1),
            "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
            "health_idle": ms(idle_health), "health_during_flood": ms(during),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout whose server to run (default: this one)")
    parser.add_argument("--only", default="1,4,5", help="findings to measure, comma-separated (default: 1,4,5)")
    parser.add_argument("--parallel", type=int, default=10, help="parallel searches for finding 1 (default: 10)")
    args = parser.parse_args()
    only = {part.strip() for part in args.only.split(",")}
    result: dict = {"repo": str(args.repo)}
    if "4" in only:
        result["finding_4_sign_in_race"] = finding_4(args.repo)
    if "5" in only:
        result["finding_5_sign_in_flood"] = finding_5(args.repo)
    if "1" in only:
        result["finding_1_search_snippets"] = finding_1(args.repo, args.parallel)
    print(json.dumps(result, indent=2))
    parts = []
    if "finding_1_search_snippets" in result:
        f1 = result["finding_1_search_snippets"]
        key = f"{args.parallel}_parallel_searches_s"
        during = f1[f"list_latency_during_{args.parallel}_searches"]
        parts.append(f"1: one search {f1['one_search_s']['seconds']} s, {args.parallel} parallel max "
                     f"{f1[key]['max']} s, list {f1['list_latency_idle'].get('median_ms')} ms idle -> "
                     f"{during.get('median_ms')} ms median / {during.get('max_ms')} ms max during")
    if "finding_4_sign_in_race" in result:
        f4 = result["finding_4_sign_in_race"]
        parts.append(f"4: {f4['answered_401']} of 60 parallel wrong passwords checked (limit 5)")
    if "finding_5_sign_in_flood" in result:
        f5 = result["finding_5_sign_in_flood"]
        parts.append(f"5: peak RSS +{f5['peak_growth_mb']} MB, health {f5['health_idle'].get('median_ms')} ms idle "
                     f"-> {f5['health_during_flood'].get('max_ms')} ms max during 60 sign-ins")
    print("summary: " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
