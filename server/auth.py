"""Passwords, server-side sessions, CSRF tokens, the sign-in rate limiter and the role policy.

Passwords: argon2id (argon2-cffi's defaults). Sessions: a random token in an HttpOnly cookie; the table keeps only
its SHA-256, the user, a CSRF token and the expiry. CSRF: every state-changing request must send the session's
token in ``X-CSRF-Token`` (the token is also in the readable ``casework_csrf`` cookie and in ``/api/me``); a page on
another origin can make the browser send our cookie but can read neither the cookie nor the token.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from server.db import schema

SESSION_COOKIE = "casework_session"
CSRF_COOKIE = "casework_csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_LIFETIME = dt.timedelta(hours=12)  # from sign-in, however busy the session
IDLE_TIMEOUT = dt.timedelta(hours=1)  # without a request; every request slides it (at most once a minute)
SLIDE_EVERY = dt.timedelta(minutes=1)
MAX_SESSIONS_PER_USER = 10  # signing in once more ends the oldest
HOST_PREFIX = "__Host-"  # --production: the browser keeps such a cookie only Secure, Path=/ and without Domain


def cookie_names(production: bool) -> tuple[str, str]:
    """``(session cookie, csrf cookie)``: with the ``__Host-`` prefix in production."""
    prefix = HOST_PREFIX if production else ""
    return prefix + SESSION_COOKIE, prefix + CSRF_COOKIE
ROLES = ("agent", "supervisor", "admin")

_hasher = PasswordHasher()
_dummy_hash: list[str] = []


def _dummy() -> str:
    # Verified against when the user does not exist, so a wrong username costs the same time as a wrong password.
    # Computed on first use: hashing costs ~0.4 s, which every server start would otherwise pay.
    if not _dummy_hash:
        _dummy_hash.append(_hasher.hash("not-a-real-password"))
    return _dummy_hash[0]


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (``None`` or a malformed hash never matches)."""
    try:
        return _hasher.verify(password_hash or _dummy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    """The signed-in user of a request."""

    id: str
    username: str
    fullname: str
    roles: frozenset[str]
    csrf_token: str

    def has(self, *roles: str) -> bool:
        """Whether the user holds any of ``roles``."""
        return bool(self.roles.intersection(roles))


def user_roles(conn: Connection, user_id: str) -> frozenset[str]:
    rows = conn.execute(select(schema.userroles.c.role).where(schema.userroles.c.systemuserid == user_id))
    return frozenset(rows.scalars())


def find_login(conn: Connection, username: str) -> dict | None:
    """The enabled user with this username (case-insensitive), or ``None``."""
    row = conn.execute(
        select(schema.systemusers).where(schema.systemusers.c.domainname == username.strip().lower())
    ).mappings().first()
    if row is None or row["isdisabled"]:
        return None
    return dict(row)


def new_tokens() -> tuple[str, str]:
    """A fresh ``(cookie token, csrf token)``."""
    return secrets.token_urlsafe(32), secrets.token_urlsafe(32)


def purge_expired(conn: Connection, now: dt.datetime) -> None:
    """Delete sessions past their idle or absolute expiry."""
    conn.execute(delete(schema.sessions).where(schema.sessions.c.expireson < now))


def create_session(conn: Connection, user_id: str, now: dt.datetime,
                   tokens: tuple[str, str] | None = None) -> tuple[str, str]:
    """Store a new session (ending the user's oldest beyond :data:`MAX_SESSIONS_PER_USER`); returns
    ``(cookie token, csrf token)``."""
    token, csrf = tokens or new_tokens()
    s = schema.sessions
    purge_expired(conn, now)
    conn.execute(insert(s).values(
        tokenhash=token_hash(token), systemuserid=user_id, csrftoken=csrf, createdon=now,
        expireson=min(now + IDLE_TIMEOUT, now + SESSION_LIFETIME),
    ))
    keep = (select(s.c.tokenhash).where(s.c.systemuserid == user_id)
            .order_by(s.c.createdon.desc(), s.c.tokenhash).limit(MAX_SESSIONS_PER_USER))
    conn.execute(delete(s).where(s.c.systemuserid == user_id, s.c.tokenhash.not_in(keep.scalar_subquery())))
    return token, csrf


def end_user_sessions(conn: Connection, user_id: str) -> None:
    """End every session of a user (they were disabled)."""
    conn.execute(delete(schema.sessions).where(schema.sessions.c.systemuserid == user_id))


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _session_statement():
    s, u, r = schema.sessions, schema.systemusers, schema.userroles
    # One statement for session, user and roles (a row per role): this runs before every API request. Built once
    # with a bound parameter: building the SELECT per request cost ~0.4 ms of CPU, executing it ~0.1 ms (measured).
    return (
        select(s.c.systemuserid, s.c.csrftoken, s.c.createdon, s.c.expireson, u.c.domainname, u.c.fullname,
               u.c.isdisabled, r.c.role)
        .join(u, u.c.systemuserid == s.c.systemuserid)
        .outerjoin(r, r.c.systemuserid == s.c.systemuserid)
        .where(s.c.tokenhash == bindparam("tokenhash"))
    )


_SESSION_USER = _session_statement()


def session_user(conn: Connection, token: str, now: dt.datetime) -> User | None:
    """The user of a live session token, or ``None`` (unknown, expired, idle too long or disabled).

    A live session's idle expiry slides to ``now + IDLE_TIMEOUT`` (never past ``SESSION_LIFETIME`` from its
    sign-in), written at most once per :data:`SLIDE_EVERY`; that write also purges expired sessions. ``conn`` is
    committed when it wrote.
    """
    rows = conn.execute(_SESSION_USER, {"tokenhash": token_hash(token)}).all()
    if not rows:
        return None
    row = rows[0]
    expires = _utc(row.expireson)
    if row.isdisabled or expires <= now:
        return None
    slid = min(now + IDLE_TIMEOUT, _utc(row.createdon) + SESSION_LIFETIME)
    if slid - expires >= SLIDE_EVERY:
        conn.execute(update(schema.sessions).where(schema.sessions.c.tokenhash == token_hash(token))
                     .values(expireson=slid))
        purge_expired(conn, now)
        conn.commit()
    roles = frozenset(each.role for each in rows if each.role is not None)
    return User(row.systemuserid, row.domainname, row.fullname, roles, row.csrftoken)


def end_session(conn: Connection, token: str) -> None:
    conn.execute(delete(schema.sessions).where(schema.sessions.c.tokenhash == token_hash(token)))


def csrf_ok(user: User, header_value: str | None) -> bool:
    """Constant-time check of the CSRF header against the session's token."""
    return bool(header_value) and hmac.compare_digest(user.csrf_token.encode(), header_value.encode())


@dataclass
class LoginLimiter:
    """Failed sign-ins within ``window`` seconds, counted three ways; any one over its limit answers 429 until an
    attempt ages out:

    - per (username, client): ``limit`` (5) — the agent mistyping at their own desk;
    - per username, whatever the client: ``user_limit`` (20) — guessing one account from many addresses;
    - per client, whatever the username: ``client_limit`` (30) — spraying many accounts (or random names) from one.

    An attempt is *reserved* (:meth:`reserve`, counted as a failure) before its password is checked, atomically
    with the check of the limits, so parallel guesses cannot all pass the check before any failure is counted.
    :meth:`succeeded` takes a successful attempt back out. Keys whose attempts all aged out are dropped, so the
    memory stays proportional to the attempts of the last window.

    In memory, per server process: enough for one embedded server; a cluster would keep this in the database.
    """

    limit: int = 5
    user_limit: int = 20
    client_limit: int = 30
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[tuple[str, str], deque] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_sweep: float = 0.0

    @staticmethod
    def _keys(username: str, client: str) -> tuple[tuple[str, str], tuple[str, str], tuple[str, str]]:
        name = username.strip().lower()
        # "\0" cannot occur in a username or a client address: the three key spaces never collide.
        return (name, client), (name, "\0user"), ("\0client", client)

    def _limits(self) -> tuple[int, int, int]:
        return self.limit, self.user_limit, self.client_limit

    def _live(self, key: tuple[str, str], now: float) -> deque | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.window
        for key in list(self._failures):
            self._live(key, now)

    def _wait(self, username: str, client: str, now: float) -> int:
        wait = 0.0
        for key, limit in zip(self._keys(username, client), self._limits(), strict=True):
            failures = self._live(key, now)
            if failures is not None and len(failures) >= limit:
                wait = max(wait, failures[-limit] + self.window - now)
        return max(1, int(wait + 0.999)) if wait > 0 else 0

    def retry_after(self, username: str, client: str) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        with self._lock:
            return self._wait(username, client, self.clock())

    def reserve(self, username: str, client: str) -> tuple[int, float | None]:
        """Check the limits and, when allowed, count this attempt as a failure in the same step.

        Returns ``(0, ticket)`` when the attempt may go ahead (pass the ticket to :meth:`succeeded` or
        :meth:`release`), else ``(seconds to wait, None)``.
        """
        with self._lock:
            now = self.clock()
            self._sweep(now)
            wait = self._wait(username, client, now)
            if wait:
                return wait, None
            for key in self._keys(username, client):
                self._failures.setdefault(key, deque()).append(now)
            return 0, now

    def failed(self, username: str, client: str) -> None:
        """Count a failed attempt that was not reserved."""
        with self._lock:
            now = self.clock()
            for key in self._keys(username, client):
                self._failures.setdefault(key, deque()).append(now)

    def release(self, username: str, client: str, ticket: float | None) -> None:
        """Take a reserved attempt back (it was not decided: the server was too busy to check the password)."""
        with self._lock:
            for key in self._keys(username, client):
                self._remove(key, ticket)

    def succeeded(self, username: str, client: str, ticket: float | None = None) -> None:
        """A successful sign-in: forget this desk's failures, and take the attempt back from the other counts (the
        per-username and per-client failures of others stay: a success does not give a guesser more tries)."""
        pair, user, client_key = self._keys(username, client)
        with self._lock:
            self._failures.pop(pair, None)
            for key in (user, client_key):
                self._remove(key, ticket)

    def _remove(self, key: tuple[str, str], ticket: float | None) -> None:
        failures = self._failures.get(key)
        if failures is None or ticket is None:
            return
        try:
            failures.remove(ticket)
        except ValueError:
            pass
        if not failures:
            del self._failures[key]

    def tracked(self) -> int:
        """How many (username/client) keys the limiter holds now (after dropping aged-out ones)."""
        with self._lock:
            now = self.clock()
            for key in list(self._failures):
                self._live(key, now)
            return len(self._failures)


def default_password_checks() -> int:
    """Concurrent password checks: about the core count (each argon2id verify holds 64 MiB and a core ~0.1 s)."""
    return max(1, min(4, os.cpu_count() or 1))


class PasswordGate:
    """Bounds concurrent password checks (memory: 64 MiB each; CPU: a core each), on the event loop.

    Up to ``slots`` checks run at once; up to ``queue`` more wait (no thread, no argon2 memory) at most ``wait``
    seconds for a slot. Beyond that, or after waiting too long, :meth:`enter` returns ``False``: the caller
    answers 503 with ``Retry-After``.
    """

    def __init__(self, slots: int | None = None, queue: int = 16, wait: float = 5.0) -> None:
        self.slots = slots or default_password_checks()
        self.queue = queue
        self.wait = wait
        self._semaphore: asyncio.Semaphore | None = None
        self._waiting = 0
        self.active = 0
        self.peak = 0

    async def enter(self) -> bool:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.slots)
        if self._semaphore.locked() and self._waiting >= self.queue:
            return False
        self._waiting += 1
        try:
            await asyncio.wait_for(self._semaphore.acquire(), self.wait)
        except TimeoutError:
            return False
        finally:
            self._waiting -= 1
        self.active += 1
        self.peak = max(self.peak, self.active)
        return True

    def leave(self) -> None:
        self.active -= 1
        assert self._semaphore is not None
        self._semaphore.release()
