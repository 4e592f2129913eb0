"""``GET /api/health``: is the server up, which database and schema it runs on."""

from __future__ import annotations

import platform

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server import __version__


async def health(request: Request) -> JSONResponse:
    database = request.app.state.database
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
