"""Hidden test cases leak nothing a submission can steer but one pass/fail bit each (and the
time of the whole answer), and validations have a small rate of their own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from .conftest import Account, Client, assert_error, make_settings, start_client
from .test_openapi import assert_matches

# What a submission that spells its input out in its timing did: sleep (len % 8) / 2 s, then
# (len // 8) / 2 s, so that each case's time told the length of its input.
TIMING_LEAK = """import sys, time
data = sys.stdin.read()
time.sleep((len(data) % 8) * 0.1)
time.sleep((len(data) // 8) * 0.1)
print(data.strip() if data.strip() == "public" else "no idea")
"""
ECHO = "import sys\nprint(sys.stdin.read().strip())\n"


def _echo_exercise(slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": "Echo",
        "difficulty": "easy",
        "summary": "Print the input.",
        "description": "Print the line you read.",
        "starterCode": {"python": ECHO},
        "cases": [
            {"input": "public\n", "output": "public\n"},
            {"input": "secret\n", "output": "secret\n", "hidden": True},
            {
                "input": "a longer secret input\n",
                "output": "a longer secret input\n",
                "hidden": True,
            },
        ],
    }


@pytest.fixture
async def echo(client: Client, teacher: Account) -> AsyncIterator[str]:
    slug = f"echo-{uuid.uuid4().hex[:8]}"
    response = await client.post(
        "/api/exercises", json=_echo_exercise(slug), headers=teacher.headers
    )
    assert response.status == 201, await response.json()
    yield slug
    await client.delete(f"/api/exercises/{slug}", headers=teacher.headers)


async def _validate(client: Client, slug: str, code: str) -> dict[str, Any]:
    response = await client.post(
        "/api/exercises/validate", json={"exerciseId": slug, "language": "python", "code": code}
    )
    body: dict[str, Any] = await response.json()
    assert response.status == 200, body
    assert_matches(body, "/api/exercises/validate", "post", 200)
    return body


async def test_a_hidden_case_tells_no_time_no_output_no_status(client: Client, echo: str) -> None:
    verdict = await _validate(client, echo, TIMING_LEAK)
    public, *hidden = verdict["results"]
    assert public["passed"] and public["status"] == "accepted" and "durationMs" in public
    assert hidden == [
        {"index": 1, "hidden": True, "passed": False},
        {"index": 2, "hidden": True, "passed": False},
    ]
    # Nor does the verdict as a whole say how the hidden cases failed.
    assert (verdict["passed"], verdict["status"], verdict["passedCount"]) == (
        False,
        "hidden_failed",
        1,
    )
    assert "secret" not in str(verdict) and "no idea" not in str(verdict)


async def test_a_hidden_timeout_or_crash_is_only_a_failure(client: Client, echo: str) -> None:
    for crash in ("import time; time.sleep(60)", "raise SystemExit(3)", "x = ' ' * 10**10"):
        code = f"import sys\ndata = sys.stdin.read()\nif data != 'public\\n':\n    {crash}\n"
        code += "print(data.strip())\n"
        verdict = await _validate(client, echo, code)
        assert verdict["status"] == "hidden_failed", (crash, verdict)
        assert all(set(r) == {"index", "hidden", "passed"} for r in verdict["results"][1:])


async def test_a_right_answer_passes_every_case(client: Client, echo: str) -> None:
    verdict = await _validate(client, echo, ECHO)
    assert (verdict["passed"], verdict["status"], verdict["passedCount"]) == (True, "accepted", 3)
    assert [r["passed"] for r in verdict["results"]] == [True, True, True]


async def test_validations_have_a_rate_of_their_own(teacher: Account) -> None:
    client = await start_client(make_settings(validations_per_minute=2))
    try:
        slug = f"echo-{uuid.uuid4().hex[:8]}"
        created = await client.post(
            "/api/exercises", json=_echo_exercise(slug), headers=teacher.headers
        )
        assert created.status == 201
        for _ in range(2):
            await _validate(client, slug, ECHO)
        refused = await client.post(
            "/api/exercises/validate", json={"exerciseId": slug, "language": "python", "code": ECHO}
        )
        body = await assert_error(refused, 429, "rate_limited")
        assert "validations" in body["error"] and 1 <= int(refused.headers["Retry-After"]) <= 60
        # Runs are counted apart: the caller may still run code.
        run = await client.post("/api/execute", json={"language": "python", "code": "print(1)"})
        assert run.status == 200
        # Another caller has a rate of their own.
        signed_in = await client.post(
            "/api/exercises/validate",
            json={"exerciseId": slug, "language": "python", "code": ECHO},
            headers=teacher.headers,
        )
        assert signed_in.status == 200
        await client.delete(f"/api/exercises/{slug}", headers=teacher.headers)
    finally:
        await client.close()
