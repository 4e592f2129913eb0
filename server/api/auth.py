"""Sign-in: ``POST /api/auth/login``, ``POST /api/auth/logout``, and ``GET /api/me`` (user, roles, profile,
settings, CSRF token)."""

from __future__ import annotations

import json
import re

from sqlalchemy import delete, insert, select, update
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server import auth
from server.api.common import Call, endpoint, utcnow
from server.db import schema
from server.errors import ApiError


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _set_cookies(response: Response, request: Request, token: str, csrf: str) -> None:
    secure = request.url.scheme == "https"
    max_age = int(auth.SESSION_LIFETIME.total_seconds())
    response.set_cookie(auth.SESSION_COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=secure)
    # Readable by our page's script (not HttpOnly) so it can echo it in X-CSRF-Token; other origins cannot read it.
    response.set_cookie(auth.CSRF_COOKIE, csrf, max_age=max_age, path="/", httponly=False, samesite="lax",
                        secure=secure)


def login(call: Call) -> Response:
    """Check ``{"username", "password"}``; on success start a session (cookies) and answer like ``/api/me``."""
    body = call.body
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "Send {\"username\", \"password\"}.", {"field": None})
    for name in ("username", "password"):
        if not isinstance(body.get(name), str) or not body[name] or len(body[name]) > 200:
            raise ApiError(422, "validation_failed", f"{name} is required (text).", {"field": name})
    unknown = sorted(set(body) - {"username", "password"})
    if unknown:
        raise ApiError(422, "validation_failed", f"Unknown field {unknown[0]!r}.", {"field": unknown[0]})
    limiter: auth.LoginLimiter = call.request.app.state.login_limiter
    username, client = body["username"], _client(call.request)
    wait = limiter.retry_after(username, client)
    if wait:
        raise ApiError(429, "too_many_attempts", f"Too many failed sign-ins; try again in {wait} s.",
                       {"retryAfter": wait})
    with call.database.engine.begin() as conn:
        user = auth.find_login(conn, username)
        ok = auth.verify_password(user["passwordhash"] if user else None, body["password"])
        if not ok or user is None:
            limiter.failed(username, client)
            raise ApiError(401, "invalid_credentials", "Wrong username or password.", None)
        limiter.succeeded(username, client)
        token, csrf = auth.create_session(conn, user["systemuserid"], utcnow())
        me = describe_user(conn, auth.User(user["systemuserid"], user["domainname"], user["fullname"],
                                           auth.user_roles(conn, user["systemuserid"]), csrf))
    response = JSONResponse(me, headers={"Cache-Control": "no-store"})
    _set_cookies(response, call.request, token, csrf)
    return response


def logout(call: Call) -> Response:
    """End the session and clear the cookies (204)."""
    with call.database.engine.begin() as conn:
        auth.end_session(conn, call.request.cookies[auth.SESSION_COOKIE])
    response = Response(status_code=204)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    response.delete_cookie(auth.CSRF_COOKIE, path="/")
    return response


def effective_profile(conn, user: auth.User) -> dict | None:
    """The user's profile: the best-ranked (lowest rank) user assignment, else the best-ranked assignment to one
    of their roles, else the default profile."""
    p, a = schema.profiles, schema.profileassignments
    base = select(p.c.profileid, p.c.name, p.c.settings, a.c.rank).join(a, a.c.profileid == p.c.profileid)
    row = conn.execute(base.where(a.c.systemuserid == user.id).order_by(a.c.rank, p.c.name)).first()
    source = "user"
    if row is None and user.roles:
        row = conn.execute(base.where(a.c.role.in_(sorted(user.roles))).order_by(a.c.rank, p.c.name)).first()
        source = "role"
    if row is None:
        row = conn.execute(select(p.c.profileid, p.c.name, p.c.settings).where(p.c.isdefault.is_(True))
                           .order_by(p.c.name)).first()
        source = "default"
    if row is None:
        return None
    return {"profileid": row.profileid, "name": row.name, "assignedBy": source, "settings": json.loads(row.settings)}


def describe_user(conn, user: auth.User) -> dict:
    """The ``/api/me`` body."""
    settings = {
        key: json.loads(value)
        for key, value in conn.execute(select(schema.usersettings.c.key, schema.usersettings.c.value).where(
            schema.usersettings.c.systemuserid == user.id).order_by(schema.usersettings.c.key))
    }
    return {
        "user": {"systemuserid": user.id, "domainname": user.username, "fullname": user.fullname},
        "roles": sorted(user.roles),
        "profile": effective_profile(conn, user),
        "settings": settings,
        "csrfToken": user.csrf_token,
    }


def me(call: Call) -> Response:
    """``GET /api/me``: who is signed in, their roles, effective profile, settings and CSRF token."""
    with call.database.engine.connect() as conn:
        return JSONResponse(describe_user(conn, call.user), headers={"Cache-Control": "no-store"})


MAX_SETTING_BYTES = 8192


def put_setting(call: Call) -> Response:
    """``PUT /api/me/settings/<key>`` with any JSON value: the signed-in user's own setting (204)."""
    key = call.path["key"]
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]{0,99}", key):
        raise ApiError(422, "validation_failed", "A setting key is a letter then letters, digits, '_', '.', '-'.",
                       {"field": "key"})
    raw = call.request.headers.get("content-length", "0")
    if call.body is None and raw in ("", "0"):
        raise ApiError(400, "invalid_body", "Send the setting's JSON value as the body.", {"field": None})
    value = json.dumps(call.body)
    if len(value) > MAX_SETTING_BYTES:
        raise ApiError(413, "payload_too_large", f"A setting is at most {MAX_SETTING_BYTES} bytes.", {"field": key})
    table = schema.usersettings
    with call.database.engine.begin() as conn:
        where = (table.c.systemuserid == call.user.id, table.c.key == key)
        if conn.execute(update(table).where(*where).values(value=value)).rowcount == 0:
            conn.execute(insert(table).values(systemuserid=call.user.id, key=key, value=value))
    return Response(status_code=204)


def delete_setting(call: Call) -> Response:
    """``DELETE /api/me/settings/<key>``: back to the default (204, also when it was not set)."""
    table = schema.usersettings
    with call.database.engine.begin() as conn:
        conn.execute(delete(table).where(table.c.systemuserid == call.user.id, table.c.key == call.path["key"]))
    return Response(status_code=204)


routes = [
    Route("/api/me/settings/{key}", endpoint(put_setting, body=True), methods=["PUT"]),
    Route("/api/me/settings/{key}", endpoint(delete_setting), methods=["DELETE"]),
    Route("/api/auth/login", endpoint(login, public=True, body=True), methods=["POST"]),
    Route("/api/auth/logout", endpoint(logout), methods=["POST"]),
    Route("/api/me", endpoint(me), methods=["GET"]),
]
