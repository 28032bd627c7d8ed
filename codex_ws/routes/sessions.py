"""Sessions for teachers and their owners: `GET /api/sessions`, `GET /api/sessions/{id}`."""

from __future__ import annotations

from aiohttp import web

from ..domain.budget import page
from ..domain.classes import class_id, user_id
from ..errors import Code, ServiceError
from ..web.access import visible_session, visible_student
from ..web.auth import required_identity
from ..web.keys import CLASSES, SESSIONS
from ..web.shapes import session_json

PAGE_EVENTS = 1000  # the default `limit` of a page of a session's events
MAX_PAGE_EVENTS = 5000
PAGE_BYTES = 256 << 10  # a page's events stop before their JSON text passes this


STATES = ("running", "ended")
PAGE_SESSIONS = 50
MAX_PAGE_SESSIONS = 200


async def list_sessions(request: web.Request) -> web.Response:
    """The newest sessions the caller may see, narrowed by `class`, `student` and `state`."""
    identity = required_identity(request)
    classes = request.app[CLASSES]
    in_class = student = None
    if "class" in request.query:
        in_class = class_id(request.query["class"])
        if not identity.is_teacher:
            raise ServiceError(Code.FORBIDDEN, "Only the class's teachers can list its sessions")
        await classes.teaching(identity, in_class)
    if "student" in request.query:
        student = user_id(request.query["student"])
        await visible_student(classes, identity, student)
    state = request.query.get("state")
    if state is not None and state not in STATES:
        raise ServiceError(Code.INVALID_REQUEST, "'state' must be 'running' or 'ended'")
    limit = _whole_number(request, "limit", PAGE_SESSIONS, 1, MAX_PAGE_SESSIONS)
    sessions = await request.app[SESSIONS].listed(
        identity, in_class=in_class, student=student, state=state, limit=limit
    )
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
    session = await visible_session(hub, request.app[CLASSES], identity, request.match_info["id"])
    events, more = page(await hub.transcript(session.id), after, limit, PAGE_BYTES)
    return web.json_response(
        session_json(session, with_code=True)
        | {"events": events, "more": more, "nextAfter": after + len(events) if more else None}
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/sessions", list_sessions)
    app.router.add_get("/api/sessions/", list_sessions)
    app.router.add_get("/api/sessions/{id}", show_session)
