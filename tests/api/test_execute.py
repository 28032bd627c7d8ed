"""`POST /api/execute` and `GET /api/executions`, as LMS graders and bots call them."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import pytest
from aiohttp import ClientResponse

from sandbox import LimitPolicy

from .conftest import Account, Client, assert_error, forge_token, make_settings, start_client


async def execute(client: Client, headers: dict[str, str] | None = None, **payload: Any) -> Any:
    response = await client.post("/api/execute", json=payload, headers=headers)
    body = await response.json()
    assert response.status == 200, body
    return body


async def test_javascript_hola_mundo(client: Client) -> None:
    body = await execute(client, language="javascript", code="console.log('Hola Mundo')")
    assert {k: body[k] for k in ("success", "output", "error", "exitCode")} == {
        "success": True,
        "output": "Hola Mundo\n",
        "error": "",
        "exitCode": 0,
    }
    assert body["status"] == "ok" and body["language"] == "javascript"
    assert set(body) == {
        "success",
        "output",
        "error",
        "exitCode",
        "status",
        "signal",
        "timedOut",
        "truncated",
        "compileOutput",
        "durationMs",
        "language",
        "version",
        "executionId",
        "limit",
    }


async def test_python_syntax_error(client: Client) -> None:
    body = await execute(client, language="python", code="print('unclosed'\n")
    assert body["success"] is False
    assert "SyntaxError" in body["error"]
    assert body["exitCode"] != 0
    assert body["status"] == "runtime_error"


async def test_stdin_args_and_aliases(client: Client) -> None:
    code = "import sys\nprint(input(), sys.argv[1:])\n"
    body = await execute(client, language="py", code=code, stdin="hi\n", args=["a", "b c"])
    assert body["output"] == "hi ['a', 'b c']\n"


async def test_java_compile_error_is_reported(client: Client) -> None:
    body = await execute(client, language="java", code="public class Main { int x = ; }")
    assert body["status"] == "compile_error"
    assert body["success"] is False
    assert "error" in body["compileOutput"] and body["error"] == body["compileOutput"]


async def test_a_lower_timeout_applies(client: Client) -> None:
    body = await execute(
        client, language="python", code="while True: pass", limits={"timeoutMs": 500}
    )
    assert (body["status"], body["timedOut"], body["success"]) == ("timeout", True, False)
    assert body["limit"] == "wall"


@pytest.mark.parametrize(
    ("payload", "code", "fragment"),
    [
        ({"language": "cobol", "code": "x"}, "unknown_language", "Supported: csharp, java"),
        ({"code": "print(1)"}, "invalid_request", "'language' is required"),
        ({"language": "python"}, "invalid_request", "'code' is required"),
        ({"language": 3, "code": "x"}, "invalid_request", "'language' must be a string"),
        ({"language": "python", "code": ["x"]}, "invalid_request", "'code' must be a string"),
        ({"language": "python", "code": "x", "args": "a"}, "invalid_request", "list of strings"),
        ({"language": "python", "code": "x", "stdin": 5}, "invalid_request", "'stdin'"),
        ({"language": "python", "code": "x", "limits": []}, "invalid_request", "'limits'"),
        (
            {"language": "python", "code": "x", "limits": {"timeoutMs": "5"}},
            "invalid_request",
            "limits.timeoutMs",
        ),
        (
            {"language": "python", "code": "x", "limits": {"cpu": 4}},
            "invalid_request",
            "Unknown limits: cpu",
        ),
        (
            {"language": "python", "code": "x", "limits": {"idleMs": 5000}},
            "invalid_request",
            "Unknown limits: idleMs",
        ),
        (
            {"language": "python", "code": "x", "limits": {"timeoutMs": 10_000_000}},
            "limit_too_high",
            "server maximum",
        ),
        (
            {"language": "python", "code": "x", "limits": {"memoryMb": 100_000}},
            "limit_too_high",
            "server maximum",
        ),
    ],
)
async def test_bad_requests_get_a_clear_error(
    client: Client, payload: dict[str, Any], code: str, fragment: str
) -> None:
    body = await assert_error(await client.post("/api/execute", json=payload), 400, code)
    assert fragment in body["error"]


async def test_a_body_that_is_not_json(client: Client) -> None:
    response = await client.post(
        "/api/execute", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    await assert_error(response, 400, "invalid_json")
    response = await client.post("/api/execute", json=["a", "list"])
    await assert_error(response, 400, "invalid_request")


async def test_json_that_is_no_text_or_too_deep_is_refused(client: Client) -> None:
    """A lone surrogate escape is valid JSON but no text; deep nesting exhausts the parser."""
    for raw, code in [
        (rb'{"language": "python", "code": "print(1)", "stdin": "\ud800"}', "invalid_request"),
        (rb'{"language": "python", "code": "\udfff"}', "invalid_request"),
        (b'{"language": "python", "code": "x", "args": ' + b"[" * 50_000, "invalid_json"),
        (b"[" * 50_000 + b"]" * 50_000, "invalid_json"),
    ]:
        response = await client.post(
            "/api/execute", data=raw, headers={"Content-Type": "application/json"}
        )
        await assert_error(response, 400, code)


async def test_code_with_a_nul_is_refused(client: Client, student: Account) -> None:
    """PostgreSQL's text cannot hold NUL, so such a run could not be recorded."""
    response = await client.post(
        "/api/execute",
        json={"language": "python", "code": "print(1)\x00"},
        headers=student.headers,
    )
    body = await assert_error(response, 400, "invalid_request")
    assert "NUL" in body["error"]


