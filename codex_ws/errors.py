"""One place that turns every error into the `{"error", "code"}` shape of the contract."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from sandbox import SandboxError

from .db import UNAVAILABLE

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_STATUS_OF_CODE = {
    "invalid_json": 400,
    "invalid_request": 400,
    "unknown_language": 400,
    "limit_too_high": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "payload_too_large": 413,
    "rate_limited": 429,
    "internal": 500,
    "busy": 503,
    "unavailable": 503,
}

_CODE_OF_STATUS = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    """An error with a stable code, raised by handlers and domain code alike."""

    def __init__(self, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = _STATUS_OF_CODE.get(code, 500)
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response({"error": message, "code": code}, status=status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.headers)
    except SandboxError as exc:
        return error_response(_STATUS_OF_CODE.get(exc.code, 500), exc.code, exc.message)
    except UNAVAILABLE as exc:
        log.warning("%s %s: PostgreSQL not answering: %s", request.method, request.path, exc)
        return error_response(
            503,
            "unavailable",
            "The database is not answering, so accounts, exercises and history are out of reach "
            "for now (running code still works): try again in a minute",
            {"Retry-After": "10"},
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _CODE_OF_STATUS.get(
            exc.status, "internal" if exc.status >= 500 else "invalid_request"
        )
        message = (
            exc.reason if exc.status != 404 else f"No route for {request.method} {request.path}"
        )
        if exc.status == 413:
            message = "The request body is too large"
        return error_response(exc.status, code, message)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(500, "internal", "Internal server error; it has been logged")
