"""The developer console's packages in the page: micropip (offline, from our own index), requests and urllib
patched by pyodide-http, loaded the first time a console runs something (never at boot).

* ``pyodide_js.loadPackage`` loads ``micropip``, ``pyodide-http`` and ``requests`` (with urllib3, idna, certifi and
  charset-normalizer) by name from the vendored Pyodide folder; their sha256 in ``pyodide-lock.json`` is the one of
  the wheels scripts/vendor.py placed there.
* ``micropip.set_index_urls`` points micropip at this server's ``/api/simple/`` only (``wheels/``, server/wheels.py):
  nothing is fetched from PyPI, and a package no wheel has fails at once with micropip's own message.
* ``pyodide_http.patch_all()`` makes ``requests`` and ``urllib.request`` send synchronous XMLHttpRequests, which
  are same-origin, so they carry the agent's session cookie. On the main thread: no timeouts (the browser refuses
  them on a synchronous request), no streaming (``stream=True`` downloads everything first), binary bodies travel
  as text and are converted back, and the page is frozen while a request is in flight. Writes need the CSRF
  header: ``headers={"X-CSRF-Token": csrf}`` (``csrf`` is pre-imported). requests' default ``Accept-Encoding``
  and ``Connection`` headers are dropped (the browser sets them and refuses them from scripts).
"""

from __future__ import annotations

import js

PACKAGES = ("micropip", "pyodide-http", "requests")


def index_url() -> str:
    """This server's simple index, absolute, without a trailing slash."""
    return str(js.URL.new("api/simple", js.document.baseURI).href)  # micropip appends "/<name>/"


async def prepare(namespace: dict) -> None:
    """Load the packages and put ``micropip``, ``requests`` and ``pyodide_http`` in the console's namespace."""
    import pyodide_js

    await pyodide_js.loadPackage(list(PACKAGES), js.Object.fromEntries([["messageCallback", lambda _m: None]]))
    import micropip
    import pyodide_http

    micropip.set_index_urls([index_url()])
    pyodide_http.patch_all()
    import requests
    import requests.sessions

    _quiet_forbidden_headers(requests)
    namespace.update({"micropip": micropip, "requests": requests, "pyodide_http": pyodide_http,
                      "base_url": str(js.document.baseURI)})


def _quiet_forbidden_headers(requests: object) -> None:
    """Leave out requests' default ``Accept-Encoding`` and ``Connection``: the browser sets those itself and logs
    "Refused to set unsafe header" for each (the page's console errors would hide real ones)."""
    sessions = requests.sessions  # type: ignore[attr-defined]
    original = sessions.default_headers

    def default_headers() -> object:
        headers = original()
        for name in ("Accept-Encoding", "Connection"):
            headers.pop(name, None)
        return headers

    sessions.default_headers = default_headers


class _NoIndex:
    """``micropip`` in the static demo: there is no server, so no wheel index; says so at once."""

    async def install(self, *requirements: object, **_options: object) -> None:
        raise ValueError("micropip.install needs the Casework server's wheel index (/api/simple/); "
                         "this static demo has none, so nothing can be installed here.")

    def __repr__(self) -> str:
        return "<micropip: not available in the static demo>"


async def prepare_static(namespace: dict) -> None:
    """The static demo's console: no micropip index and no API to reach with ``requests`` (nothing is fetched)."""
    namespace.update({"micropip": _NoIndex(), "base_url": str(js.document.baseURI)})
