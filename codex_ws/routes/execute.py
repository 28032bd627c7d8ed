"""`POST /api/execute`: run a program to the end and answer with what it did;
`GET /api/executions`: the caller's recent runs (or, for a teacher, a student's)."""

from __future__ import annotations

from aiohttp import web

from ..domain.classes import user_id
from ..errors import Code, ServiceError
from ..web import body
from ..web.access import visible_student
from ..web.auth import optional_identity, required_identity
from ..web.keys import CLASSES, HISTORY
from ..web.run_request import RunServices, caller_of, parse_run
from ..web.shapes import execution_json, result_json


async def execute(request: web.Request) -> web.Response:
    data = await body.json_object(request)
    identity = optional_identity(request)
    claimed = data.get("userId")
    if claimed is not None:
        if not isinstance(claimed, str | int) or isinstance(claimed, bool):
            raise ServiceError(Code.INVALID_REQUEST, "'userId' must be a string or an integer")
        if identity is not None and str(claimed) != str(identity.user_id):
            raise ServiceError(Code.FORBIDDEN, "'userId' must be the signed-in user's id")
    services = RunServices.of(request.app)
    checked = parse_run(services.engine, data, with_stdin=True)
    caller = caller_of(request, identity)
    async with services.admission.run(caller.quota):
        result = await services.drain.run(services.engine.execute(checked))
    await services.history.record_quietly(
        result,
        code=checked.code,
        source="rest",
        user_id=caller.user_id,
        client_ip=caller.address,
    )
    return web.json_response(result_json(result))


async def executions(request: web.Request) -> web.Response:
    identity = required_identity(request)
    raw = request.query.get("limit", "20")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100:
        raise ServiceError(Code.INVALID_REQUEST, "'limit' must be a whole number from 1 to 100")
    whose = identity.user_id
    if "student" in request.query:
        whose = user_id(request.query["student"])
        await visible_student(request.app[CLASSES], identity, whose)
    items = await request.app[HISTORY].recent(whose, int(raw), identity)
    return web.json_response({"executions": [execution_json(item) for item in items]})


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/api/execute", execute)
    app.router.add_get("/api/executions", executions)
    app.router.add_get("/api/executions/", executions)
