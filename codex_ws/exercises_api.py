"""`/api/exercises`: list, read, check a solution; teachers create, edit and delete."""

from __future__ import annotations

from aiohttp import web

from . import body
from .auth import optional_identity, required_teacher
from .errors import ApiError
from .exercises import parse_draft
from .grading import grade
from .keys import ADMISSION, DRAIN, ENGINE, EXERCISES, SETTINGS
from .runs import quota_for


async def list_exercises(request: web.Request) -> web.Response:
    identity = optional_identity(request)
    repository = request.app[EXERCISES]
    items = [exercise.summary_json() for exercise in await repository.all()]
    if identity is not None:
        solved = {str(i) for i in await repository.solved_by(identity.user_id)}
        for item in items:
            item["solved"] = item["id"] in solved
    return web.json_response({"exercises": items})


async def show_exercise(request: web.Request) -> web.Response:
    exercise = await request.app[EXERCISES].find(request.match_info["key"])
    return web.json_response(exercise.detail_json())


async def validate(request: web.Request) -> web.Response:
    data = await body.json_object(request)
    identity = optional_identity(request)
    engine = request.app[ENGINE]
    key = data.get("exerciseId")
    if isinstance(key, int) and not isinstance(key, bool):
        key = str(key)
    if not isinstance(key, str) or not key:
        raise ApiError("invalid_request", "'exerciseId' is required (an exercise id or slug)")
    spec = engine.languages.get(body.string(data, "language", max_length=64))
    code = body.string(data, "code")
    engine.policy.check_payload(code, ())
    exercise = await request.app[EXERCISES].find(key)
    admission = request.app[ADMISSION]
    async with admission.caller(quota_for(request, identity)):
        verdict = await request.app[DRAIN].run(
            grade(
                engine,
                exercise,
                spec.id,
                code,
                container_slot=admission.container,
                time_budget=request.app[SETTINGS].validation_seconds,
            )
        )
    if identity is not None:
        await request.app[EXERCISES].record_submission(
            exercise_id=exercise.id,
            user_id=identity.user_id,
            language=spec.id,
            code=code,
            status=verdict.status,
            passed_count=verdict.passed_count,
            total=len(verdict.cases),
        )
    return web.json_response(verdict.to_json())


async def create_exercise(request: web.Request) -> web.Response:
    teacher = required_teacher(request)
    draft = parse_draft(await body.json_object(request), request.app[ENGINE].languages.ids)
    exercise = await request.app[EXERCISES].create(draft, teacher.user_id)
    return web.json_response(exercise.detail_json(), status=201)


async def update_exercise(request: web.Request) -> web.Response:
    required_teacher(request)
    draft = parse_draft(await body.json_object(request), request.app[ENGINE].languages.ids)
    exercise = await request.app[EXERCISES].update(request.match_info["key"], draft)
    return web.json_response(exercise.detail_json())


async def delete_exercise(request: web.Request) -> web.Response:
    required_teacher(request)
    await request.app[EXERCISES].delete(request.match_info["key"])
    return web.Response(status=204)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/exercises", list_exercises)
    app.router.add_post("/api/exercises", create_exercise)
    app.router.add_post("/api/exercises/validate", validate)
    app.router.add_get("/api/exercises/{key}", show_exercise)
    app.router.add_put("/api/exercises/{key}", update_exercise)
    app.router.add_delete("/api/exercises/{key}", delete_exercise)
