"""What both WebSocket endpoints share: the handshake checks, the sockets open for shutdown,
and the close codes of the contract."""

from __future__ import annotations

import asyncio
import weakref

from aiohttp import WSCloseCode, web

from .errors import ApiError
from .keys import SETTINGS, SOCKETS
from .outbox import Outbox

CLOSE_UNAUTHORIZED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_NOT_FOUND = 4004
CLOSE_RATE_LIMITED = 4429
HEARTBEAT_SECONDS = 20.0


async def open_socket(request: web.Request) -> web.WebSocketResponse:
    """Accept the upgrade (after the Origin check)."""
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
    return ws


async def accept(request: web.Request) -> Outbox:
    """Accept the upgrade and give the socket its writer; a shutdown closes it (1001)."""
    outbox = Outbox(await open_socket(request))
    request.app[SOCKETS].add(outbox)
    return outbox


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
    """On shutdown: every socket gets what is queued for it, then 1001 (going away)."""
    sockets: weakref.WeakSet[Outbox] = app[SOCKETS]
    await asyncio.gather(
        *(outbox.close(WSCloseCode.GOING_AWAY, b"server shutting down") for outbox in set(sockets)),
        return_exceptions=True,
    )
