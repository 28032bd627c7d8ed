"""`GET /ws/sessions/{id}/watch`: follow a session as it happens, from any server process: a
snapshot of everything so far, then every event, then a normal close after its exit."""

from __future__ import annotations

from aiohttp import web

from ..domain.sessions import SessionInfo
from ..domain.tokens import Identity
from ..web.access import visible_session
from ..web.keys import CLASSES, SESSIONS
from .watching import admit, relay_session, serve_until_done


async def watch_socket(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[SESSIONS]

    async def visible(identity: Identity) -> SessionInfo:
        return await visible_session(hub, request.app[CLASSES], identity, request.match_info["id"])

    watcher = await admit(request, visible)
    if isinstance(watcher, web.WebSocketResponse):
        return watcher
    outbox = watcher.connection.outbox
    return await serve_until_done(watcher.connection, relay_session(hub, outbox, watcher.subject))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/ws/sessions/{id}/watch", watch_socket)
