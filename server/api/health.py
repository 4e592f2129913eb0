"""``GET /api/health``: is the server up; for a signed-in user also the versions, database and schema."""

from __future__ import annotations

import platform

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server import __version__
from server.api.common import authenticate


async def health(request: Request) -> JSONResponse:
    """Anyone: ``{"status": "ok"}``. A signed-in user also sees the versions and the database."""
    database = request.app.state.database
    if not request.cookies or await run_in_threadpool(authenticate, request) is None:
        return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "python": platform.python_version(),
            "database": {"dialect": database.dialect, "schemaVersion": database.schema_version()},
        },
        headers={"Cache-Control": "no-store"},
    )


routes = [Route("/api/health", health, methods=["GET"])]
