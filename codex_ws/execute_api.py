"""`POST /api/execute`: run a program to the end and answer with what it did;
`GET /api/executions`: the caller's recent runs."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox import Result

from . import body
from .auth import optional_identity, required_identity
from .errors import ApiError
from .keys import ADMISSION, DRAIN, ENGINE, HISTORY
from .runs import parse_run, quota_for


def result_json(result: Result) -> dict[str, Any]:
    return {
        "success": result.success,
        "output": result.output,
        "error": result.error,
        "exitCode": result.exit_code,
        "status": str(result.status),
        "signal": result.signal,
        "timedOut": result.timed_out,
        "truncated": result.truncated,
        "compileOutput": result.compile_output,
        "durationMs": result.duration_ms,
        "language": result.language,
        "version": result.version,
        "executionId": result.run_id,
    }


async def execute(request: web.Request) -> web.Response:
    data = await body.json_object(request)
    identity = optional_identity(request)
    claimed = data.get("userId")
    if claimed is not None:
        if not isinstance(claimed, str | int) or isinstance(claimed, bool):
            raise ApiError("invalid_request", "'userId' must be a string")
        if identity is not None and str(claimed) != str(identity.user_id):
            raise ApiError("forbidden", "'userId' must be the signed-in user's id")
    run = parse_run(request, data)
    stdin = body.optional_string(data, "stdin").encode()
    engine = request.app[ENGINE]
    engine.policy.check_stdin(stdin)
    async with request.app[ADMISSION].run(quota_for(request, identity)):
        result = await request.app[DRAIN].run(
            engine.execute(run.spec.id, run.code, stdin, run.args, run.limits)
        )
    await request.app[HISTORY].record_quietly(
        result,
        code=run.code,
        source="rest",
        user_id=identity.user_id if identity else None,
        client_ip=request.remote,
    )
    return web.json_response(result_json(result))


async def executions(request: web.Request) -> web.Response:
    identity = required_identity(request)
    raw = request.query.get("limit", "20")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100:
        raise ApiError("invalid_request", "'limit' must be a whole number from 1 to 100")
    items = await request.app[HISTORY].recent(identity.user_id, int(raw))
    return web.json_response({"executions": items})


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/api/execute", execute)
    app.router.add_get("/api/executions", executions)
