"""The browser transport for ``casework.records``: one ``fetch`` per request through Pyodide's ``pyfetch``.

Thin on purpose (everything else is in the pure client). Same-origin credentials, so the session cookie goes along.
"""

from __future__ import annotations

from pyodide.http import pyfetch


class FetchTransport:
    """Implements ``casework.records.Transport`` with ``pyfetch``."""

    async def request(self, method: str, url: str, headers: dict[str, str], body: bytes | None
                      ) -> tuple[int, dict[str, str], bytes]:
        options = {"method": method, "headers": headers, "credentials": "same-origin"}
        if body is not None:
            options["body"] = body.decode()
        response = await pyfetch(url, **options)
        data = await response.bytes()
        return response.status, {k.lower(): v for k, v in dict(response.headers).items()}, data
