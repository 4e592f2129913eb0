"""Background coroutines in the page: started, kept alive until they end, and their failures reported."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable, Coroutine

import js

_BACKGROUND: set[asyncio.Future] = set()


def spawn(coroutine: Coroutine, on_error: Callable[[BaseException], None] | None = None) -> asyncio.Future:
    """Run ``coroutine`` in the background, keep a reference until it ends, and report its failure (never
    silently drop it): ``on_error`` gets the exception; without one it goes to the console."""
    task = asyncio.ensure_future(coroutine)
    _BACKGROUND.add(task)

    def finished(done: asyncio.Future) -> None:
        _BACKGROUND.discard(done)
        if done.cancelled():
            return
        error = done.exception()
        if error is None:
            return
        if on_error is not None:
            on_error(error)
        else:
            js.console.error("".join(traceback.format_exception(error)))

    task.add_done_callback(finished)
    return task
