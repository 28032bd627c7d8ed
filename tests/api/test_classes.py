"""Classes over REST: two teachers, two classes, a student in each, one in both, one who leaves,
and an admin; each sees exactly what the contract says."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from .classroom import join, make_admin, new_class, run, session_ids, unknown_id
from .conftest import Account, Client, SignUp, assert_error

ECHO = "print(input())"


@dataclass
class School:
    ada: Account  # teaches Maths
    bob: Account  # teaches Physics
    maths: dict[str, Any]
    physics: dict[str, Any]
    sam: Account  # in Maths
    pia: Account  # in Physics
    duo: Account  # in both


@pytest.fixture
async def school(client: Client, sign_up: SignUp) -> School:
    ada, bob = await sign_up("teacher"), await sign_up("teacher")
    maths = await new_class(client, ada, "Maths 9B")
    physics = await new_class(client, bob, "Physics")
    sam, pia, duo = await sign_up("student"), await sign_up("student"), await sign_up("student")
    await join(client, sam, maths["joinCode"])
    await join(client, pia, physics["joinCode"])
    await join(client, duo, maths["joinCode"].lower())  # any letter case
    await join(client, duo, "-".join(physics["joinCode"][i : i + 4] for i in (0, 4)))
    return School(ada, bob, maths, physics, sam, pia, duo)


async def test_a_teacher_makes_a_class_and_students_join_it(client: Client, school: School) -> None:
    maths = school.maths
    assert maths["name"] == "Maths 9B"
    assert len(maths["joinCode"]) == 8 and maths["joinCode"].isalnum()
    assert [t["id"] for t in maths["teachers"]] == [school.ada.id]
    assert maths["createdAt"] and maths["studentCount"] == 0

    response = await client.get(f"/api/classes/{maths['id']}", headers=school.ada.headers)
    shown = await response.json()
    assert response.status == 200, shown
    assert {s["id"] for s in shown["students"]} == {school.sam.id, school.duo.id}
    assert all(s["name"] and s["email"] and s["joinedAt"] for s in shown["students"])
    assert shown["studentCount"] == 2 and shown["exercises"] == []

    mine = await (await client.get("/api/classes", headers=school.ada.headers)).json()
    assert [c["id"] for c in mine["classes"]] == [maths["id"]]
    joined = await (await client.get("/api/classes", headers=school.duo.headers)).json()
    assert {c["name"] for c in joined["classes"]} == {"Maths 9B", "Physics"}
    assert all("joinCode" not in c and c["joinedAt"] for c in joined["classes"])

    # Joining again changes nothing.
    again = await join(client, school.sam, maths["joinCode"])
    assert again == {"class": {"id": maths["id"], "name": "Maths 9B"}}


async def test_only_its_teachers_see_a_class(client: Client, school: School) -> None:
    path = f"/api/classes/{school.maths['id']}"
    await assert_error(await client.get(path, headers=school.bob.headers), 403, "forbidden")
    await assert_error(await client.get(path, headers=school.sam.headers), 403, "forbidden")
    await assert_error(await client.get(path), 401, "unauthorized")
    for other in (f"/api/classes/{unknown_id()}", "/api/classes/not-a-class"):
        await assert_error(await client.get(other, headers=school.ada.headers), 404, "not_found")
    for action in ("join-code", "teachers", "exercises"):
        response = await client.post(f"{path}/{action}", json={}, headers=school.bob.headers)
        await assert_error(response, 403, "forbidden")
    response = await client.get(f"{path}/progress", headers=school.bob.headers)
    await assert_error(response, 403, "forbidden")


async def test_bad_class_requests_say_what_is_wrong(client: Client, school: School) -> None:
    for body in ({}, {"name": ""}, {"name": "   "}, {"name": 3}, {"name": "x" * 101}):
        response = await client.post("/api/classes", json=body, headers=school.ada.headers)
        await assert_error(response, 400, "invalid_request")
    response = await client.post("/api/classes", json={"name": "x"}, headers=school.sam.headers)
    await assert_error(response, 403, "forbidden")

    unknown = await client.post(
        "/api/classes/join", json={"joinCode": "ZZZZ9999"}, headers=school.sam.headers
    )
    body = await assert_error(unknown, 404, "not_found")
    assert "teacher" in body["error"]
    teacher_joins = await client.post(
        "/api/classes/join", json={"joinCode": school.maths["joinCode"]}, headers=school.bob.headers
    )
    await assert_error(teacher_joins, 403, "forbidden")


async def test_a_new_join_code_retires_the_old_one(
    client: Client, school: School, sign_up: SignUp
) -> None:
    old = school.maths["joinCode"]
    response = await client.post(
        f"/api/classes/{school.maths['id']}/join-code", headers=school.ada.headers
    )
    new = (await response.json())["joinCode"]
    assert response.status == 200 and new != old
    late = await sign_up("student")
    stale = await client.post("/api/classes/join", json={"joinCode": old}, headers=late.headers)
    await assert_error(stale, 404, "not_found")
    assert (await join(client, late, new))["class"]["id"] == school.maths["id"]


async def test_a_co_teacher_sees_the_class(client: Client, school: School) -> None:
    path = f"/api/classes/{school.maths['id']}"
    response = await client.post(
        f"{path}/teachers", json={"email": school.bob.email.upper()}, headers=school.ada.headers
    )
    body = await response.json()
    assert response.status == 200, body
    assert [t["id"] for t in body["teachers"]] == [school.ada.id, school.bob.id]
    assert (await client.get(path, headers=school.bob.headers)).status == 200
    # Bob now sees Sam's work too.
    ran = await run(client, school.sam)
    assert ran.session_id in await session_ids(client, school.bob)

    student = await client.post(
        f"{path}/teachers", json={"email": school.pia.email}, headers=school.ada.headers
    )
    await assert_error(student, 400, "invalid_request")
    nobody = await client.post(
        f"{path}/teachers", json={"email": "nobody@example.test"}, headers=school.ada.headers
    )
    await assert_error(nobody, 404, "not_found")


async def test_each_teacher_sees_only_their_students_from_when_they_joined(
    client: Client, school: School, sign_up: SignUp
) -> None:
    early = await sign_up("student")
    before = await run(client, early)  # before joining: Ada never sees it
    await join(client, early, school.maths["joinCode"])
    sam, pia, duo, after = (
        await run(client, school.sam),
        await run(client, school.pia),
        await run(client, school.duo),
        await run(client, early),
    )
    anonymous = await run(client, None)

    seen_by_ada = await session_ids(client, school.ada)
    assert {sam.session_id, duo.session_id, after.session_id} <= seen_by_ada
    assert not {pia.session_id, before.session_id, anonymous.session_id} & seen_by_ada
    seen_by_bob = await session_ids(client, school.bob)
    assert {pia.session_id, duo.session_id} <= seen_by_bob
    assert not {sam.session_id, after.session_id, anonymous.session_id} & seen_by_bob
    assert await session_ids(client, school.sam) == {sam.session_id}

    for viewer, session, status in (
        (school.ada, pia, 403),
        (school.ada, before, 403),
        (school.ada, anonymous, 403),
        (school.sam, duo, 403),
        (school.bob, duo, 200),
        (school.duo, duo, 200),
    ):
        response = await client.get(f"/api/sessions/{session.session_id}", headers=viewer.headers)
        if status == 403:
            await assert_error(response, 403, "forbidden")
        else:
            assert response.status == 200

    # Filters: one class, one student, running or ended.
    maths = school.maths["id"]
    in_maths = await session_ids(client, school.ada, f"?class={maths}")
    assert {sam.session_id, duo.session_id, after.session_id} <= in_maths
    only_duo = await session_ids(client, school.bob, f"?student={school.duo.id}&state=ended")
    assert duo.session_id in only_duo and pia.session_id not in only_duo
    assert await session_ids(client, school.ada, f"?class={maths}&state=running") == set()
    for query, status, code in (
        (f"?class={school.physics['id']}", 403, "forbidden"),
        (f"?student={school.pia.id}", 403, "forbidden"),
        (f"?class={unknown_id()}", 404, "not_found"),
        ("?state=paused", 400, "invalid_request"),
        ("?limit=0", 400, "invalid_request"),
    ):
        response = await client.get(f"/api/sessions{query}", headers=school.ada.headers)
        await assert_error(response, status, code)

    # Executions follow the same rule.
    response = await client.get(
        f"/api/executions?student={school.sam.id}", headers=school.ada.headers
    )
    assert response.status == 200
    response = await client.get(
        f"/api/executions?student={school.pia.id}", headers=school.ada.headers
    )
    await assert_error(response, 403, "forbidden")


async def test_an_admin_sees_everything(client: Client, sign_up: SignUp, school: School) -> None:
    admin = await make_admin(client, sign_up)
    anonymous = await run(client, None)
    pia = await run(client, school.pia)
    seen = await session_ids(client, admin, "?limit=200")
    assert {anonymous.session_id, pia.session_id} <= seen
    response = await client.get(f"/api/sessions/{anonymous.session_id}", headers=admin.headers)
    assert response.status == 200
    response = await client.get(f"/api/classes/{school.maths['id']}", headers=admin.headers)
    assert response.status == 200
    listed = await (await client.get("/api/classes", headers=admin.headers)).json()
    assert {school.maths["id"], school.physics["id"]} <= {c["id"] for c in listed["classes"]}
    # An admin cannot be made by signing up.
    response = await client.post(
        "/api/auth/register",
        json={
            "email": f"x-{uuid.uuid4().hex[:8]}@example.test",
            "password": "correct horse",
            "name": "X",
            "role": "admin",
        },
    )
    await assert_error(response, 400, "invalid_request")


async def test_a_student_who_leaves_is_seen_no_more(client: Client, school: School) -> None:
    path = f"/api/classes/{school.maths['id']}/students"
    while_member = await run(client, school.sam)
    response = await client.delete(f"{path}/{school.sam.id}", headers=school.sam.headers)
    assert response.status == 204
    after_leaving = await run(client, school.sam)
    seen = await session_ids(client, school.ada)
    assert while_member.session_id in seen and after_leaving.session_id not in seen
    again = await client.delete(f"{path}/{school.sam.id}", headers=school.ada.headers)
    await assert_error(again, 404, "not_found")

    # A teacher removes a student; another student cannot.
    other = await client.delete(f"{path}/{school.duo.id}", headers=school.pia.headers)
    await assert_error(other, 403, "forbidden")
    response = await client.delete(f"{path}/{school.duo.id}", headers=school.ada.headers)
    assert response.status == 204
    shown = await (
        await client.get(path.removesuffix("/students"), headers=school.ada.headers)
    ).json()
    assert shown["students"] == []
    # Duo is still in Physics.
    joined = await (await client.get("/api/classes", headers=school.duo.headers)).json()
    assert [c["name"] for c in joined["classes"]] == ["Physics"]


async def test_progress_counts_attempts_of_assigned_exercises(
    client: Client, school: School
) -> None:
    slug = f"echo-{uuid.uuid4().hex[:8]}"
    draft = {
        "slug": slug,
        "title": "Echo",
        "difficulty": "easy",
        "summary": "Print the input.",
        "description": "Print the line you read.",
        "starterCode": {"python": ECHO},
        "cases": [{"input": "a\n", "output": "a\n"}, {"input": "b\n", "output": "b\n"}],
    }
    created = await client.post("/api/exercises", json=draft, headers=school.ada.headers)
    assert created.status == 201
    path = f"/api/classes/{school.maths['id']}"
    try:
        response = await client.post(
            f"{path}/exercises",
            json={"exercise": slug, "dueAt": "2031-01-31T17:00:00Z"},
            headers=school.ada.headers,
        )
        assigned = await response.json()
        assert response.status == 200, assigned
        assert assigned["slug"] == slug and assigned["dueAt"].startswith("2031-01-31T17:00")
        for bad in ({"exercise": slug, "dueAt": "tomorrow"}, {"exercise": 5}):
            response = await client.post(f"{path}/exercises", json=bad, headers=school.ada.headers)
            await assert_error(response, 400, "invalid_request")
        response = await client.post(
            f"{path}/exercises", json={"exercise": "no-such"}, headers=school.ada.headers
        )
        await assert_error(response, 404, "not_found")

        for code in ("print('wrong')", ECHO):
            response = await client.post(
                "/api/exercises/validate",
                json={"exerciseId": slug, "language": "python", "code": code},
                headers=school.sam.headers,
            )
            assert response.status == 200, await response.text()

        progress = await (await client.get(f"{path}/progress", headers=school.ada.headers)).json()
        assert {s["id"] for s in progress["students"]} == {school.sam.id, school.duo.id}
        assert [e["slug"] for e in progress["exercises"]] == [slug]
        (cell,) = progress["cells"]
        assert cell["student"] == school.sam.id and cell["exercise"] == assigned["id"]
        assert cell["attempts"] == 2 and cell["solved"] is True
        assert cell["lastStatus"] == "accepted" and cell["lastAt"]

        response = await client.delete(f"{path}/exercises/{slug}", headers=school.ada.headers)
        assert response.status == 204
        progress = await (await client.get(f"{path}/progress", headers=school.ada.headers)).json()
        assert progress["exercises"] == [] and progress["cells"] == []
    finally:
        await client.delete(f"/api/exercises/{slug}", headers=school.ada.headers)
