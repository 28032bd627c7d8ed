"""Exercises: list, read, validate (compile once, every case, hidden data hidden), edit."""

from __future__ import annotations

from typing import Any

from .conftest import Account, Client, assert_error

SUM_OK = "a, b = map(int, input().split())\nprint(a + b)\n"
SUM_OFF_BY_ONE = "a, b = map(int, input().split())\nprint(a + b + 1)\n"


def draft(name: str, **changes: Any) -> dict[str, Any]:
    return {
        "slug": name,
        "title": "Double it",
        "difficulty": "easy",
        "summary": "Print twice the number.",
        "description": "Read n, print 2n.",
        "starterCode": {"python": "n = int(input())\n"},
        "cases": [
            {"input": "2\n", "output": "4\n"},
            {"input": "21\n", "output": "42\n", "hidden": True},
        ],
    } | changes


async def validate(client: Client, headers: dict[str, str] | None = None, **payload: Any) -> Any:
    response = await client.post("/api/exercises/validate", json=payload, headers=headers)
    body = await response.json()
    assert response.status == 200, body
    return body


async def test_the_seeded_exercises_are_listed(client: Client) -> None:
    body = await (await client.get("/api/exercises")).json()
    seeded = [e for e in body["exercises"] if e["slug"] == "sum-two-numbers"]
    assert len(body["exercises"]) >= 8 and seeded
    assert set(seeded[0]) == {"id", "slug", "title", "difficulty", "summary", "languages"}
    assert seeded[0]["languages"] == ["csharp", "java", "javascript", "python"]


async def test_an_exercise_shows_only_its_public_cases(client: Client) -> None:
    by_slug = await (await client.get("/api/exercises/sum-two-numbers")).json()
    by_id = await (await client.get(f"/api/exercises/{by_slug['id']}")).json()
    assert by_slug == by_id
    assert set(by_slug["starterCode"]) == {"python", "javascript", "java", "csharp"}
    assert by_slug["examples"] and all(set(e) == {"input", "output"} for e in by_slug["examples"])
    assert by_slug["description"]


async def test_an_unknown_exercise_is_not_found(client: Client) -> None:
    await assert_error(await client.get("/api/exercises/no-such-thing"), 404, "not_found")
    await assert_error(await client.get("/api/exercises/a%00b"), 404, "not_found")
    response = await client.post(
        "/api/exercises/validate",
        json={"exerciseId": "no-such-thing", "language": "python", "code": "x"},
    )
    await assert_error(response, 404, "not_found")


async def test_a_right_answer_is_accepted_and_marks_the_exercise_solved(
    client: Client, student: Account
) -> None:
    body = await validate(
        client, student.headers, exerciseId="sum-two-numbers", language="python", code=SUM_OK
    )
    assert (body["passed"], body["status"]) == (True, "accepted")
    assert body["passedCount"] == body["total"] == len(body["results"])
    listing = await (await client.get("/api/exercises", headers=student.headers)).json()
    solved = {e["slug"]: e["solved"] for e in listing["exercises"]}
    assert solved["sum-two-numbers"] is True
    assert solved["fizzbuzz"] is False


async def test_a_wrong_answer_shows_which_public_case_failed_and_hides_hidden_data(
    client: Client,
) -> None:
    body = await validate(
        client, exerciseId="sum-two-numbers", language="python", code=SUM_OFF_BY_ONE
    )
    assert (body["passed"], body["status"], body["passedCount"]) == (False, "wrong_answer", 0)
    public = [r for r in body["results"] if not r["hidden"]]
    hidden = [r for r in body["results"] if r["hidden"]]
    assert public and hidden
    assert {"input", "expected", "actual"} <= set(public[0])
    assert public[0]["status"] == "wrong_answer" and public[0]["actual"] != public[0]["expected"]
    for result in hidden:
        assert set(result) == {"index", "hidden", "passed"}


async def test_a_compile_error_fails_every_case_once(client: Client) -> None:
    body = await validate(
        client,
        exerciseId="sum-two-numbers",
        language="java",
        code="public class Main { public static void main(String[] a) { int x = ; } }",
    )
    assert body["status"] == "compile_error"
    assert "error" in body["compileOutput"]
    public = [r for r in body["results"] if not r["hidden"]]
    assert public and {r["status"] for r in public} == {"compile_error"}
    assert not any(r["passed"] for r in body["results"])


async def test_trailing_whitespace_is_ignored(client: Client) -> None:
    code = "a, b = map(int, input().split())\nprint(str(a + b) + '   ')\nprint()\n"
    body = await validate(client, exerciseId="sum-two-numbers", language="python", code=code)
    assert body["status"] == "accepted"


