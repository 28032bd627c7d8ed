"""What both WebSocket endpoints share: the handshake checks, one writer per connection
draining a bounded queue, and the close codes of the contract."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from typing import Any

from aiohttp import WSCloseCode, web

from .errors import ApiError
from .keys import SETTINGS, SOCKETS

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_NOT_FOUND = 4004
CLOSE_RATE_LIMITED = 4429
CLOSE_SLOW_CONSUMER = WSCloseCode.POLICY_VIOLATION

OUTBOX_MESSAGES = 512
HEARTBEAT_SECONDS = 20.0


class Outbox:
    """The only writer of one socket: messages go out in order from one task.

    A client that cannot keep up (the queue is full) is disconnected instead of being
    buffered without bound.
    """

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(OUTBOX_MESSAGES)
        self._task = asyncio.create_task(self._drain())
        self.overflowed = False

    def send(self, message: dict[str, Any]) -> None:
        if self.overflowed or self.ws.closed:
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            log.info("closing a WebSocket that does not keep up with its output")
            self._task.cancel()
            asyncio.get_running_loop().create_task(
                self.ws.close(code=CLOSE_SLOW_CONSUMER, message=b"too slow to read the output")
            ).add_done_callback(_log_failure)

    def error(self, code: str, message: str) -> None:
        self.send({"type": "error", "code": code, "message": message})

    async def flush_and_stop(self) -> None:
        """Send what is queued, then stop the writer."""
        try:
            if not self._task.done():
                with contextlib.suppress(asyncio.QueueFull):
                    self._queue.put_nowait(None)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._task), timeout=5)
        finally:
            await self.stop()

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _drain(self) -> None:
        while (message := await self._queue.get()) is not None:
            try:
                await self.ws.send_str(json.dumps(message))
            except (ConnectionError, RuntimeError):
                return


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.debug("closing a slow WebSocket failed: %s", task.exception())


async def open_socket(request: web.Request) -> web.WebSocketResponse:
    """Accept the upgrade (after the Origin check) and track the socket for shutdown."""
    settings = request.app[SETTINGS]
    origin = request.headers.get("Origin")
    if settings.allowed_origins and origin is not None and origin not in settings.allowed_origins:
        raise ApiError("forbidden", f"Origin {origin} is not allowed")
    ws = web.WebSocketResponse(
        heartbeat=HEARTBEAT_SECONDS,
        max_msg_size=settings.ws_max_message_bytes,
        compress=False,
    )
    await ws.prepare(request)
    request.app[SOCKETS].add(ws)
    return ws


async def refuse(ws: web.WebSocketResponse, code: int, message: str) -> web.WebSocketResponse:
    """Close a socket right after the handshake, saying why."""
    await ws.close(code=code, message=message.encode()[:120])
    return ws


def close_code_for(error: ApiError) -> int:
    return {
        "unauthorized": CLOSE_UNAUTHORIZED,
        "forbidden": CLOSE_FORBIDDEN,
        "not_found": CLOSE_NOT_FOUND,
        "rate_limited": CLOSE_RATE_LIMITED,
    }.get(error.code, WSCloseCode.INTERNAL_ERROR)


async def close_all(app: web.Application) -> None:
    """On shutdown: every socket gets 1001 (going away)."""
    sockets: weakref.WeakSet[web.WebSocketResponse] = app[SOCKETS]
    await asyncio.gather(
        *(
            ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")
            for ws in set(sockets)
        ),
        return_exceptions=True,
    )
