"""`/api/exercises`: list, read, check a solution; teachers create, edit and delete."""

from __future__ import annotations

from aiohttp import web

from sandbox import check_run

from ..domain.exercises import parse_draft
from ..domain.grading import containers_at_once, grade, runs_counted
from ..errors import Code, ServiceError
from ..web import body
from ..web.auth import optional_identity, required_teacher
from ..web.keys import ACTIVITY, ENGINE, EXERCISES, SETTINGS
from ..web.run_request import RunServices, caller_of
from ..web.shapes import exercise_json, exercise_summary_json, verdict_json


async def list_exercises(request: web.Request) -> web.Response:
    identity = optional_identity(request)
    repository = request.app[EXERCISES]
    items = [exercise_summary_json(exercise) for exercise in await repository.all()]
    if identity is not None:
        solved = {str(i) for i in await repository.solved_by(identity.user_id)}
        for item in items:
            item["solved"] = item["id"] in solved
    return web.json_response({"exercises": items})


async def show_exercise(request: web.Request) -> web.Response:
    exercise = await request.app[EXERCISES].find(request.match_info["key"])
    return web.json_response(exercise_json(exercise))


async def validate(request: web.Request) -> web.Response:
    data = await body.json_object(request)
    identity = optional_identity(request)
    services = RunServices.of(request.app)
    engine = services.engine
    key = data.get("exerciseId")
    if isinstance(key, int) and not isinstance(key, bool):
        key = str(key)
    if not isinstance(key, str) or not key:
        raise ServiceError(
            Code.INVALID_REQUEST, "'exerciseId' is required (an exercise id or slug)"
        )
    checked = check_run(
        engine.languages,
        engine.policy,
        body.string(data, "language", max_length=64),
        body.string(data, "code"),
    )
    exercise = await request.app[EXERCISES].find(key)
    caller = caller_of(request, identity)
    # Each validation tells one pass/fail bit per hidden case, and its time: few a minute.
    await services.admission.count_validation(
        caller.quota.key, request.app[SETTINGS].validations_per_minute
    )
    # Two cases at a time, or one where the caller may hold only one container at once.
    at_once = min(containers_at_once(exercise), services.admission.most_at_once(caller.quota))
    async with services.admission.caller(
        caller.quota, containers=at_once, cost=runs_counted(exercise)
    ):
        verdict = await services.drain.run(
            grade(
                engine,
                exercise,
                checked,
                container_slot=services.admission.container,
                time_budget=request.app[SETTINGS].validation_seconds,
                cases_at_once=at_once,
            )
        )
    if identity is not None:
        await request.app[EXERCISES].record_submission(
            exercise_id=exercise.id,
            user_id=identity.user_id,
            language=checked.spec.id,
            code=checked.code,
            status=verdict.status,
            passed_count=verdict.passed_count,
            total=len(verdict.cases),
        )
        await request.app[ACTIVITY].student(
            str(identity.user_id),
            {
                "type": "validated",
                "exercise": {
                    "id": str(exercise.id),
                    "slug": exercise.slug,
                    "title": exercise.title,
                },
                "passed": verdict.passed_count,
                "total": len(verdict.cases),
                "solved": verdict.passed,
                "status": verdict.status,
            },
        )
    return web.json_response(verdict_json(verdict))


async def create_exercise(request: web.Request) -> web.Response:
    teacher = required_teacher(request)
    draft = parse_draft(await body.json_object(request), request.app[ENGINE].languages.ids)
    exercise = await request.app[EXERCISES].create(draft, teacher.user_id)
    return web.json_response(exercise_json(exercise), status=201)


async def update_exercise(request: web.Request) -> web.Response:
    required_teacher(request)
    draft = parse_draft(await body.json_object(request), request.app[ENGINE].languages.ids)
    exercise = await request.app[EXERCISES].update(request.match_info["key"], draft)
    return web.json_response(exercise_json(exercise))


async def delete_exercise(request: web.Request) -> web.Response:
    required_teacher(request)
    await request.app[EXERCISES].delete(request.match_info["key"])
    return web.Response(status=204)


def setup_routes(app: web.Application) -> None:
    for collection in ("/api/exercises", "/api/exercises/"):
        app.router.add_get(collection, list_exercises)
        app.router.add_post(collection, create_exercise)
    app.router.add_post("/api/exercises/validate", validate)
    app.router.add_get("/api/exercises/{key}", show_exercise)
    app.router.add_put("/api/exercises/{key}", update_exercise)
    app.router.add_delete("/api/exercises/{key}", delete_exercise)
