"""Sessions for teachers and their owners: `GET /api/sessions`, `GET /api/sessions/{id}`."""

from __future__ import annotations

from aiohttp import web

from ..web.access import visible_session
from ..web.auth import required_identity
from ..web.keys import SESSIONS
from ..web.shapes import session_json


async def list_sessions(request: web.Request) -> web.Response:
    identity = required_identity(request)
    owner = None if identity.is_teacher else str(identity.user_id)
    sessions = await request.app[SESSIONS].recent(owner)
    return web.json_response({"sessions": [session_json(s) for s in sessions]})


async def show_session(request: web.Request) -> web.Response:
    identity = required_identity(request)
    hub = request.app[SESSIONS]
    session = await visible_session(hub, identity, request.match_info["id"])
    events = await hub.transcript(session.id)
    return web.json_response(session_json(session, with_code=True) | {"events": events})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/sessions", list_sessions)
    app.router.add_get("/api/sessions/", list_sessions)
    app.router.add_get("/api/sessions/{id}", show_session)