async def test_code_over_the_cap_is_too_large(client: Client) -> None:
    response = await client.post(
        "/api/execute", json={"language": "python", "code": "#" * (65 * 1024)}
    )
    await assert_error(response, 413, "payload_too_large")


async def post_large(client: Client, payload: dict[str, Any]) -> ClientResponse:
    """POST /api/execute with a body over 1 MiB (aiohttp wants a stream for one that large)."""
    return await client.post(
        "/api/execute",
        data=io.BytesIO(json.dumps(payload).encode()),
        headers={"Content-Type": "application/json"},
    )


async def test_the_largest_code_and_stdin_allowed_are_accepted(client: Client) -> None:
    policy = make_settings().policy
    code = "import sys\nprint(len(sys.stdin.read()))\n"
    code += "#" * (policy.max_code_bytes - len(code))
    stdin = "y" * policy.max_stdin_bytes
    response = await post_large(client, {"language": "python", "code": code, "stdin": stdin})
    assert response.status == 200, await response.text()
    assert (await response.json())["output"] == f"{policy.max_stdin_bytes}\n"


async def test_stdin_over_its_cap_is_too_large(client: Client) -> None:
    stdin = "y" * (make_settings().policy.max_stdin_bytes + 1)
    response = await post_large(client, {"language": "python", "code": "x", "stdin": stdin})
    body = await assert_error(response, 413, "payload_too_large")
    assert "stdin" in body["error"]


async def test_a_body_over_the_cap_is_too_large_and_says_the_cap() -> None:
    small = LimitPolicy(max_stdin_bytes=100 * 1024)
    client = await start_client(make_settings(max_body_bytes=200 * 1024, policy=small))
    try:
        response = await client.post(
            "/api/execute", json={"language": "python", "code": "x", "stdin": "y" * 300 * 1024}
        )
        body = await assert_error(response, 413, "payload_too_large")
        assert str(200 * 1024) in body["error"]
    finally:
        await client.close()


async def test_user_id_must_match_the_token(client: Client, student: Account) -> None:
    body = await execute(
        client, student.headers, language="python", code="print(1)", userId=student.id
    )
    assert body["output"] == "1\n"
    response = await client.post(
        "/api/execute",
        json={"language": "python", "code": "print(1)", "userId": "someone-else"},
        headers=student.headers,
    )
    await assert_error(response, 403, "forbidden")


async def test_user_id_must_be_a_string_or_an_integer(client: Client) -> None:
    response = await client.post(
        "/api/execute", json={"language": "python", "code": "print(1)", "userId": [1]}
    )
    body = await assert_error(response, 400, "invalid_request")
    assert "a string or an integer" in body["error"]


async def test_user_id_without_a_token_is_ignored(client: Client) -> None:
    body = await execute(client, language="python", code="print(2)", userId="legacy-client")
    assert body["output"] == "2\n"


async def test_a_forged_token_is_never_anonymous(client: Client) -> None:
    response = await client.post(
        "/api/execute",
        json={"language": "python", "code": "print(1)"},
        headers={"Authorization": f"Bearer {forge_token(secret='x' * 40)}"},
    )
    await assert_error(response, 401, "unauthorized")


async def test_anonymous_runs_can_be_switched_off() -> None:
    client = await start_client(make_settings(allow_anonymous=False))
    try:
        response = await client.post("/api/execute", json={"language": "python", "code": "1"})
        await assert_error(response, 401, "unauthorized")
    finally:
        await client.close()


async def test_runs_are_recorded_in_the_callers_history(client: Client, student: Account) -> None:
    code = "print('Robert\\'); DROP TABLE executions;--')"
    ran = await execute(client, student.headers, language="python", code=code)
    response = await client.get("/api/executions?limit=5", headers=student.headers)
    history = (await response.json())["executions"]
    assert history[0]["id"] == ran["executionId"]
    assert history[0]["code"] == code
    assert history[0]["output"] == "Robert'); DROP TABLE executions;--\n"
    assert history[0]["source"] == "rest" and history[0]["status"] == "ok"


async def test_history_needs_a_token_and_a_sane_limit(client: Client, student: Account) -> None:
    await assert_error(await client.get("/api/executions"), 401, "unauthorized")
    # U+00B2 (superscript two) and U+FF15 (fullwidth five) are digits to str.isdigit().
    for limit in ("0", "1000", "abc", "-1", "%C2%B2", "%EF%BC%95"):
        response = await client.get(f"/api/executions?limit={limit}", headers=student.headers)
        await assert_error(response, 400, "invalid_request")


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        make_settings().port = 1  # type: ignore[misc]
