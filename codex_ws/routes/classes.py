"""`/api/classes`: teachers make classes and share a join code, students join with it, teachers
assign exercises and read their students' progress."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from ..domain.classes import class_id, class_name, user_id
from ..errors import Code, ServiceError
from ..web import body
from ..web.auth import required_identity, required_teacher
from ..web.keys import ACCOUNTS, ACTIVITY, CLASSES, EXERCISES
from ..web.shapes import (
    assignment_json,
    class_json,
    joined_class_json,
    member_json,
    progress_json,
)


async def create_class(request: web.Request) -> web.Response:
    teacher = required_teacher(request)
    name = class_name(body.string(await body.json_object(request), "name", max_length=1000))
    info = await request.app[CLASSES].create(name, teacher.user_id)
    return web.json_response(class_json(info), status=201)


async def list_classes(request: web.Request) -> web.Response:
    identity = required_identity(request)
    classes = request.app[CLASSES]
    if identity.is_admin:
        shown = [class_json(c) for c in await classes.every()]
    elif identity.is_teacher:
        shown = [class_json(c) for c in await classes.taught_by(identity.user_id)]
    else:
        shown = [joined_class_json(c) for c in await classes.joined_by(identity.user_id)]
    return web.json_response({"classes": shown})


async def show_class(request: web.Request) -> web.Response:
    identity = required_teacher(request)
    classes = request.app[CLASSES]
    info = await classes.teaching(identity, class_id(request.match_info["id"]))
    students = await classes.students(info.id)
    exercises = await classes.assignments(info.id)
    return web.json_response(
        class_json(info)
        | {
            "students": [member_json(s) for s in students],
            "exercises": [assignment_json(a) for a in exercises],
        }
    )


async def join_class(request: web.Request) -> web.Response:
    identity = required_identity(request)
    if identity.is_teacher:
        raise ServiceError(
            Code.FORBIDDEN,
            "Join codes are for students: a teacher is added to a class by one of its teachers",
        )
    code = body.string(await body.json_object(request), "joinCode", max_length=64)
    info = await request.app[CLASSES].join(code, identity.user_id)
    await request.app[ACTIVITY].publish(
        request.app[ACTIVITY].class_channel(str(info.id)),
        {
            "type": "student_joined",
            "student": {"id": str(identity.user_id), "name": identity.name},
        },
    )
    return web.json_response({"class": {"id": str(info.id), "name": info.name}})


async def rotate_join_code(request: web.Request) -> web.Response:
    identity = required_teacher(request)
    classes = request.app[CLASSES]
    info = await classes.teaching(identity, class_id(request.match_info["id"]))
    return web.json_response({"joinCode": await classes.rotate_code(info.id)})


async def add_teacher(request: web.Request) -> web.Response:
    identity = required_teacher(request)
    classes = request.app[CLASSES]
    info = await classes.teaching(identity, class_id(request.match_info["id"]))
    email = body.string(await body.json_object(request), "email", max_length=254).strip()
    account = await request.app[ACCOUNTS].find_by_email(email)
    if account is None:
        raise ServiceError(
            Code.NOT_FOUND, f"No account has the email {email}: they sign up as a teacher first"
        )
    if account.role not in ("teacher", "admin"):
        raise ServiceError(
            Code.INVALID_REQUEST,
            f"{email} is a student account: only teacher accounts can teach a class",
        )
    await classes.add_teacher(info.id, account.id)
    return web.json_response(class_json(await classes.get(info.id)))


async def remove_student(request: web.Request) -> web.Response:
    identity = required_identity(request)
    classes = request.app[CLASSES]
    the_class = class_id(request.match_info["id"])
    student = user_id(request.match_info["userId"])
    if student != identity.user_id:  # leaving needs no teacher
        if not identity.is_teacher:
            raise ServiceError(Code.FORBIDDEN, "Only the class's teachers can remove a student")
        await classes.teaching(identity, the_class)
    await classes.remove_student(the_class, student)
    await request.app[ACTIVITY].publish(
        request.app[ACTIVITY].class_channel(str(the_class)),
        {"type": "student_left", "student": str(student)},
    )
    return web.Response(status=204)


def _due_at(data: dict[str, object]) -> datetime | None:
    raw = data.get("dueAt")
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            due = datetime.fromisoformat(raw)
        except ValueError:
            pass
        else:
            if due.tzinfo is not None:
                return due
    raise ServiceError(
        Code.INVALID_REQUEST,
        "'dueAt' must be null or a date and time with its offset, e.g. 2026-12-24T18:00:00Z",
    )


async def assign_exercise(request: web.Request) -> web.Response:
    identity = required_teacher(request)
    classes = request.app[CLASSES]
    info = await classes.teaching(identity, class_id(request.match_info["id"]))
    data = await body.json_object(request)
    key = body.string(data, "exercise", max_length=200)
    due_at = _due_at(data)
    exercise = await request.app[EXERCISES].find(key)
    await classes.assign(info.id, exercise.id, due_at)
    assigned = next(a for a in await classes.assignments(info.id) if a.exercise_id == exercise.id)
    return web.json_response(assignment_json(assigned))


async def unassign_exercise(request: web.Request) -> web.Response:
    identity = required_teacher(request)
    classes = request.app[CLASSES]
    info = await classes.teaching(identity, class_id(request.match_info["id"]))
    exercise = await request.app[EXERCISES].find(request.match_info["exercise"])
    await classes.unassign(info.id, exercise.id)
    return web.Response(status=204)


async def progress(request: web.Request) -> web.Response:
    identity = required_teacher(request)
    classes = request.app[CLASSES]
    info = await classes.teaching(identity, class_id(request.match_info["id"]))
    return web.json_response(
        progress_json(
            await classes.students(info.id),
            await classes.assignments(info.id),
            await classes.progress(info.id),
        )
    )


def setup_routes(app: web.Application) -> None:
    for collection in ("/api/classes", "/api/classes/"):
        app.router.add_get(collection, list_classes)
        app.router.add_post(collection, create_class)
    app.router.add_post("/api/classes/join", join_class)
    app.router.add_get("/api/classes/{id}", show_class)
    app.router.add_post("/api/classes/{id}/join-code", rotate_join_code)
    app.router.add_post("/api/classes/{id}/teachers", add_teacher)
    app.router.add_delete("/api/classes/{id}/students/{userId}", remove_student)
    app.router.add_post("/api/classes/{id}/exercises", assign_exercise)
    app.router.add_delete("/api/classes/{id}/exercises/{exercise}", unassign_exercise)
    app.router.add_get("/api/classes/{id}/progress", progress)
