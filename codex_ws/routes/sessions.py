"""Sessions for teachers and their owners: `GET /api/sessions`, `GET /api/sessions/{id}`."""

from __future__ import annotations

from aiohttp import web

from ..domain.budget import page
from ..errors import Code, ServiceError
from ..web.access import visible_session
from ..web.auth import required_identity
from ..web.keys import SESSIONS
from ..web.shapes import session_json

PAGE_EVENTS = 1000  # the default `limit` of a page of a session's events
MAX_PAGE_EVENTS = 5000
PAGE_BYTES = 256 << 10  # a page's events stop before their JSON text passes this


async def list_sessions(request: web.Request) -> web.Response:
    identity = required_identity(request)
    owner = None if identity.is_teacher else str(identity.user_id)
    sessions = await request.app[SESSIONS].recent(owner)
    return web.json_response({"sessions": [session_json(s) for s in sessions]})


def _whole_number(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name, str(default))
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ServiceError(
            Code.INVALID_REQUEST, f"'{name}' must be a whole number from {low} to {high}"
        )
    return int(raw)


async def show_session(request: web.Request) -> web.Response:
    identity = required_identity(request)
    after = _whole_number(request, "after", 0, 0, 10**9)
    limit = _whole_number(request, "limit", PAGE_EVENTS, 1, MAX_PAGE_EVENTS)
    hub = request.app[SESSIONS]
    session = await visible_session(hub, identity, request.match_info["id"])
    events, more = page(await hub.transcript(session.id), after, limit, PAGE_BYTES)
    return web.json_response(
        session_json(session, with_code=True)
        | {"events": events, "more": more, "nextAfter": after + len(events) if more else None}
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/sessions", list_sessions)
    app.router.add_get("/api/sessions/", list_sessions)
    app.router.add_get("/api/sessions/{id}", show_session)
