"""The ASGI application factory: routes, middleware and the lifespan that opens the database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match, Route

from server import wheels as wheel_index
from server.api import auth as auth_api
from server.api import channels as channels_api
from server.api import conversations as conversations_api
from server.api import directory, emails, health, inbox, knowledge, openapi, push, records, search, suggestions
from server.api.common import authenticate
from server.appzip import AppZipCache
from server.auth import LoginLimiter, PasswordGate
from server.conversations import runtime as conversations_runtime
from server.db import open_database, private_data_dir
from server.errors import EXCEPTION_HANDLERS, ApiError
from server.security import SecurityHeadersMiddleware
from server.seed import DEFAULT_CASES, DemoCredentialsError, demo_credentials_present, seed_if_empty
from server.settings import Settings
from server.static import StaticSite
from server.timing import ServerTimingMiddleware


def prepare_database(settings: Settings):
    """Open and migrate the database, seeding demo data when asked. Raises ``DatabaseError`` on failure."""
    if settings.database_url is None:
        private_data_dir(settings.data_dir, settings.data_dir / "casework.sqlite3")
    database = open_database(settings.effective_database_url)
    database.query_budget = settings.query_budget
    if settings.production:
        users = demo_credentials_present(database)
        if users:
            database.close()
            raise DemoCredentialsError(
                f"refusing to start in production mode: demo credentials exist for {', '.join(users)} "
                "(change those passwords or disable the users)"
            )
        channels = conversations_runtime.demo_channel_secrets_present(database)
        if channels:
            database.close()
            raise DemoCredentialsError(
                f"refusing to start in production mode: demo channel secrets are in use for {', '.join(channels)} "
                "(set the providers' real secrets or disable those channel accounts)"
            )
    elif settings.seed:
        seed_if_empty(database, cases=settings.seed_cases or DEFAULT_CASES)
        conversations_runtime.seed_channel_accounts(database, settings.data_dir)
    return database


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the Casework server for ``settings`` (defaults: embedded SQLite in ./data, seeded)."""
    settings = settings or Settings()
    static_site = StaticSite(settings.web_dir)
    app_zip = AppZipCache(settings.web_dir, settings.python_packages, settings.extra_python_dirs)

    async def serve_app_zip(request: Request) -> Response:
        built = app_zip.get()
        headers = {"ETag": built.etag, "Cache-Control": "no-cache",
                   "X-Casework-Modules": f"{built.precompiled}/{built.modules} precompiled"}
        if request.headers.get("if-none-match") == built.etag:
            return Response(status_code=304, headers=headers)
        return Response(built.content, media_type="application/zip", headers=headers)

    async def workspace_page(request: Request) -> Response:
        """The workspace shell for a signed-in agent; anyone else goes to the sign-in page (and back after)."""
        if await run_in_threadpool(authenticate, request) is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"signin.html?next={quote(target, safe='')}", status_code=303,
                                    headers={"Cache-Control": "no-store"})
        return await static_site.serve(request)

    async def api_not_found(request: Request) -> Response:
        allowed = sorted({m for route in api_routes if route.matches(request.scope)[0] is Match.PARTIAL
                          for m in (route.methods or ())})
        if allowed:
            raise ApiError(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}.",
                           {"allowed": allowed})
        raise ApiError(404, "not_found", f"No API endpoint at {request.url.path}.")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.login_limiter = settings.login_limiter or LoginLimiter()
        app.state.password_gate = PasswordGate(settings.password_checks)
        app.state.database = prepare_database(settings)
        await conversations_runtime.start(app)
        try:
            yield
        finally:
            await conversations_runtime.stop(app)
            app.state.database.close()

    api_routes = [*health.routes, *auth_api.routes, *search.routes, *openapi.routes, *conversations_api.routes,
                  *channels_api.routes, *suggestions.routes, *emails.routes, *knowledge.routes, *inbox.routes,
                  *directory.routes, *records.routes]
    routes = [
        *push.routes,
        *wheel_index.routes,  # micropip's index of wheels/ (server/wheels.py)
        *api_routes,
        Route("/api/{rest:path}", api_not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/app.zip", serve_app_zip, methods=["GET", "HEAD"]),
        Route("/chat", lambda request: RedirectResponse("/chat/", status_code=308), methods=["GET", "HEAD"]),
        Route("/", workspace_page, methods=["GET", "HEAD"]),
        Route("/index.html", workspace_page, methods=["GET", "HEAD"]),
        Route("/{path:path}", static_site.serve, methods=["GET", "HEAD"]),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware, hsts=settings.production),
        Middleware(ServerTimingMiddleware),
        # Zips and wasm are compressed already (or precompressed on disk by scripts/vendor.py): never per request.
        Middleware(
            GZipMiddleware,
            minimum_size=1024,
            exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/wasm"),
        ),
    ]
    return Starlette(
        routes=routes, middleware=middleware, exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan
    )
