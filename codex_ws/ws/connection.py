"""One WebSocket connection, the way both endpoints keep it: checked at the handshake (or
refused with a close code), signed in by its first message when the handshake carried no token,
one reader that dispatches each message to its handler through a registry with a schema per
type, one writer (the outbox), and a close that settles what the endpoint started. A shutdown
closes every open connection with 1001."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiohttp import WSCloseCode, WSMessage, WSMsgType, web
from yarl import URL

from ..domain.tokens import Identity
from ..errors import Code, ServiceError
from ..web.auth import identity_of
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
# How long a connection opened without a token has to send its `auth` message.
AUTH_SECONDS = 5.0
MAX_TOKEN_CHARS = 4096

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
        """Accept the upgrade (after `check_origin`); a shutdown will close it (1001)."""
        connection = cls(await _upgrade(request))
        request.app[SOCKETS].add(connection.outbox)
        return connection

    async def authenticate(
        self, app: web.Application, *, required: bool
    ) -> tuple[Identity | None, WSMessage | None]:
        """Sign the connection in with its first message, `{"type": "auth", "token": ...}`, sent
        within `AUTH_SECONDS` (a token in a message stays out of URLs and logs).

        Returns who signed in, or None and the first message when it is of another kind (to be
        handled as any other). `unauthorized` for a bad or revoked token, and, when `required`,
        for anything but an `auth` message in time.
        """
        try:
            message = await self.ws.receive(timeout=AUTH_SECONDS)
        except TimeoutError:
            message = None
        token = _auth_token(message)
        if token is not None:
            return await identity_of(app, token), None
        if required:
            raise ServiceError(
                Code.UNAUTHORIZED,
                f'Sign in: send {{"type": "auth", "token": ...}} first, within {AUTH_SECONDS:g} s',
            )
        return None, message

    async def refuse(self, exc: Exception) -> None:
        """Close an accepted connection with the close code of the error `exc`; an error with
        no close code of its own (`unavailable`) goes as an `error` message, then 1000. One
        that is no error of the contract is raised again, after the close."""
        error = as_service_error(exc)
        try:
            if error is not None and error.code in _CLOSE_CODE_OF:
                await self.outbox.close(*_close_of(error))
            elif error is not None:
                self.outbox.error(error)
                await self.outbox.close(WSCloseCode.OK, b"")
        finally:
            await self.close()
        if error is None:
            raise exc

    async def serve(
        self,
        handlers: Registry,
        *,
        unknown: Callable[[str], ServiceError],
        until: asyncio.Future[Any] | None = None,
        first: WSMessage | None = None,
    ) -> None:
        """Read and dispatch messages (`first` before them, if given) until the client leaves
        or `until` is done.

        `ping` is answered everywhere; a type with no handler gets `unknown(type)`.
        """
        registry = {"ping": Handler(no_fields, self._pong), "auth": _LATE_AUTH, **handlers}
        while True:
            message = first if first is not None else await self._next(until)
            first = None
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


def _auth_token(message: WSMessage | None) -> str | None:
    """The token of an `auth` message; None for any other message (or none)."""
    if message is None or message.type != WSMsgType.TEXT:
        return None
    try:
        data = parse_json(message.data, "The message")
    except ServiceError:
        return None
    if not isinstance(data, dict) or data.get("type") != "auth":
        return None
    token = data.get("token")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise ServiceError(Code.UNAUTHORIZED, "The auth message needs the token as 'token'")
    return token


def _late_auth(message: Message) -> None:
    raise ServiceError(
        Code.INVALID_MESSAGE,
        "'auth' must be the connection's first message: open a new connection to sign in",
    )


async def _never(_: None) -> None:
    """Not reached: `_late_auth` refuses every late `auth` message."""


_LATE_AUTH = Handler(_late_auth, _never)


def check_origin(request: web.Request) -> None:
    """`forbidden` for a browser page of another site: an `Origin` that names neither the host
    and port the request was sent to (`Host`, compared without the scheme) nor one of
    `CODEX_ALLOWED_ORIGINS`. A request without `Origin` does not come from a page."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    if origin.rstrip("/") in request.app[SETTINGS].allowed_origins:
        return
    if not _same_host(origin, request.host):
        raise ServiceError(Code.FORBIDDEN, f"Origin {origin[:80]} is not allowed")


def _same_host(origin: str, host: str) -> bool:
    try:
        page, target = URL(origin), URL(f"//{host}")
    except ValueError:
        return False
    if page.scheme not in ("http", "https") or not page.host or not target.host:
        return False
    default = 443 if page.scheme == "https" else 80
    return page.host.lower() == target.host.lower() and (page.explicit_port or default) == (
        target.explicit_port or default
    )


def _close_of(error: ServiceError) -> tuple[int, bytes]:
    return _CLOSE_CODE_OF.get(error.code, WSCloseCode.INTERNAL_ERROR), error.message.encode()[:120]


async def refuse(request: web.Request, error: ServiceError) -> web.WebSocketResponse:
    """Complete the handshake only to close the socket at once, with the close code of `error`."""
    ws = await _upgrade(request)
    code, reason = _close_of(error)
    await ws.close(code=code, message=reason)
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
    ws = web.WebSocketResponse(
        heartbeat=HEARTBEAT_SECONDS,
        max_msg_size=settings.ws_max_message_bytes,
        compress=False,
    )
    await ws.prepare(request)
    return ws
