"""The browser transport for ``casework.records``: one ``fetch`` per request, read whole in JavaScript.

Thin on purpose (everything else is in the pure client). Same-origin credentials, so the session cookie goes along.
``window.caseworkFetch`` (web/js/fetch.js) reads the headers and the body before it resolves, so Python resumes
once per request instead of twice (``pyfetch`` then ``bytes()``): each resume is an event-loop task, and while a
record opens those tasks wait behind the new tab's first frame (measured: the body's resume came 4-15 ms after the
headers', at 1,000,000 cases).
"""

from __future__ import annotations

import json

import js
from pyodide.ffi import JsException


class FetchTransport:
    """Implements ``casework.records.Transport`` over ``window.caseworkFetch``."""

    async def request(self, method: str, url: str, headers: dict[str, str], body: bytes | None
                      ) -> tuple[int, dict[str, str], bytes]:
        try:
            answer = await js.caseworkFetch(url, method, json.dumps(headers), body.decode() if body is not None
                                            else None)
        except JsException as error:  # the network (offline, refused, aborted): not an HTTP answer
            raise OSError(f"{method} {url}: {error}") from None
        status, header_json, data = answer
        return int(status), json.loads(header_json), data.to_bytes()
