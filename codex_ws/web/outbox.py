"""The only writer of one WebSocket: messages go out in order from one task, from a bounded
queue, so that a client that cannot keep up is disconnected instead of buffered without bound."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSCloseCode, web

from ..errors import ServiceError
from .shapes import error_message

log = logging.getLogger(__name__)

OUTBOX_MESSAGES = 512
CLOSE_SLOW_CONSUMER = WSCloseCode.POLICY_VIOLATION


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

    def error(self, error: ServiceError) -> None:
        self.send(error_message(error))

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

    async def close(self, code: int, message: bytes) -> None:
        """Send what is queued, then close the socket with `code`."""
        await self.flush_and_stop()
        await self.ws.close(code=code, message=message)

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
