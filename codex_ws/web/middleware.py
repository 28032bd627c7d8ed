"""The one place that turns every error into the `{"error", "code"}` shape of the contract."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from sandbox import SandboxError

from ..errors import Code, ServiceError
from ..store.db import UNAVAILABLE
from .keys import SETTINGS

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Retry-After when PostgreSQL does not answer.
DATABASE_RETRY_SECONDS = 10

# For aiohttp's own refusals, which come with a status only.
_CODE_OF_STATUS = {
    400: Code.INVALID_REQUEST,
    401: Code.UNAUTHORIZED,
    403: Code.FORBIDDEN,
    404: Code.NOT_FOUND,
    405: Code.METHOD_NOT_ALLOWED,
    409: Code.CONFLICT,
    413: Code.PAYLOAD_TOO_LARGE,
    429: Code.RATE_LIMITED,
    503: Code.UNAVAILABLE,
}


def as_service_error(exc: BaseException) -> ServiceError | None:
    """The contract's error for an exception domain, storage or sandbox code raised on purpose."""
    if isinstance(exc, ServiceError):
        return exc
    if isinstance(exc, SandboxError):
        return ServiceError(Code.named(exc.code), exc.message)
    if isinstance(exc, UNAVAILABLE):
        return ServiceError(
            Code.UNAVAILABLE,
            "The database is not answering, so accounts, exercises and history are out of reach "
            "for now (running code still works): try again in a minute",
            retry_after=DATABASE_RETRY_SECONDS,
        )
    return None


def error_response(error: ServiceError) -> web.Response:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return web.json_response(
        {"error": error.message, "code": str(error.code)},
        status=error.code.status,
        headers=headers,
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(_from_http(request, exc))
    except Exception as exc:
        error = as_service_error(exc)
        if error is None:
            log.exception("unhandled error in %s %s", request.method, request.path)
            error = ServiceError(Code.INTERNAL, "Internal server error; it has been logged")
        elif error.code is Code.UNAVAILABLE and isinstance(exc, UNAVAILABLE):
            log.warning("%s %s: PostgreSQL not answering: %s", request.method, request.path, exc)
        return error_response(error)


def _from_http(request: web.Request, exc: web.HTTPException) -> ServiceError:
    """aiohttp's own refusals (no route, wrong method, body over the cap) in the contract."""
    code = _CODE_OF_STATUS.get(
        exc.status, Code.INTERNAL if exc.status >= 500 else Code.INVALID_REQUEST
    )
    if exc.status == 404:
        message = f"No route for {request.method} {request.path}"
    elif exc.status == 413:
        limit = request.app[SETTINGS].max_body_bytes
        message = (
            f"The request body is over {limit} bytes: send less code or stdin "
            "(the caps of each are in GET /api/languages and the docs)"
        )
    else:
        message = exc.reason
    return ServiceError(code, message)
