#!/usr/bin/env python3
"""Boot benchmark: time-to-ready of the workspace page against a bare Pyodide page, from the same server, and of
the static demo build (``scripts/build-static``, served by ``python -m http.server`` from a sub-path) against the
served page.

Ready means: ours set ``body[data-ready]`` (Python booted, shell rendered); bare ran one line of Python after
``loadPyodide()``. The time is read in the page (``performance.now()`` at ready, i.e. since navigation start).
Cold = a new browser context (empty cache); warm = a reload in that context. Runs alternate ours/bare so drift on a
noisy machine hits both alike. Prints the figures as JSON, then a one-line summary.

The static build is measured in the same run, interleaved with the others (``ratio_static_*`` = static / ours,
goal <= 1.05): a fresh build (``--static-cases``, default 1,000) and a demo user chosen through localStorage, as its
user chooser does; its warm reload waits until the build's service worker controls the page (it caches the runtime
after the first boot, see docs/static-demo.md). ``--no-static`` leaves it out.

Usage: .venv/bin/python bench/boot.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tempfile  # noqa: E402

from server.launch import server_and_browser, sign_in  # noqa: E402
from server.static_demo import build, serve  # noqa: E402

PAGES = {"ours": "", "bare": "bench/bare.html"}
READY_JS = "window.caseworkBoot && window.caseworkBoot.readyAt"
STATIC_SUB_PATH = "casework-demo"
STATIC_USER_JS = "localStorage.setItem('casework.demo.user', 'agent3')"


def wait_for_service_worker(page, timeout_ms: int = 60_000) -> None:
    """The static build's service worker (docs/static-demo.md) caches the runtime once it controls the page, which
    it does a moment after the first boot (it installs after ready so as not to slow that boot): the warm reload
    stands for a later visit, so it waits for that. A page without one answers at once."""
    page.evaluate("(ms) => Promise.race([window.caseworkBoot.serviceWorker || null,"
                  " new Promise((resolve) => setTimeout(resolve, ms))])", timeout_ms)


def measure(browser, url: str, static: bool = False) -> tuple[float, float]:
    """One cold load and one warm reload in a fresh context; returns milliseconds (cold, warm)."""
    context = browser.new_context()
    try:
        if static:  # the demo user the static build's chooser would store
            context.add_init_script(STATIC_USER_JS)
        else:  # ours needs a signed-in agent; bare ignores the cookie
            sign_in(context, url.split("bench/")[0])
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(READY_JS, timeout=120_000)
        cold = page.evaluate(READY_JS)
        if static:
            wait_for_service_worker(page)
        page.reload()
        page.wait_for_function(READY_JS, timeout=120_000)
        warm = page.evaluate(READY_JS)
        return cold, warm
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="measurements per page and mode (at least 5)")
    parser.add_argument("--no-static", action="store_true", help="leave out the static demo build")
    parser.add_argument("--static-cases", type=int, default=1000, help="cases in the static build (default 1000)")
    args = parser.parse_args(argv)
    runs = max(5, args.runs)
    names = [*PAGES, *([] if args.no_static else ["static"])]

    samples: dict[str, dict[str, list[float]]] = {k: {"cold": [], "warm": []} for k in names}
    with server_and_browser() as (server, browser), tempfile.TemporaryDirectory() as static_root:
        urls = {name: server.url + path for name, path in PAGES.items()}
        static_server = None
        if "static" in names:
            build(Path(static_root) / STATIC_SUB_PATH, args.static_cases)
            static_server = serve(Path(static_root), STATIC_SUB_PATH)
            urls["static"] = static_server.url
        try:
            for name in names:  # one unmeasured load each: the server's first zip build, disk cache
                measure(browser, urls[name], static=name == "static")
            for run in range(runs):
                order = names if run % 2 == 0 else list(reversed(names))
                for name in order:
                    cold, warm = measure(browser, urls[name], static=name == "static")
                    samples[name]["cold"].append(cold)
                    samples[name]["warm"].append(warm)
        finally:
            if static_server is not None:
                static_server.stop()

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
    if "static" in samples:
        for mode in ("cold", "warm"):
            result[f"ratio_static_{mode}"] = round(statistics.median(samples["static"][mode])
                                                   / statistics.median(samples["ours"][mode]), 3)
        result["goal"].update(ratio_static_cold_max=1.05, ratio_static_warm_max=1.05)
        result["static_met"] = result["ratio_static_cold"] <= 1.05 and result["ratio_static_warm"] <= 1.05
    print(json.dumps(result, indent=2))
    ours, bare = result["pages"]["ours"], result["pages"]["bare"]
    print(
        f"boot: ours {ours['cold']['median_ms']:.0f} ms cold / {ours['warm']['median_ms']:.0f} ms warm, "
        f"bare {bare['cold']['median_ms']:.0f} / {bare['warm']['median_ms']:.0f} ms; "
        f"ratio {result['ratio_cold']:.2f} cold, {result['ratio_warm']:.2f} warm (goal <= 1.15)"
    )
    if "static" in samples:
        static = result["pages"]["static"]
        print(f"static build: {static['cold']['median_ms']:.0f} ms cold / {static['warm']['median_ms']:.0f} ms warm; "
              f"vs ours {result['ratio_static_cold']:.2f} cold, {result['ratio_static_warm']:.2f} warm "
              f"(goal <= 1.05)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
