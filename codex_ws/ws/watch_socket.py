"""`GET /ws/sessions/{id}/watch`: follow a session as it happens, from any server process: a
snapshot of everything so far, then every event, then a normal close after its exit."""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..domain.sessions import SessionInfo
from ..errors import Code, ServiceError
from ..store.sessions import SessionHub, SessionUnavailable
from ..web.access import visible_session
from ..web.auth import optional_identity
from ..web.keys import SESSIONS
from ..web.outbox import Outbox
from ..web.shapes import snapshot_json
from .connection import Connection, check_origin, refuse


def _read_only(kind: str) -> ServiceError:
    return ServiceError(Code.READ_ONLY, "Watching is read-only: only 'ping' is accepted")


async def watch_socket(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[SESSIONS]
    try:
        check_origin(request)
        identity = optional_identity(request, allow_query=True)
        if identity is not None:
            session = await visible_session(hub, identity, request.match_info["id"])
    except ServiceError as exc:
        return await refuse(request, exc)
    connection = await Connection.accept(request)
    if identity is None:
        try:
            identity, _ = await connection.authenticate(request.app, required=True)
            assert identity is not None
            session = await visible_session(hub, identity, request.match_info["id"])
        except Exception as exc:
            await connection.refuse(exc)
            return connection.ws
    follower = asyncio.create_task(_follow(hub, connection.outbox, session))
    try:
        # Reading stops once the session is over and the follower is done.
        await connection.serve({}, unknown=_read_only, until=follower)
    finally:
        follower.cancel()
        try:
            await asyncio.gather(follower, return_exceptions=True)
        finally:
            await connection.close()
    return connection.ws


async def _follow(hub: SessionHub, outbox: Outbox, session: SessionInfo) -> None:
    """Snapshot, then every event as it comes, until `exit`."""
    first = True
    try:
        async for batch in hub.follow(session.id):
            if first:
                first = False
                events = batch
                if not events and session.state != "running":
                    events = await hub.transcript(session.id)
                outbox.send(snapshot_json(session, events))
                if session.state != "running" and not batch:
                    break
            else:
                for event in batch:
                    outbox.send(event)
    except SessionUnavailable as exc:
        outbox.error(ServiceError(Code.UNAVAILABLE, f"{exc}; reconnect to try again"))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/ws/sessions/{id}/watch", watch_socket)
