#!/usr/bin/env python3
"""Boot benchmark: time-to-ready of the workspace page against a bare Pyodide page, from the same server.

Ready means: ours set ``body[data-ready]`` (Python booted, shell rendered); bare ran one line of Python after
``loadPyodide()``. The time is read in the page (``performance.now()`` at ready, i.e. since navigation start).
Cold = a new browser context (empty cache); warm = a reload in that context. Runs alternate ours/bare so drift on a
noisy machine hits both alike. Prints the figures as JSON, then a one-line summary.

Usage: .venv/bin/python bench/boot.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.launch import server_and_browser, sign_in  # noqa: E402

PAGES = {"ours": "", "bare": "bench/bare.html"}
READY_JS = "window.caseworkBoot && window.caseworkBoot.readyAt"


def measure(browser, url: str) -> tuple[float, float]:
    """One cold load and one warm reload in a fresh context; returns milliseconds (cold, warm)."""
    context = browser.new_context()
    try:
        sign_in(context, url.split("bench/")[0])  # ours needs a signed-in agent; bare ignores the cookie
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(READY_JS, timeout=120_000)
        cold = page.evaluate(READY_JS)
        page.reload()
        page.wait_for_function(READY_JS, timeout=120_000)
        warm = page.evaluate(READY_JS)
        return cold, warm
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="measurements per page and mode (at least 5)")
    args = parser.parse_args(argv)
    runs = max(5, args.runs)

    samples: dict[str, dict[str, list[float]]] = {k: {"cold": [], "warm": []} for k in PAGES}
    with server_and_browser() as (server, browser):
        measure(browser, server.url)  # one unmeasured load each: the server's first zip build, disk cache
        measure(browser, server.url + PAGES["bare"])
        for run in range(runs):
            order = list(PAGES) if run % 2 == 0 else list(reversed(PAGES))
            for name in order:
                cold, warm = measure(browser, server.url + PAGES[name])
                samples[name]["cold"].append(cold)
                samples[name]["warm"].append(warm)

    def summary(values: list[float]) -> dict:
        return {"median_ms": round(statistics.median(values), 1), "min_ms": round(min(values), 1),
                "max_ms": round(max(values), 1), "samples_ms": [round(v, 1) for v in values]}

    result = {
        "benchmark": "boot",
        "runs": runs,
        "pages": {name: {mode: summary(values) for mode, values in modes.items()} for name, modes in samples.items()},
    }
    for mode in ("cold", "warm"):
        ours = statistics.median(samples["ours"][mode])
        bare = statistics.median(samples["bare"][mode])
        result[f"ratio_{mode}"] = round(ours / bare, 3)
    result["goal"] = {"ratio_cold_max": 1.15, "ratio_warm_max": 1.15}
    result["met"] = result["ratio_cold"] <= 1.15 and result["ratio_warm"] <= 1.15
    print(json.dumps(result, indent=2))
    ours, bare = result["pages"]["ours"], result["pages"]["bare"]
    print(
        f"boot: ours {ours['cold']['median_ms']:.0f} ms cold / {ours['warm']['median_ms']:.0f} ms warm, "
        f"bare {bare['cold']['median_ms']:.0f} / {bare['warm']['median_ms']:.0f} ms; "
        f"ratio {result['ratio_cold']:.2f} cold, {result['ratio_warm']:.2f} warm (goal <= 1.15)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
