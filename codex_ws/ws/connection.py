"""One WebSocket connection, the way both endpoints keep it: checked at the handshake (or
refused with a close code), one reader that dispatches each message to its handler through a
registry with a schema per type, one writer (the outbox), and a close that settles what the
endpoint started. A shutdown closes every open connection with 1001."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiohttp import WSCloseCode, WSMessage, WSMsgType, web

from ..errors import Code, ServiceError
from ..web.body import parse_json
from ..web.keys import SETTINGS, SOCKETS
from ..web.middleware import as_service_error
from ..web.outbox import Outbox
from ..web.shapes import PONG

CLOSE_UNAUTHORIZED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_NOT_FOUND = 4004
CLOSE_RATE_LIMITED = 4429
HEARTBEAT_SECONDS = 20.0

_CLOSE_CODE_OF = {
    Code.UNAUTHORIZED: CLOSE_UNAUTHORIZED,
    Code.FORBIDDEN: CLOSE_FORBIDDEN,
    Code.NOT_FOUND: CLOSE_NOT_FOUND,
    Code.RATE_LIMITED: CLOSE_RATE_LIMITED,
}

M = TypeVar("M")
Message = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Handler(Generic[M]):
    """What one message type does: `parse` is its schema (a ServiceError names the bad field),
    `handle` acts on what it parsed."""

    parse: Callable[[Message], M]
    handle: Callable[[M], Awaitable[None]]


Registry = Mapping[str, Handler[Any]]


def no_fields(message: Message) -> None:
    """The schema of a message that carries nothing but its type."""


class Connection:
    """An accepted WebSocket: its socket, its writer, and the loop that reads it."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.outbox = Outbox(ws)

    @classmethod
    async def accept(cls, request: web.Request) -> Connection:
        """Accept the upgrade (after the Origin check); a shutdown will close it (1001)."""
        connection = cls(await _upgrade(request))
        request.app[SOCKETS].add(connection.outbox)
        return connection

    async def serve(
        self,
        handlers: Registry,
        *,
        unknown: Callable[[str], ServiceError],
        until: asyncio.Future[Any] | None = None,
    ) -> None:
        """Read and dispatch messages until the client leaves or `until` is done.

        `ping` is answered everywhere; a type with no handler gets `unknown(type)`.
        """
        registry = {"ping": Handler(no_fields, self._pong), **handlers}
        while True:
            message = await self._next(until)
            if message is None or message.type in _CLOSING:
                return
            if message.type == WSMsgType.TEXT:
                await self._dispatch(registry, unknown, message.data)
            elif message.type == WSMsgType.BINARY:
                self.outbox.error(
                    ServiceError(
                        Code.INVALID_MESSAGE, "Binary frames are not understood: send JSON text"
                    )
                )

    async def close(self) -> None:
        """Send what is queued, stop the writer and close the socket."""
        try:
            await self.outbox.flush_and_stop()
        finally:
            # Also when the connection is lost meanwhile: aiohttp then cancels the handler,
            # and a writer left waiting would be destroyed while pending.
            await self.outbox.stop()
            await self.ws.close()

    async def _next(self, until: asyncio.Future[Any] | None) -> WSMessage | None:
        """The next message, or None once `until` is done first."""
        if until is None:
            return await self.ws.receive()
        receive = asyncio.ensure_future(self.ws.receive())
        await asyncio.wait({receive, until}, return_when=asyncio.FIRST_COMPLETED)
        if receive.done():
            return receive.result()
        receive.cancel()
        await asyncio.gather(receive, return_exceptions=True)
        return None

    async def _dispatch(
        self, registry: Registry, unknown: Callable[[str], ServiceError], text: str
    ) -> None:
        try:
            handler, message = _route(registry, unknown, text)
            await handler.handle(handler.parse(message))
        except Exception as exc:
            error = as_service_error(exc)
            if error is None:
                raise
            self.outbox.error(error)

    async def _pong(self, _: None) -> None:
        self.outbox.send(PONG)


def _route(
    registry: Registry, unknown: Callable[[str], ServiceError], text: str
) -> tuple[Handler[Any], Message]:
    """The handler of a message's type, and the message."""
    message = parse_json(text, "The message")
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ServiceError(
            Code.INVALID_MESSAGE, "Messages must be JSON objects with a string 'type'"
        )
    handler = registry.get(message["type"])
    if handler is None:
        raise unknown(message["type"])
    return handler, message


_CLOSING = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)


async def refuse(request: web.Request, error: ServiceError) -> web.WebSocketResponse:
    """Complete the handshake only to close the socket at once, with the close code of `error`."""
    ws = await _upgrade(request)
    code = _CLOSE_CODE_OF.get(error.code, WSCloseCode.INTERNAL_ERROR)
    await ws.close(code=code, message=error.message.encode()[:120])
    return ws


async def close_all(app: web.Application) -> None:
    """On shutdown: every socket gets what is queued for it, then 1001 (going away)."""
    sockets: weakref.WeakSet[Outbox] = app[SOCKETS]
    await asyncio.gather(
        *(outbox.close(WSCloseCode.GOING_AWAY, b"server shutting down") for outbox in set(sockets)),
        return_exceptions=True,
    )


async def _upgrade(request: web.Request) -> web.WebSocketResponse:
    settings = request.app[SETTINGS]
    origin = request.headers.get("Origin")
    if settings.allowed_origins and origin is not None and origin not in settings.allowed_origins:
        raise ServiceError(Code.FORBIDDEN, f"Origin {origin} is not allowed")
    ws = web.WebSocketResponse(
        heartbeat=HEARTBEAT_SECONDS,
        max_msg_size=settings.ws_max_message_bytes,
        compress=False,
    )
    await ws.prepare(request)
    return ws
