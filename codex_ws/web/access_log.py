"""The access log, without secrets: a WebSocket's `?token=` never reaches a log line."""

from __future__ import annotations

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse


def redacted_target(request: BaseRequest) -> str:
    """The path and query of a request, with every `token` value replaced."""
    if "token" not in request.query:
        return request.path_qs
    query = request.url.query.copy()
    query.popall("token")
    query["token"] = "***"
    return str(request.rel_url.with_query(query))


class AccessLogger(AbstractAccessLogger):
    """One line per request: who, what (redacted), how it ended, how long it took."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %d %s %.1fms',
            request.remote,
            request.method,
            redacted_target(request),
            response.status,
            response.body_length,
            time * 1000,
        )
