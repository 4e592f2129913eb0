#!/usr/bin/env python3
"""The inbox at 1,000+ items: key to reading pane painted, and view switches.

    .venv/bin/python bench/inbox.py                      # 1,000 assigned conversations + the seed's own items
    .venv/bin/python bench/inbox.py --conversations 1000 --moves 100 --switches 30

Setup: the real server on a fresh seeded database (``--scale 1000`` cases); ``--conversations`` Active live chats
are inserted as assigned to agent5, each with one customer message, so "Assigned conversations" alone holds 1,000
items (with agent5's cases, activities and e-mail from the seed on top). Chromium at 1440x900, signed in as agent5.

Measured in the page:
- ``move``: a ``keydown`` of ``j`` dispatched on the inbox's list (the handler runs synchronously in Python) to the
  next animation frame, in which the reading pane shows the newly selected item: ``handler_ms`` is the synchronous
  part, ``frame_ms`` includes the wait for the frame (what the agent sees). The pane's facts come from the item;
  a conversation's transcript request is started then and arrives later (``transcript_ms``: to the transcript's
  first message in the DOM, sampled every frame for the first 20 moves).
- ``switch``: a click on a view button to the next frame with that view's list rendered.
Prints one JSON document and a one-line summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.launch import CHROMIUM_FLAGS, chromium_executable, sign_in, start_server  # noqa: E402

AGENT = "agent5"
GOAL_MOVE_P95_MS = 50.0
GOAL_SWITCH_P95_MS = 100.0

MOVE_JS = """async (withTranscript) => {
  const list = document.getElementById('inbox-list');
  const start = performance.now();
  list.dispatchEvent(new KeyboardEvent('keydown', {key: 'j', bubbles: true, cancelable: true}));
  const handled = performance.now();
  const selected = document.querySelector('#inbox-list .inbox-card.is-selected');
  const key = selected && selected.dataset.key;
  const frame = await new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
  const shown = window.caseworkInboxPainted === key;
  let transcript = null;
  if (withTranscript) {
    transcript = await new Promise((resolve) => {
      const check = () => {
        if (document.querySelector('#inbox-pane .transcript li')) resolve(performance.now() - start);
        else if (performance.now() - start > 5000) resolve(null);
        else requestAnimationFrame(check);
      };
      check();
    });
  }
  return {handler_ms: handled - start, frame_ms: frame - start, shown, transcript_ms: transcript};
}"""

SWITCH_JS = """async (view) => {
  const button = document.getElementById('inbox-view-' + view);
  const start = performance.now();
  button.click();
  const handled = performance.now();
  const frame = await new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
  const title = document.getElementById('inbox-list-title').textContent;
  return {handler_ms: handled - start, frame_ms: frame - start, title,
          cards: document.querySelectorAll('#inbox-list .inbox-card').length};
}"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summarise(values: list[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {}
    return {"p50": round(statistics.median(values), 1), "p95": round(percentile(values, 0.95), 1),
            "max": round(max(values), 1), "n": len(values)}


