"""The static demo's browser side: its JSON documents fetched relative to the page, and the overlay in IndexedDB.

Thin on purpose: the logic (routing, ETags, the overlay, search) is ``casework.static_records``, tested under
CPython. ``window.caseworkIdb`` is web/demo/idb.js (the static build's ``js/idb.js``); each call is one IndexedDB
transaction. ``data/<name>.json`` is fetched with the page's ``caseworkFetch`` (relative, so a sub-path works).
"""

from __future__ import annotations

import json

import js

from browser.dom import find
from casework.static_records import MemoryKeyValue

DEMO_USER_KEY = "casework.demo.user"


def active() -> bool:
    """Whether this page is the static build (its index.html carries ``<meta name="casework-mode">``)."""
    return find(js.document, 'meta[name="casework-mode"][content="static"]') is not None


class FetchSource:
    """``casework.static_records.DataSource`` over ``data/<name>.json``, relative to the page."""

    def __init__(self, folder: str = "data/") -> None:
        self.folder = folder

    async def load(self, name: str) -> object:
        status, _headers, data = await js.caseworkFetch(f"{self.folder}{name}.json", "GET",
                                                        '{"Accept": "application/json"}', None)
        if int(status) != 200:
            raise OSError(f"the demo data {name}.json answered HTTP {status}")
        return json.loads(data.to_bytes())


class IndexedDBKeyValue:
    """``casework.static_records.KeyValue`` over ``window.caseworkIdb``."""

    async def items(self) -> dict[str, str]:
        return json.loads(str(await js.caseworkIdb.items()))

    async def put(self, key: str, text: str) -> None:
        await js.caseworkIdb.put(key, text)

    async def clear(self) -> None:
        await js.caseworkIdb.clear()


async def overlay_store() -> object:
    """IndexedDB when the browser allows it, else memory (the demo still works; writes last until a reload)."""
    store = IndexedDBKeyValue()
    try:
        await store.items()
        return store
    except Exception as error:  # private mode or disabled storage
        js.console.warn(f"demo overlay in memory only: {error!r}")
        return MemoryKeyValue()


def demo_user() -> str | None:
    try:
        value = js.window.localStorage.getItem(DEMO_USER_KEY)
    except Exception:
        return None
    return value if isinstance(value, str) and value else None


def choose_again(reason: str = "") -> None:
    """To the user chooser (the build's signin.html)."""
    try:
        js.window.localStorage.removeItem(DEMO_USER_KEY)
    except Exception:
        pass
    js.window.location.replace("signin.html" + (f"?reason={js.encodeURIComponent(reason)}" if reason else ""))
