"""Sign-in: ``POST /api/auth/login``, ``POST /api/auth/logout``, and ``GET /api/me`` (user, roles, profile,
settings, CSRF token)."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from sqlalchemy import delete, func, insert, select, update
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server import auth
from server.api.common import Call, endpoint, read_json, utcnow
from server.db import schema
from server.errors import ApiError


def _client(request: Request) -> str:
    # The peer's address; uvicorn replaces it from X-Forwarded-For only for proxies named by --forwarded-allow-ips.
    return request.client.host if request.client else "unknown"


def _set_cookies(response: Response, request: Request, token: str, csrf: str) -> None:
    production = request.app.state.settings.production
    secure = production or request.url.scheme == "https"
    session_name, csrf_name = auth.cookie_names(production)
    max_age = int(auth.SESSION_LIFETIME.total_seconds())
    response.set_cookie(session_name, token, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=secure)
    # Readable by our page's script (not HttpOnly) so it can echo it in X-CSRF-Token; other origins cannot read it.
    response.set_cookie(csrf_name, csrf, max_age=max_age, path="/", httponly=False, samesite="lax", secure=secure)


def _check_sign_in_origin(request: Request) -> None:
    """Login CSRF: refuse a sign-in a page of another origin made the browser send (another port of this host
    counts: it is "same-site", not "same-origin")."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    refused = site is not None and site not in ("same-origin", "none")
    if origin is not None and not refused:
        host = request.headers.get("host", "").lower()
        refused = origin == "null" or urlsplit(origin).netloc.lower() != host
    if refused:
        raise ApiError(403, "cross_origin", "Sign in from the workspace's own sign-in page.",
                       {"origin": origin, "secFetchSite": site})


def _credentials(body: object) -> tuple[str, str]:
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "Send {\"username\", \"password\"}.", {"field": None})
    for name in ("username", "password"):
        if not isinstance(body.get(name), str) or not body[name] or len(body[name]) > 200:
            raise ApiError(422, "validation_failed", f"{name} is required (text).", {"field": name})
    unknown = sorted(set(body) - {"username", "password"})
    if unknown:
        raise ApiError(422, "validation_failed", f"Unknown field {unknown[0]!r}.", {"field": unknown[0]})
    return body["username"], body["password"]


BUSY_RETRY_AFTER = 2


async def login(request: Request) -> Response:
    """``POST /api/auth/login`` ``{"username", "password"}``: on success start a session (cookies) and answer like
    ``/api/me``.

    Order: same-origin check, body, the attempt reserved with the rate limiter (429 over a limit), a slot among
    the bounded concurrent password checks (503 when the server is saturated), then the argon2 check in a
    worker thread."""
    _check_sign_in_origin(request)
    username, password = _credentials(await read_json(request))
    limiter: auth.LoginLimiter = request.app.state.login_limiter
    client = _client(request)
    wait, ticket = limiter.reserve(username, client)
    if wait:
        raise ApiError(429, "too_many_attempts", f"Too many failed sign-ins; try again in {wait} s.",
                       {"retryAfter": wait})
    gate: auth.PasswordGate = request.app.state.password_gate
    if not await gate.enter():
        limiter.release(username, client, ticket)
        raise ApiError(503, "busy", "The server is busy signing others in; try again in a moment.",
                       {"retryAfter": BUSY_RETRY_AFTER}, headers={"Retry-After": str(BUSY_RETRY_AFTER)})
    try:
        return await run_in_threadpool(_sign_in, request, username, password, ticket)
    finally:
        gate.leave()


def _sign_in(request: Request, username: str, password: str, ticket: float | None) -> Response:
    limiter: auth.LoginLimiter = request.app.state.login_limiter
    database = request.app.state.database
    with database.engine.connect() as conn:
        user = auth.find_login(conn, username)
    # The ~0.1 s argon2 check holds no database connection; an unknown user costs the same (a dummy hash).
    if not auth.verify_password(user["passwordhash"] if user else None, password) or user is None:
        raise ApiError(401, "invalid_credentials", "Wrong username or password.", None)  # stays counted
    limiter.succeeded(username, _client(request), ticket)
    tokens = auth.new_tokens()
    with database.engine.begin() as conn:
        me = describe_user(conn, auth.User(user["systemuserid"], user["domainname"], user["fullname"],
                                           auth.user_roles(conn, user["systemuserid"]), tokens[1]))
        # Rendered before the session is stored: a body that cannot be answered leaves no session behind.
        response = JSONResponse(me, headers={"Cache-Control": "no-store"})
        auth.create_session(conn, user["systemuserid"], utcnow(), tokens)
    _set_cookies(response, request, *tokens)
    return response


def logout(call: Call) -> Response:
    """End the session and clear the cookies (204)."""
    production = call.request.app.state.settings.production
    session_name, csrf_name = auth.cookie_names(production)
    with call.database.engine.begin() as conn:
        auth.end_session(conn, call.request.cookies[session_name])
    response = Response(status_code=204)
    secure = production or call.request.url.scheme == "https"
    response.delete_cookie(session_name, path="/", secure=secure, httponly=True, samesite="lax")
    response.delete_cookie(csrf_name, path="/", secure=secure, samesite="lax")
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
MAX_SETTINGS = 100  # keys per user
MAX_SETTINGS_BYTES = 64 * 1024  # all of a user's values together (they travel in every /api/me and sign-in)


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
        others = conn.execute(select(table.c.key, func.length(table.c.value)).where(
            table.c.systemuserid == call.user.id, table.c.key != key)).all()
        if len(others) + 1 > MAX_SETTINGS:
            raise ApiError(413, "too_many_settings", f"A user keeps at most {MAX_SETTINGS} settings.",
                           {"field": key, "limit": MAX_SETTINGS})
        if sum(size for _, size in others) + len(value) > MAX_SETTINGS_BYTES:
            raise ApiError(413, "payload_too_large", f"A user's settings are at most {MAX_SETTINGS_BYTES} bytes "
                           "together.", {"field": key, "limit": MAX_SETTINGS_BYTES})
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
    Route("/api/auth/login", login, methods=["POST"]),
    Route("/api/auth/logout", endpoint(logout), methods=["POST"]),
    Route("/api/me", endpoint(me), methods=["GET"]),
]