def _insert(data_dir: Path, count: int) -> None:
    from sqlalchemy import create_engine, insert, select

    from server.db import schema

    engine = create_engine(f"sqlite:///{(data_dir / 'casework.sqlite3').as_posix()}")
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        agent = conn.execute(select(schema.systemusers.c.systemuserid).where(
            schema.systemusers.c.domainname == AGENT)).scalar_one()
        queue = conn.execute(select(schema.queues.c.queueid)).scalars().first()
        conversations, messages = [], []
        for n in range(count):
            cid, at = str(uuid.uuid4()), now - dt.timedelta(minutes=n)
            conversations.append({
                "conversationid": cid, "channel": ("chat", "sms", "whatsapp")[n % 3], "title": f"Question {n}",
                "customerhandle": f"bench-{n}", "customername": f"Customer {n:04d}", "queueid": queue,
                "ownerid": agent, "statuscode": 2, "statecode": 0, "units": 1, "lastsequence": 1,
                "createdon": at, "modifiedon": at, "lastmessageon": at, "versionnumber": 1})
            messages.append({
                "messageid": str(uuid.uuid4()), "conversationid": cid, "channel": "chat", "sequence": 1,
                "direction": "inbound", "sendertype": "customer", "senderid": f"bench-{n}",
                "sendername": f"Customer {n:04d}", "text": f"My order {n} has not arrived yet.", "attachments": "[]",
                "providermessageid": f"bench-{cid}", "deliverystate": "delivered", "senton": at, "createdon": at,
                "modifiedon": at, "versionnumber": 1})
        conn.execute(insert(schema.conversations), conversations)
        conn.execute(insert(schema.conversationmessages), messages)
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--moves", type=int, default=100)
    parser.add_argument("--switches", type=int, default=30)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="casework-inbox-bench-") as folder:
        data_dir = Path(folder)
        server = start_server(data_dir, "--scale", "1000", timeout=600)
        try:
            _insert(data_dir, args.conversations)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium_executable(playwright.chromium.executable_path), args=CHROMIUM_FLAGS)
                try:
                    context = browser.new_context(viewport={"width": 1440, "height": 900})
                    sign_in(context, server.url, AGENT)
                    page = context.new_page()
                    page.goto(server.url)
                    page.wait_for_selector("body[data-ready]", state="attached", timeout=120_000)
                    page.wait_for_function(
                        f"() => Number((document.querySelector('#inbox-view-assigned .inbox-view-count') || "
                        f"{{}}).textContent) >= {args.conversations}", timeout=120_000)
                    counts = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.inbox-view')]
                        .map((b) => [b.dataset.view, Number(b.querySelector('.inbox-view-count').textContent)]))""")
                    opened = page.evaluate("""async () => {
                      const start = performance.now();
                      document.getElementById('inbox-entry').click();
                      await new Promise((r) => requestAnimationFrame(r));
                      return performance.now() - start;
                    }""")
                    page.evaluate("() => document.getElementById('inbox-view-assigned').click()")
                    page.locator("#inbox-list").focus()
                    moves = [page.evaluate(MOVE_JS, index < 20) for index in range(args.moves)]
                    views = ["cases", "assigned", "activities", "email", "unassigned", "resolved"]
                    switches = [page.evaluate(SWITCH_JS, views[i % len(views)]) for i in range(args.switches)]
                    to_assigned = [s for s in switches if s["title"] == "Assigned conversations"]
                finally:
                    browser.close()
        finally:
            server.stop()
    result = {
        "benchmark": "inbox.keyboard_and_view_switch",
        "items_in_views": sum(counts.values()),
        "view_counts": counts,
        "open_inbox_ms": round(opened, 1),
        "move_key_to_pane_painted_ms": summarise([m["frame_ms"] for m in moves]),
        "move_handler_ms": summarise([m["handler_ms"] for m in moves]),
        "move_pane_shown_every_time": all(m["shown"] for m in moves),
        "move_to_transcript_ms": summarise([m["transcript_ms"] for m in moves[:20]]),
        "switch_view_painted_ms": summarise([s["frame_ms"] for s in switches]),
        "switch_view_handler_ms": summarise([s["handler_ms"] for s in switches]),
        "switch_to_1000_item_view_painted_ms": summarise([s["frame_ms"] for s in to_assigned]),
        "goal_p95_ms": {"move": GOAL_MOVE_P95_MS, "switch": GOAL_SWITCH_P95_MS},
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps(result, indent=2))
    move, switch = result["move_key_to_pane_painted_ms"], result["switch_view_painted_ms"]
    print(f"inbox: {result['items_in_views']} items; key→pane painted p95 {move.get('p95')} ms "
          f"(goal {GOAL_MOVE_P95_MS:g}); view switch p95 {switch.get('p95')} ms (goal {GOAL_SWITCH_P95_MS:g}); "
          f"load {result['load_average_before_after']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
