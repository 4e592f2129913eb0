#!/usr/bin/env python3
"""Boot diagnostic: what each boot downloads, for the served page and the static demo build, cold and warm.

For every run it loads the page in a new browser context (cold), waits for ready, reloads it (warm, the same
context), and prints each load's resource timings as JSON (``performance.getEntriesByType('resource')``: name
relative to the page, transferSize, encodedBodySize, decodedBodySize, startTime, duration, and whether a service
worker answered: ``workerStart`` > 0 or ``deliveryType``), plus the load's ready time and totals. A transferSize of
0 with a body means the HTTP cache or a service worker's cache answered; 300 bytes or so is a 304 revalidation.

The static build is served as bench/boot.py serves it (``python -m http.server``, sub-path ``casework-demo``); the
warm reload of the static build waits for its service worker to control the page first (as bench/boot.py does).

Usage: .venv/bin/python bench/boot_resources.py [--runs 1] [--static-cases 1000] [--all]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.boot import READY_JS, STATIC_SUB_PATH, STATIC_USER_JS, wait_for_service_worker  # noqa: E402
from server.launch import server_and_browser, sign_in  # noqa: E402
from server.static_demo import build, serve  # noqa: E402

ENTRIES_JS = """() => performance.getEntriesByType('resource').map((e) => ({
  name: e.name, initiatorType: e.initiatorType, transferSize: e.transferSize, encodedBodySize: e.encodedBodySize,
  decodedBodySize: e.decodedBodySize, startTime: Math.round(e.startTime), duration: Math.round(e.duration),
  worker: e.workerStart > 0, deliveryType: e.deliveryType || '', status: e.responseStatus || 0,
}))"""
#: The files a boot cannot do without (the rest are the page's own css/js and its data requests).
BOOT_FILES = ("vendor/", "app.zip", "data/", "api/me")


def load(page, base: str, reload: bool) -> dict:
    if reload:
        page.reload()
    else:
        page.goto(base)
    page.wait_for_function(READY_JS, timeout=120_000)
    entries = page.evaluate(ENTRIES_JS)
    for entry in entries:
        entry["name"] = entry["name"].removeprefix(base)
    return {"ready_ms": round(page.evaluate(READY_JS), 1), "requests": len(entries),
            "transfer_bytes": sum(e["transferSize"] for e in entries),
            "entries": entries}


def run(browser, base: str, static: bool) -> dict:
    context = browser.new_context()
    try:
        if static:
            context.add_init_script(STATIC_USER_JS)
        else:
            sign_in(context, base)
        page = context.new_page()
        cold = load(page, base, reload=False)
        if static:
            wait_for_service_worker(page)
        warm = load(page, base, reload=True)
        return {"cold": cold, "warm": warm}
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--static-cases", type=int, default=1000)
    parser.add_argument("--all", action="store_true", help="every resource, not only the boot files")
    args = parser.parse_args(argv)
    result: dict = {"benchmark": "boot_resources", "runs": []}
    with server_and_browser() as (server, browser), tempfile.TemporaryDirectory() as static_root:
        build(Path(static_root) / STATIC_SUB_PATH, args.static_cases)
        static_server = serve(Path(static_root), STATIC_SUB_PATH)
        try:
            for _ in range(args.runs):
                result["runs"].append({"served": run(browser, server.url, static=False),
                                       "static": run(browser, static_server.url, static=True)})
        finally:
            static_server.stop()
    if not args.all:
        for pages in result["runs"]:
            for modes in pages.values():
                for measured in modes.values():
                    measured["entries"] = [e for e in measured["entries"]
                                           if e["name"].startswith(BOOT_FILES)]
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
