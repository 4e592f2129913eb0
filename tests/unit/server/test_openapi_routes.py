"""Every route the app serves under /api is in the OpenAPI document, method by method: a route added without its
documentation fails here. Routes with an ``{action}`` segment are expanded to their actions. Not described: the
two push WebSockets (OpenAPI 3.0 has no WebSockets; the document's description names them) and the catch-all
``/api/{rest:path}`` that answers 404 in the JSON error shape."""

from __future__ import annotations

from starlette.routing import Route, WebSocketRoute

from server.api import conversations, records
from server.api.openapi import build_document
from server.app import create_app

ACTION_ROUTES = {"/api/conversations({id})/{action}": conversations.ACTIONS,
                 "/api/incidents({id})/{action}": records.ACTIONS}
NOT_DESCRIBED = {"/api/{rest:path}"}


def served(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        path = getattr(route, "path", "")
        if not path.startswith("/api") or path in NOT_DESCRIBED:
            continue
        if isinstance(route, WebSocketRoute):
            assert path in ("/api/push", "/api/chat/push"), f"an undocumented WebSocket {path}"
            continue
        assert isinstance(route, Route), f"{path}: {type(route).__name__}"
        paths = [path.replace("{action}", a) for a in ACTION_ROUTES[path]] if path in ACTION_ROUTES else [path]
        found.update((p, m.lower()) for p in paths for m in route.methods if m != "HEAD")
    return found


def test_every_api_route_is_in_the_openapi_document(settings):
    document = build_document()
    routes = served(create_app(settings))
    missing = sorted(f"{method.upper()} {path}" for path, method in routes
                     if method not in document["paths"].get(path, {}))
    assert not missing, "served but not in the OpenAPI document:\n" + "\n".join(missing)
    assert ("/api/conversations({id})/leave", "post") in routes  # the expansion sees the newest actions
    assert ("/api/conversations({id})/transfertargets", "get") in routes


def test_the_document_describes_nothing_the_app_does_not_serve(settings):
    routes = served(create_app(settings))
    documented = {(p, m) for p, ops in build_document()["paths"].items() for m in ops}
    extra = sorted(f"{m.upper()} {p}" for p, m in documented - routes)
    assert not extra, "documented but not served:\n" + "\n".join(extra)
