#!/usr/bin/env python3
"""How much of the window Home's lists use, and how many of their cells are cut (issue 15, item 8).

In the real page (a fresh server on the seeded data, Chromium, signed in as agent3 unless ``--user``), Home at each
viewport size; measured in the page, with the page scrolled to its top (what the agent sees first):
- ``rows_share``: the area of list rows (``tbody tr[data-id]``) actually visible, each row clipped by its list's
  scroll box and by the window, over the window's area;
- ``lists_share``: the same for the lists' boxes (heading, filters, grid and pager), i.e. the part of the window
  the lists take at all;
- ``visible_rows`` / ``rows``: rows visible without scrolling / rows rendered;
- ``truncated_cells`` / ``cells``: grid cells (and column headers) whose text does not fit (``scrollWidth >
  clientWidth``) or that lie outside their list's box sideways (a grid wider than its box) among the visible
  rows, and their column names;
- ``page_scrolls``: the page itself (not a list) is taller than the window;
- ``developer_line``: the "Python … running in your browser" line is shown.
Prints JSON, then a one-line summary per size.

    .venv/bin/python bench/home_layout.py
    .venv/bin/python bench/home_layout.py --sizes 2560x1300 1440x900 1024x700 --user supervisor
    .venv/bin/python bench/home_layout.py --shots /tmp/home-shots   # + a screenshot of each size
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.launch import server_and_browser, sign_in  # noqa: E402

MEASURE_JS = """() => {
  const panel = document.querySelector('#panel-home-dashboard');
  const W = window.innerWidth, H = window.innerHeight;
  const clip = (r, c) => ({left: Math.max(r.left, c.left), top: Math.max(r.top, c.top),
                           right: Math.min(r.right, c.right), bottom: Math.min(r.bottom, c.bottom)});
  const area = (r) => Math.max(0, r.right - r.left) * Math.max(0, r.bottom - r.top);
  const view = {left: 0, top: 0, right: W, bottom: H};
  let rowsArea = 0, listsArea = 0, visibleRows = 0, rows = 0, cells = 0;
  const cut = {};
  for (const list of panel.querySelectorAll('.list-view')) {
    listsArea += area(clip(list.getBoundingClientRect(), view));
    const scroller = list.querySelector('.list-scroll');
    const box = clip(scroller.getBoundingClientRect(), view);
    for (const th of list.querySelectorAll('thead th[data-column]')) {
      const inner = th.querySelector('.list-sort') || th;
      cells += 1;
      if (inner.scrollWidth > inner.clientWidth + 1) cut[`${list.dataset.list}.${th.dataset.column} (header)`] =
        (cut[`${list.dataset.list}.${th.dataset.column} (header)`] || 0) + 1;
    }
    for (const tr of list.querySelectorAll('tbody tr[data-id]')) {
      rows += 1;
      const seen = area(clip(tr.getBoundingClientRect(), box));
      if (seen <= 0) continue;
      rowsArea += seen;
      visibleRows += 1;
      for (const td of tr.querySelectorAll('td[data-column]')) {
        cells += 1;
        const r = td.getBoundingClientRect();
        const hidden = r.right > box.right + 1 || r.left < box.left - 1;  // scrolled out of its box sideways
        if (hidden || td.scrollWidth > td.clientWidth + 1) {
          const key = `${list.dataset.list}.${td.dataset.column}${hidden ? ' (out of view)' : ''}`;
          cut[key] = (cut[key] || 0) + 1;
        }
      }
    }
  }
  const line = [...document.querySelectorAll('p')].some(
    (p) => /running in your browser/.test(p.textContent) && p.getClientRects().length > 0);
  return {rows_share: rowsArea / (W * H), lists_share: listsArea / (W * H), visible_rows: visibleRows, rows,
          truncated_cells: Object.values(cut).reduce((a, b) => a + b, 0), cells, truncated_columns: cut,
          page_scrolls: document.scrollingElement.scrollHeight > H + 1
                        || panel.scrollHeight > panel.clientHeight + 1,
          developer_line: line};
}"""

SETTLED_JS = """() => {
  const lists = document.querySelectorAll('#panel-home-dashboard .list-view');
  return lists.length > 0 && [...lists].every((l) => !l.classList.contains('is-loading'))
    && ![...document.querySelectorAll('#panel-home-dashboard td[data-column]')].some((td) => td.textContent === '…');
}"""


def measure(browser, url: str, user: str, width: int, height: int, shots: str | None = None) -> dict:
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        sign_in(context, url, user)
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        page.wait_for_selector("#panel-home-dashboard tbody tr[data-id]", timeout=30_000)
        page.wait_for_function(SETTLED_JS, timeout=30_000)
        result = page.evaluate(MEASURE_JS)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"home-{user}-{width}x{height}.png"))
        return result
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["2560x1300", "1440x900"], help="WIDTHxHEIGHT")
    parser.add_argument("--user", default="agent3")
    parser.add_argument("--shots", help="a folder for a screenshot of each size")
    args = parser.parse_args(argv)
    results = {}
    with server_and_browser() as (server, browser):
        for size in args.sizes:
            width, height = (int(part) for part in size.split("x"))
            results[size] = measure(browser, server.url, args.user, width, height, args.shots)
    print(json.dumps({"user": args.user, "sizes": results}, indent=2))
    for size, r in results.items():
        print(f"{size}: rows use {100 * r['rows_share']:.0f}% of the window (lists {100 * r['lists_share']:.0f}%), "
              f"{r['visible_rows']}/{r['rows']} rows visible, {r['truncated_cells']}/{r['cells']} cells cut, "
              f"page scrolls: {r['page_scrolls']}, developer line: {r['developer_line']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
