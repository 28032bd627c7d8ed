"""Sessions for teachers and their owners: `GET /api/sessions`, `GET /api/sessions/{id}`, and
`GET /ws/sessions/{id}/watch`, which shows a run as it happens (from any server process)."""

from __future__ import annotations

import asyncio
import json

from aiohttp import WSMsgType, web

from .auth import required_identity
from .errors import ApiError
from .keys import SESSIONS
from .outbox import Outbox
from .sessions import SessionInfo, SessionUnavailable
from .tokens import Identity
from .ws_connection import accept, close_code_for, open_socket, refuse


def _may_see(identity: Identity, session: SessionInfo) -> bool:
    return identity.role == "teacher" or session.user_id == str(identity.user_id)


async def _visible(request: web.Request, identity: Identity, session_id: str) -> SessionInfo:
    session = await request.app[SESSIONS].find(session_id)
    if session is None:
        raise ApiError("not_found", f"No session {session_id!r}")
    if not _may_see(identity, session):
        raise ApiError("forbidden", "Only a teacher or the session's owner can see it")
    return session


async def list_sessions(request: web.Request) -> web.Response:
    identity = required_identity(request)
    owner = None if identity.role == "teacher" else str(identity.user_id)
    sessions = await request.app[SESSIONS].recent(owner)
    return web.json_response({"sessions": [s.to_json() for s in sessions]})


async def show_session(request: web.Request) -> web.Response:
    identity = required_identity(request)
    session = await _visible(request, identity, request.match_info["id"])
    events = await request.app[SESSIONS].transcript(session.id)
    return web.json_response(session.to_json(with_code=True) | {"events": events})


async def watch(request: web.Request) -> web.WebSocketResponse:
    try:
        identity = required_identity(request, allow_query=True)
        session = await _visible(request, identity, request.match_info["id"])
    except ApiError as exc:
        return await refuse(await open_socket(request), close_code_for(exc), exc.message)
    outbox = await accept(request)
    ws = outbox.ws
    follower = asyncio.create_task(_follow(request, outbox, session))
    try:
        while True:
            # The handler stays the only reader; it stops reading once the session is over.
            receive = asyncio.create_task(ws.receive())
            await asyncio.wait({receive, follower}, return_when=asyncio.FIRST_COMPLETED)
            if not receive.done():
                receive.cancel()
                await asyncio.gather(receive, return_exceptions=True)
                break
            message = receive.result()
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                break
            if message.type == WSMsgType.ERROR:
                break
            if message.type == WSMsgType.TEXT and _is_ping(message.data):
                outbox.send({"type": "pong"})
            else:
                outbox.error("read_only", "Watching is read-only: only 'ping' is accepted")
    finally:
        follower.cancel()
        try:
            await asyncio.gather(follower, return_exceptions=True)
            await outbox.flush_and_stop()
        finally:
            # Also when the connection is lost meanwhile and aiohttp cancels this handler.
            await outbox.stop()
            await ws.close()
    return ws


async def _follow(request: web.Request, outbox: Outbox, session: SessionInfo) -> None:
    """Snapshot, then every event as it comes, then a normal close after `exit`."""
    hub = request.app[SESSIONS]
    first = True
    try:
        async for batch in hub.follow(session.id):
            if first:
                first = False
                snapshot = session.to_json(with_code=True)
                del snapshot["endedAt"], snapshot["status"]
                events = batch
                if not events and session.state != "running":
                    events = await hub.transcript(session.id)
                outbox.send({"type": "snapshot", "session": snapshot, "events": events})
                if session.state != "running" and not batch:
                    break
            else:
                for event in batch:
                    outbox.send(event)
    except SessionUnavailable as exc:
        outbox.error("unavailable", f"{exc}; reconnect to try again")


def _is_ping(text: str) -> bool:
    try:
        message = json.loads(text)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("type") == "ping"


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/sessions", list_sessions)
    app.router.add_get("/api/sessions/{id}", show_session)
    app.router.add_get("/ws/sessions/{id}/watch", watch)