async def test_a_runtime_error_is_a_case_status(client: Client) -> None:
    body = await validate(client, exerciseId="sum-two-numbers", language="python", code="1/0")
    assert body["status"] == "runtime_error"
    assert "ZeroDivisionError" in next(r for r in body["results"] if not r["hidden"])["stderr"]


async def test_bad_validation_requests(client: Client) -> None:
    for payload, code in [
        ({"language": "python", "code": "x"}, "invalid_request"),
        ({"exerciseId": "sum-two-numbers", "language": "cobol", "code": "x"}, "unknown_language"),
        ({"exerciseId": "sum-two-numbers", "language": "python"}, "invalid_request"),
        ({"exerciseId": ["x"], "language": "python", "code": "x"}, "invalid_request"),
        (
            {"exerciseId": "sum-two-numbers", "language": "python", "code": "\x00"},
            "invalid_request",
        ),
    ]:
        response = await client.post("/api/exercises/validate", json=payload)
        await assert_error(response, 400, code)


async def test_teachers_create_edit_and_delete(client: Client, teacher: Account) -> None:
    slug = f"double-{teacher.id[:8]}"
    response = await client.post("/api/exercises", json=draft(slug), headers=teacher.headers)
    created = await response.json()
    assert response.status == 201, created
    assert created["examples"] == [{"input": "2\n", "output": "4\n"}]
    verdict = await validate(
        client, exerciseId=slug, language="python", code="print(2 * int(input()))"
    )
    assert verdict["status"] == "accepted" and verdict["total"] == 2

    response = await client.put(
        f"/api/exercises/{created['id']}",
        json=draft(slug, title="Double it, again", difficulty="medium"),
        headers=teacher.headers,
    )
    assert (await response.json())["title"] == "Double it, again"
    duplicate = await client.post("/api/exercises", json=draft(slug), headers=teacher.headers)
    await assert_error(duplicate, 409, "conflict")

    deleted = await client.delete(f"/api/exercises/{slug}", headers=teacher.headers)
    assert deleted.status == 204
    await assert_error(await client.get(f"/api/exercises/{slug}"), 404, "not_found")


async def test_students_cannot_edit_exercises(client: Client, student: Account) -> None:
    for method, path in [
        ("POST", "/api/exercises"),
        ("PUT", "/api/exercises/sum-two-numbers"),
        ("DELETE", "/api/exercises/sum-two-numbers"),
    ]:
        response = await client.request(method, path, json=draft("x"), headers=student.headers)
        await assert_error(response, 403, "forbidden")
        response = await client.request(method, path, json=draft("x"))
        await assert_error(response, 401, "unauthorized")


async def test_bad_drafts_say_what_is_wrong(client: Client, teacher: Account) -> None:
    for changes, fragment in [
        ({"cases": []}, "'cases'"),
        ({"cases": [{"input": 1, "output": "x"}]}, "cases[0]"),
        ({"difficulty": "impossible"}, "'difficulty'"),
        ({"slug": "Not A Slug"}, "'slug'"),
        ({"starterCode": {"cobol": "x"}}, "unknown languages: cobol"),
        ({"title": ""}, "'title'"),
        ({"title": "A\x00B"}, "'title' cannot contain NUL"),
        ({"cases": [{"input": "1\x00", "output": "2"}]}, "'cases[0].input' cannot contain NUL"),
        ({"cases": [{"output": "\x00"}]}, "'cases[0].output' cannot contain NUL"),
        ({"starterCode": {"python": "\x00"}}, "'starterCode.python' cannot contain NUL"),
    ]:
        response = await client.post(
            "/api/exercises", json=draft("bad", **changes), headers=teacher.headers
        )
        body = await assert_error(response, 400, "invalid_request")
        assert fragment in body["error"]


async def test_sql_looking_exercise_text_is_stored_verbatim(
    client: Client, teacher: Account
) -> None:
    slug = f"sql-{teacher.id[:8]}"
    title = "'; DELETE FROM exercises; --"
    response = await client.post(
        "/api/exercises",
        json=draft(slug, title=title, description="$1 \\x00 %s ' \" ;"),
        headers=teacher.headers,
    )
    created = await response.json()
    assert response.status == 201, created
    shown = await (await client.get(f"/api/exercises/{slug}")).json()
    assert (shown["title"], shown["description"]) == (title, "$1 \\x00 %s ' \" ;")
    await client.delete(f"/api/exercises/{slug}", headers=teacher.headers)
