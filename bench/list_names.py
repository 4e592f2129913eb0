#!/usr/bin/env python3
"""List search and sort by the Customer column's name (issue 15, item 7) against the same queries without it, on
one SQLite data set, measured side by side in one run.

For "My active cases" (the Home list: a few hundred rows of one agent) and "All active cases" (every open case),
each query is timed ``--runs`` times in turn (interleaved, so drift hits all alike): the list's search as it was
(title, ticket number), the search with the customer's name (what the list sends now), and the list sorted by
customer name against the default sort. Prints JSON (medians and p95 in ms) and a one-line summary of the ratios.

Usage: .venv/bin/python bench/list_names.py [--cases 100000] [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.launch import start_server  # noqa: E402
from server.seed import DEMO_PASSWORD  # noqa: E402

SEARCH = "printer"


def queries(me: str) -> dict[str, dict[str, str]]:
    mine, active = f"ownerid eq {me} and statecode eq 0", "statecode eq 0"
    old = f"(contains(title,'{SEARCH}') or contains(ticketnumber,'{SEARCH}'))"
    new = f"(contains(title,'{SEARCH}') or contains(ticketnumber,'{SEARCH}') or contains(customeridname,'{SEARCH}'))"
    page = {"$top": "50", "$count": "true"}
    return {
        "mine_search_before": {**page, "$filter": f"{mine} and {old}", "$orderby": "createdon desc"},
        "mine_search_after": {**page, "$filter": f"{mine} and {new}", "$orderby": "createdon desc"},
        "mine_sort_created": {**page, "$filter": mine, "$orderby": "createdon desc"},
        "mine_sort_customer": {**page, "$filter": mine, "$orderby": "customeridname asc,createdon desc"},
        "all_search_before": {**page, "$filter": f"{active} and {old}", "$orderby": "createdon desc"},
        "all_search_after": {**page, "$filter": f"{active} and {new}", "$orderby": "createdon desc"},
        "all_sort_created": {**page, "$filter": active, "$orderby": "createdon desc"},
        "all_sort_customer": {**page, "$filter": active, "$orderby": "customeridname asc,createdon desc"},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_server(Path(data_dir), "--scale", str(args.cases), timeout=1800)
        try:
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
            body = json.dumps({"username": "agent3", "password": DEMO_PASSWORD}).encode()
            login = urllib.request.Request(server.url + "api/auth/login", data=body,
                                           headers={"Content-Type": "application/json"})
            with opener.open(login, timeout=60) as response:
                me = json.load(response)["user"]["systemuserid"]
            named = queries(me)
            samples: dict[str, list[float]] = {name: [] for name in named}
            statuses: dict[str, int] = {}
            for _ in range(args.runs):
                for name, params in named.items():
                    start = time.perf_counter()
                    with opener.open(server.url + "api/incidents?" + urlencode(params), timeout=120) as response:
                        response.read()
                    samples[name].append((time.perf_counter() - start) * 1000)
                    statuses[name] = response.status
        finally:
            server.stop()
    figures = {name: {"median_ms": round(statistics.median(values), 2),
                      "p95_ms": round(sorted(values)[max(0, int(len(values) * 0.95) - 1)], 2),
                      "status": statuses[name]} for name, values in samples.items()}

    def ratio(after: str, before: str) -> float:
        return round(figures[after]["median_ms"] / figures[before]["median_ms"], 2)

    ratios = {"mine_search": ratio("mine_search_after", "mine_search_before"),
              "mine_sort": ratio("mine_sort_customer", "mine_sort_created"),
              "all_search": ratio("all_search_after", "all_search_before"),
              "all_sort": ratio("all_sort_customer", "all_sort_created")}
    print(json.dumps({"cases": args.cases, "runs": args.runs, "figures": figures, "ratios": ratios}, indent=2))
    print(f"list names at {args.cases:,} cases: my cases search {figures['mine_search_after']['median_ms']} ms "
          f"({ratios['mine_search']}x), sort by customer {figures['mine_sort_customer']['median_ms']} ms "
          f"({ratios['mine_sort']}x); all active search {figures['all_search_after']['median_ms']} ms "
          f"({ratios['all_search']}x), sort by customer {figures['all_sort_customer']['median_ms']} ms "
          f"({ratios['all_sort']}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
