"""Running a coroutine from a synchronous test, whatever the thread already runs."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine


def run(coroutine: Coroutine):
    """``asyncio.run`` in a thread of its own: in a whole-suite run, Playwright's sync API (the e2e tests) keeps an
    event loop running in the main thread, where ``asyncio.run`` refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
