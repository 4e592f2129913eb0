"""Extensions of record forms: parts other components add to a form (a case's timeline, its actions).

The record form page (``components.record_form``) calls every extension registered for its entity once, after its
first render, with itself as the host. An extension adds command buttons to ``host.toolbar`` and panels to
``host.side``, and follows the record through ``host.on_record``. The host offers:

* ``host.services`` (see ``components.pages.Services``), ``host.tab_id``, ``host.entity`` (``casework.entities``)
* ``host.record``: the record as last read or saved (``None`` for a new, unsaved one); ``host.record_id``
* ``host.toolbar``: element for command buttons; ``host.side``: element for side panels
* ``host.on_record(callback) -> unsubscribe``: ``callback(record)`` after every load, save or reload
* ``await host.ensure_saved() -> bool``: before an action: saves pending edits (asking the agent when needed);
  False when the agent cancelled or the save failed (the action must not run then)
* ``host.apply_record(record)``: the record an action returned (new ETag, new state) replaces the form's copy
* ``host.add_disposer(callback)``: called when the form goes away (unsubscribe from the bus, timers)
* ``host.set_extension_dirty(key, dirty)``: the extension holds unsaved work (the tab is marked, closing asks)
* ``host.add_view_state(getter)``: ``getter()`` adds keys to the view state session restore keeps; they come back
  in ``host.initial_state`` after a reload

Register with :func:`extend_form` in ``components/registry.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

Extension = Callable[[Any], None]
_EXTENSIONS: list[tuple[frozenset[str], Extension]] = []


def extend_form(entities: Iterable[str], install: Extension) -> None:
    """Add ``install(host)`` to the forms of ``entities`` (logical names, e.g. ``("incident",)``)."""
    _EXTENSIONS.append((frozenset(entities), install))


def extensions_for(logical: str) -> list[Extension]:
    """The extensions for a form of ``logical``, in registration order."""
    return [install for entities, install in _EXTENSIONS if logical in entities]


def start_now(coroutine: Coroutine) -> asyncio.Task:
    """Run ``coroutine`` at once, up to its first real wait, and return its task; the caller awaits it (and handles
    its errors there).

    ``components.pages.spawn`` only schedules a coroutine, so a request in it leaves after the current task, i.e.
    after the whole form is built. Started here, the request (``RecordClient`` calls ``fetch`` before its first
    await) leaves now and the server answers while the form builds its DOM.
    """
    return asyncio.Task(coroutine, loop=asyncio.get_event_loop(), eager_start=True)
