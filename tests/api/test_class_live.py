"""A class, live: the watch socket's snapshot and events, and following one student from run to
run on one socket."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
from openapi_schema_validator import OAS31Validator

from .classroom import Socket, join, new_class, run, settled
from .conftest import Account, Client, SignUp
from .test_openapi import validator
from .test_ws_run import next_message as message
from .test_ws_run import until

WAITS = """print("name?", flush=True)
print("hello " + input(), flush=True)
"""


CLASS_MESSAGE = validator({"$ref": "#/components/schemas/WsClassServerMessage"})
FOLLOW_MESSAGE = validator({"$ref": "#/components/schemas/WsFollowServerMessage"})


async def documented(ws: Socket, schema: OAS31Validator = CLASS_MESSAGE) -> dict[str, Any]:
    """The next message, checked against its schema in docs/openapi.yaml."""
    event = await message(ws)
    errors = [e.message for e in schema.iter_errors(event)]
    assert not errors, (errors, event)
    return event


async def next_of(ws: Socket, kind: str, student: str, within: float = 30) -> dict[str, Any]:
    """The next event of `kind` about `student`, skipping others."""
    async with asyncio.timeout(within):
        while True:
            event = await documented(ws)
            if event["type"] == kind and _about(event) == student:
                return event


def _about(event: dict[str, Any]) -> str:
    student = event.get("student")
    return str(student["id"] if isinstance(student, dict) else student)


async def _closed_with(client: Client, path: str, code: int) -> None:
    async with client.ws_connect(path) as ws:
        received = await ws.receive(timeout=10)
        assert received.type == aiohttp.WSMsgType.CLOSE, received
        assert ws.close_code == code


async def test_only_the_class_teachers_watch_it(client: Client, sign_up: SignUp) -> None:
    teacher, other_teacher = await sign_up("teacher"), await sign_up("teacher")
    student = await sign_up("student")
    the_class = await new_class(client, teacher)
    await join(client, student, the_class["joinCode"])
    watch = f"/ws/classes/{the_class['id']}/watch"
    await _closed_with(client, f"{watch}?token={other_teacher.token}", 4003)
    await _closed_with(client, f"{watch}?token={student.token}", 4003)
    await _closed_with(client, f"/ws/classes/{uuid.uuid4()}/watch?token={teacher.token}", 4004)
    await _closed_with(client, "/ws/classes/not-an-id/watch?token=" + teacher.token, 4004)


async def test_the_class_watch_shows_each_student_as_it_happens(
    client: Client, sign_up: SignUp
) -> None:
    teacher = await sign_up("teacher")
    the_class = await new_class(client, teacher)
    ran_before, quiet = await sign_up("student"), await sign_up("student")
    for student in (ran_before, quiet):
        await join(client, student, the_class["joinCode"])
    earlier = await run(client, ran_before, "import sys; sys.exit(3)")
    await settled(client, ran_before, earlier.session_id)

    watch = f"/ws/classes/{the_class['id']}/watch"

    async with client.ws_connect(watch) as ws:
        await ws.send_json({"type": "auth", "token": teacher.token})
        snapshot = await documented(ws)
        assert snapshot["type"] == "snapshot"
        assert snapshot["class"] == {"id": the_class["id"], "name": the_class["name"]}
        students = {s["id"]: s for s in snapshot["students"]}
        assert set(students) == {ran_before.id, quiet.id}
        assert students[quiet.id] == {
            "id": quiet.id,
            "name": "A student",
            "online": False,
            "session": None,
            "lastVerdict": None,
        }
        shown = students[ran_before.id]
        assert shown["session"]["id"] == earlier.session_id
        assert set(shown["session"]) == {"id", "language", "state", "startedAt"}
        assert shown["lastVerdict"]["kind"] == "run"
        assert shown["lastVerdict"]["status"] == "runtime_error"

        # A new student joins; opens the IDE; runs; leaves the IDE.
        newcomer = await sign_up("student")
        await join(client, newcomer, the_class["joinCode"])
        joined = await next_of(ws, "student_joined", newcomer.id)
        assert joined["student"]["name"] == "A student" and joined["online"] is False
        async with client.ws_connect(f"/ws/run?token={newcomer.token}") as ide:
            await next_of(ws, "student_online", newcomer.id)
            await ide.send_json({"type": "run", "language": "python", "code": "print(1)"})
            started_id = (await until(ide, "exit"))[0]["sessionId"]
            started = await next_of(ws, "session_started", newcomer.id)
            assert started["session"]["id"] == started_id
            assert started["session"]["state"] == "running"
            ended = await next_of(ws, "session_ended", newcomer.id)
            assert ended["status"] == "ok" and ended["session"]["id"] == started_id
        await next_of(ws, "student_offline", newcomer.id)

        # A check of an exercise.
        response = await client.post(
            "/api/exercises/validate",
            json={"exerciseId": "reverse-string", "language": "python", "code": "print(1)"},
            headers=newcomer.headers,
        )
        assert response.status == 200
        checked = await next_of(ws, "validated", newcomer.id)
        assert checked["exercise"]["slug"] == "reverse-string"
        assert checked["passed"] == 0 and checked["total"] > 0 and checked["solved"] is False
        assert checked["status"] != "accepted"

        await _leaves_unseen(client, ws, the_class, quiet, ran_before)

    # A new snapshot has the validation as the newcomer's last verdict.
    async with client.ws_connect(f"{watch}?token={teacher.token}") as ws:
        snapshot = await message(ws)
        students = {s["id"]: s for s in snapshot["students"]}
        assert set(students) == {ran_before.id, newcomer.id}
        verdict = students[newcomer.id]["lastVerdict"]
        assert verdict["kind"] == "validation" and verdict["exercise"]["slug"] == "reverse-string"
        assert verdict["passed"] == 0 and verdict["total"] > 0


async def _leaves_unseen(
    client: Client, ws: Socket, the_class: dict[str, Any], quiet: Account, stays: Account
) -> None:
    """`quiet` leaves: the watch says so, and sees nothing of them after."""
    response = await client.delete(
        f"/api/classes/{the_class['id']}/students/{quiet.id}", headers=quiet.headers
    )
    assert response.status == 204
    await next_of(ws, "student_left", quiet.id)
    async with client.ws_connect(f"/ws/run?token={quiet.token}") as ide:
        await ide.send_json({"type": "ping"})
        assert (await message(ide))["type"] == "pong"
        # Someone still in the class comes online after; the leaver's events never came.
        async with client.ws_connect(f"/ws/run?token={stays.token}"):
            event = await documented(ws)
            assert event == {"type": "student_online", "student": stays.id}


async def test_following_a_student_switches_to_each_new_run(
    client: Client, sign_up: SignUp, teacher: Account
) -> None:
    the_class = await new_class(client, teacher)
    student, outsider = await sign_up("student"), await sign_up("student")
    await join(client, student, the_class["joinCode"])
    follow = f"/ws/classes/{the_class['id']}/students/{student.id}/follow"
    await _closed_with(
        client,
        f"/ws/classes/{the_class['id']}/students/{outsider.id}/follow?token={teacher.token}",
        4004,
    )
    await _closed_with(client, f"{follow}?token={student.token}", 4003)

    async with client.ws_connect(f"{follow}?token={teacher.token}") as ws:
        assert await documented(ws, FOLLOW_MESSAGE) == {
            "type": "waiting",
            "student": {"id": student.id, "name": "A student"},
        }
        async with client.ws_connect(f"/ws/run?token={student.token}") as ide:
            for name in ("Ada", "Grace"):
                await ide.send_json({"type": "run", "language": "python", "code": WAITS})
                session_id = (await until(ide, "started"))[-1]["sessionId"]
                switched = await documented(ws, FOLLOW_MESSAGE)
                assert switched["type"] == "switched"
                assert switched["session"]["id"] == session_id
                assert switched["session"]["code"] == WAITS
                snapshot = await documented(ws, FOLLOW_MESSAGE)
                assert snapshot["type"] == "snapshot"
                assert snapshot["session"]["id"] == session_id
                seen = "".join(e.get("data", "") for e in snapshot["events"])
                await until(ide, "stdout")
                await ide.send_json({"type": "stdin", "data": f"{name}\n"})
                await until(ide, "exit")
                while True:
                    event = await documented(ws, FOLLOW_MESSAGE)
                    seen += event.get("data", "") if event["type"] == "stdout" else ""
                    if event["type"] == "exit":
                        break
                assert seen == f"name?\nhello {name}\n"

    # A follower arriving after the run sees the last session whole.
    async with client.ws_connect(f"{follow}?token={teacher.token}") as ws:
        snapshot = await message(ws)
        assert snapshot["type"] == "snapshot" and snapshot["session"]["id"] == session_id
        assert any(e["type"] == "exit" for e in snapshot["events"])


async def test_a_follower_sees_the_code_as_it_is_typed_and_the_student_knows(
    client: Client, sign_up: SignUp, teacher: Account
) -> None:
    the_class = await new_class(client, teacher)
    student = await sign_up("student")
    await join(client, student, the_class["joinCode"])
    follow = f"/ws/classes/{the_class['id']}/students/{student.id}/follow?token={teacher.token}"
    async with client.ws_connect(f"/ws/run?token={student.token}") as ide:
        async with client.ws_connect(follow) as ws:
            assert (await documented(ws, FOLLOW_MESSAGE))["type"] == "waiting"
            assert await message(ide) == {"type": "watched", "watchers": 1}
            for typed in ("pri", "print(", "print('hi')"):
                await ide.send_json({"type": "code", "language": "py", "code": typed})
            while True:  # the newest always arrives; those typed in between may be skipped
                shared = await documented(ws, FOLLOW_MESSAGE)
                assert shared["type"] == "code" and shared["language"] == "python"
                if shared["code"] == "print('hi')":
                    break
            assert shared["at"]
        assert await message(ide) == {"type": "watched", "watchers": 0}

        # A follower arriving later gets the newest code at once.
        async with client.ws_connect(follow) as ws:
            kinds = {}
            while "code" not in kinds:
                got = await documented(ws, FOLLOW_MESSAGE)
                kinds[got["type"]] = got
            assert kinds["code"]["code"] == "print('hi')"
            assert await message(ide) == {"type": "watched", "watchers": 1}
            # Bad code messages get errors; the socket goes on.
            await ide.send_json({"type": "code", "language": "brainfuck", "code": "+"})
            assert (await message(ide))["code"] == "unknown_language"
            await ide.send_json({"type": "code", "language": "python", "code": 5})
            assert (await message(ide))["code"] == "invalid_request"
            # The same teacher in a second place is still one teacher.
            async with client.ws_connect(follow):
                assert await message(ide) == {"type": "watched", "watchers": 1}

    # Anonymous editors share nothing, and hear nothing of it.
    async with client.ws_connect("/ws/run") as anonymous:
        await anonymous.send_json({"type": "code", "language": "python", "code": "x"})
        await anonymous.send_json({"type": "ping"})
        assert (await message(anonymous))["type"] == "pong"
