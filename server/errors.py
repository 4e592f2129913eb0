"""One JSON error shape for every failure: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "too_many_attempts",
    500: "internal_error",
}


class ApiError(Exception):
    """An error a handler raises to answer with the common JSON shape.

    Args:
        status: HTTP status code.
        code: Stable machine-readable code (snake_case).
        message: Human-readable sentence shown to the user.
        details: Optional extra data (for example ``{"field": "title"}``).
    """

    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    """Build the common JSON error response."""
    return JSONResponse({"error": {"code": code, "message": message, "details": details}}, status_code=status)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    response = error_response(exc.status, exc.code, exc.message, exc.details)
    response.headers.update(exc.headers)
    if exc.status == 429 and isinstance(exc.details, dict) and "retryAfter" in exc.details:
        response.headers["Retry-After"] = str(exc.details["retryAfter"])
    return response


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 304:
        return Response(status_code=304, headers=exc.headers)
    if not request.url.path.startswith("/api/") and exc.status_code == 404:
        return PlainTextResponse("Not found", status_code=404)
    code = _CODES_BY_STATUS.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), None)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    return error_response(500, "internal_error", "The server failed to answer this request.", None)


EXCEPTION_HANDLERS = {
    ApiError: handle_api_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
