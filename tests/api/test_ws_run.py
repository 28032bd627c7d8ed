"""`/ws/run`: programs run live, output streams out, stdin streams in."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from sandbox import Engine
from tests.conftest import assert_nothing_left

from ..sandbox.programs import GREET, LANGUAGES
from .conftest import Account, Client, make_settings, start_client

Socket = aiohttp.ClientWebSocketResponse


async def next_message(ws: Socket, within: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(within):
        message = await ws.receive()
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return json.loads(message.data)  # type: ignore[no-any-return]


async def until(ws: Socket, kind: str, within: float = 30) -> list[dict[str, Any]]:
    """Messages up to and including the first of `kind`."""
    seen = []
    while True:
        message = await next_message(ws, within)
        seen.append(message)
        if message["type"] == kind:
            return seen


async def output_until(ws: Socket, text: str, within: float = 30) -> str:
    seen = ""
    while text not in seen:
        message = await next_message(ws, within)
        assert message["type"] not in ("exit", "error"), (message, seen)
        if message["type"] in ("stdout", "stderr"):
            seen += message["data"]
    return seen


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_prompt_arrives_before_input_then_the_greeting(
    client: Client, student: Account, language: str
) -> None:
    async with client.ws_connect(f"/ws/run?token={student.token}") as ws:
        await ws.send_json({"type": "run", "language": language, "code": GREET[language]})
        started = await next_message(ws)
        assert started["type"] == "started" and started["language"] == language
        assert started["sessionId"] and started["version"]
        assert (await output_until(ws, "name? ")).endswith("name? ")
        await ws.send_json({"type": "stdin", "data": "Grace\n"})
        assert "Hello, Grace!" in await output_until(ws, "Hello, Grace!")
        exit_message = (await until(ws, "exit"))[-1]
        assert exit_message["status"] == "ok" and exit_message["exitCode"] == 0
        assert set(exit_message) == {
            "type",
            "status",
            "exitCode",
            "signal",
            "timedOut",
            "truncated",
            "durationMs",
            "limit",
        }
        assert exit_message["limit"] is None


async def test_compiled_languages_announce_their_stages(client: Client) -> None:
    async with client.ws_connect("/ws/run") as ws:
        code = (
            "public class Main { public static void main(String[] a) "
            '{ System.out.println("hi"); } }'
        )
        await ws.send_json({"type": "run", "language": "java", "code": code})
        kinds = [
            m["type"] + (":" + m["stage"] if m["type"] == "stage" else "")
            for m in await until(ws, "exit")
        ]
    assert kinds == ["started", "stage:compile", "stage:run", "stdout", "exit"]


async def test_eof_ends_a_program_reading_to_the_end(client: Client) -> None:
    async with client.ws_connect("/ws/run") as ws:
        code = "import sys\nprint(len(sys.stdin.read().split()))\n"
        await ws.send_json({"type": "run", "language": "python", "code": code})
        await ws.send_json({"type": "stdin", "data": "a b c\n"})
        await ws.send_json({"type": "stdin", "data": "d\n"})
        await ws.send_json({"type": "eof"})
        messages = await until(ws, "exit")
    assert "".join(m["data"] for m in messages if m["type"] == "stdout") == "4\n"
    assert messages[-1]["status"] == "ok"


async def test_sigint_gives_keyboard_interrupt(client: Client) -> None:
    async with client.ws_connect("/ws/run") as ws:
        code = "import time\nprint('ready', flush=True)\ntime.sleep(30)\n"
        await ws.send_json({"type": "run", "language": "python", "code": code})
        await output_until(ws, "ready\n")
        await ws.send_json({"type": "signal", "signal": "SIGINT"})
        messages = await until(ws, "exit")
    assert "KeyboardInterrupt" in "".join(m.get("data", "") for m in messages)
    assert (messages[-1]["status"], messages[-1]["signal"]) == ("killed", "SIGINT")


async def test_sigkill_ends_a_loop_as_killed_and_the_socket_runs_again(client: Client) -> None:
    async with client.ws_connect("/ws/run") as ws:
        await ws.send_json(
            {
                "type": "run",
                "language": "python",
                "code": "print('go', flush=True)\nwhile True: pass",
            }
        )
        await output_until(ws, "go")
        await ws.send_json({"type": "signal", "signal": "SIGKILL"})
        assert (await until(ws, "exit"))[-1]["status"] == "killed"
        await ws.send_json({"type": "run", "language": "python", "code": "print('again')"})
        messages = await until(ws, "exit")
    assert "".join(m.get("data", "") for m in messages) == "again\n"


async def test_a_flood_ends_with_output_limit_and_the_socket_stays_healthy(client: Client) -> None:
    async with client.ws_connect("/ws/run") as ws:
        await ws.send_json(
            {"type": "run", "language": "python", "code": "while True: print('x' * 100)"}
        )
        messages = await until(ws, "exit", within=60)
        exit_message = messages[-1]
        assert (exit_message["status"], exit_message["truncated"]) == ("output_limit", True)
        assert len(messages) < 1000, "output is coalesced into messages of sensible size"
        await ws.send_json({"type": "ping"})
        assert await next_message(ws) == {"type": "pong"}


async def test_a_run_during_a_run_is_already_running(client: Client) -> None:
    async with client.ws_connect("/ws/run") as ws:
        await ws.send_json(
            {"type": "run", "language": "python", "code": "import time; time.sleep(2)"}
        )
        await until(ws, "started")
        await ws.send_json({"type": "run", "language": "python", "code": "print(1)"})
        error = await next_message(ws)
        assert (error["type"], error["code"]) == ("error", "already_running")
        assert "retryAfter" not in error
        assert (await until(ws, "exit"))[-1]["status"] == "ok"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_message"),
        ('{"type": 7}', "invalid_message"),
        ('{"type": "launch"}', "invalid_message"),
        ('{"type": "run", "language": "cobol", "code": "x"}', "unknown_language"),
        ('{"type": "run", "language": "python"}', "invalid_request"),
        ('{"type": "run", "language": "python", "code": 5}', "invalid_request"),
        (
            '{"type": "run", "language": "python", "code": "x", "limits": {"timeoutMs": 9999999}}',
            "limit_too_high",
        ),
        (
            '{"type": "run", "language": "python", "code": "x", "limits": {"idleMs": 300001}}',
            "limit_too_high",
        ),
        (
            '{"type": "run", "language": "python", "code": "x", "limits": {"wallMs": 1800001}}',
            "limit_too_high",
        ),
        (
            '{"type": "run", "language": "python", "code": "x", "limits": {"idleMs": 10}}',
            "invalid_request",
        ),
        (
            '{"type": "run", "language": "python", "code": "x", "limits": {"wallMs": "5"}}',
            "invalid_request",
        ),
        ('{"type": "stdin", "data": "x"}', "invalid_request"),
        ('{"type": "signal", "signal": "SIGSTOP"}', "invalid_request"),
        ("[" * 5000, "invalid_json"),
        ('{"type": "run", "language": "python", "code": "print(1)\\udc00"}', "invalid_request"),
        ('{"type": "run", "language": "python", "code": "print(1)\\u0000"}', "invalid_request"),
    ],
)
async def test_malformed_messages_get_errors_and_the_socket_survives(
    client: Client, frame: str, code: str
) -> None:
    async with client.ws_connect("/ws/run") as ws:
        await ws.send_str(frame)
        error = await next_message(ws)
        assert (error["type"], error["code"]) == ("error", code), error
        assert error["message"]
        await ws.send_json({"type": "ping"})
        assert await next_message(ws) == {"type": "pong"}


async def test_stdin_that_is_no_text_gets_an_error_and_the_run_goes_on(client: Client) -> None:
    """Half a surrogate pair cannot be encoded for the program: it used to kill the handler."""
    async with client.ws_connect("/ws/run") as ws:
        code = "import sys\nprint(sys.stdin.read().strip())\n"
        await ws.send_json({"type": "run", "language": "python", "code": code})
        await until(ws, "started")
        await ws.send_str('{"type": "stdin", "data": "a\\ud800"}')
        error = await next_message(ws)
        assert (error["type"], error["code"]) == ("error", "invalid_request"), error
        await ws.send_json({"type": "stdin", "data": "still here"})
        await ws.send_json({"type": "eof"})
        messages = await until(ws, "exit")
    assert "".join(m.get("data", "") for m in messages) == "still here\n"
    assert messages[-1]["status"] == "ok"


async def test_binary_frames_get_an_error(client: Client) -> None:
    async with client.ws_connect("/ws/run") as ws:
        await ws.send_bytes(b"\x00\xff")
        assert (await next_message(ws))["code"] == "invalid_message"


async def test_an_oversized_message_closes_with_1009(client: Client) -> None:
    async with client.ws_connect("/ws/run") as ws:
        await ws.send_json({"type": "stdin", "data": "x" * (300 * 1024)})
        async with asyncio.timeout(10):
            message = await ws.receive()
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 1009


async def test_a_bad_token_closes_with_4001(client: Client) -> None:
    async with client.ws_connect("/ws/run?token=forged") as ws:
        async with asyncio.timeout(10):
            await ws.receive()
        assert ws.close_code == 4001


async def test_no_token_closes_with_4001_where_anonymous_runs_are_off() -> None:
    client = await start_client(make_settings(allow_anonymous=False))
    try:
        async with client.ws_connect("/ws/run") as ws:
            async with asyncio.timeout(10):
                await ws.receive()
            assert ws.close_code == 4001
    finally:
        await client.close()


async def test_a_disallowed_origin_is_refused() -> None:
    client = await start_client(make_settings(allowed_origins=("https://ide.example",)))
    try:
        async with client.ws_connect("/ws/run", origin="https://evil.example") as ws:
            async with asyncio.timeout(10):
                await ws.receive()
            assert ws.close_code == 4003
        async with client.ws_connect("/ws/run", origin="https://ide.example") as ws:
            await ws.send_json({"type": "ping"})
            assert await next_message(ws) == {"type": "pong"}
    finally:
        await client.close()


async def test_a_client_that_goes_away_loses_its_container_within_2_seconds(
    client: Client, engine: Engine
) -> None:
    ws = await client.ws_connect("/ws/run")
    await ws.send_json(
        {"type": "run", "language": "python", "code": "print('up', flush=True)\nwhile True: pass"}
    )
    await output_until(ws, "up")
    await ws.close()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await assert_nothing_left(engine, within=2)
    assert loop.time() - started < 2


async def test_websocket_runs_are_in_the_history(client: Client, student: Account) -> None:
    async with client.ws_connect("/ws/run", headers=student.headers) as ws:
        await ws.send_json({"type": "run", "language": "python", "code": "print('from ws')"})
        session_id = (await until(ws, "started"))[-1]["sessionId"]
        await until(ws, "exit")
    for _ in range(50):
        history = await (await client.get("/api/executions", headers=student.headers)).json()
        if history["executions"] and history["executions"][0]["id"] == session_id:
            break
        await asyncio.sleep(0.1)
    assert history["executions"], (history, session_id, student)
    assert history["executions"][0]["source"] == "ws"
    assert history["executions"][0]["output"] == "from ws\n"


async def run_to_exit(
    client: Client, code: str, limits: dict[str, int], within: float = 60
) -> dict[str, Any]:
    """Run `code` live with `limits`; its `exit` message."""
    async with client.ws_connect("/ws/run") as ws:
        await ws.send_json({"type": "run", "language": "python", "code": code, "limits": limits})
        return (await until(ws, "exit", within))[-1]


async def test_a_program_waiting_a_minute_for_input_still_answers(client: Client) -> None:
    """Waiting for input costs no CPU time: 60 s of it, with 10 s of CPU time."""
    async with client.ws_connect("/ws/run") as ws:
        await ws.send_json({"type": "run", "language": "python", "code": GREET["python"]})
        await output_until(ws, "name? ")
        with pytest.raises(TimeoutError):
            await next_message(ws, within=60)
        await ws.send_json({"type": "stdin", "data": "Grace\n"})
        assert "Hello, Grace!" in await output_until(ws, "Hello, Grace!")
        exit_message = (await until(ws, "exit"))[-1]
    assert (exit_message["status"], exit_message["limit"]) == ("ok", None)
    assert exit_message["durationMs"] >= 60_000


async def test_a_cpu_loop_ends_at_its_cpu_time(client: Client) -> None:
    exit_message = await run_to_exit(client, "while True:\n    pass\n", {"timeoutMs": 1000})
    assert (exit_message["status"], exit_message["limit"]) == ("timeout", "cpu")
    assert exit_message["timedOut"] is True
    assert exit_message["message"].startswith("Stopped after 1 s of CPU time: look for a loop")


async def test_a_forked_childs_cpu_loop_ends_at_the_cpu_time(client: Client) -> None:
    code = "import os\nif os.fork() == 0:\n    while True:\n        pass\ninput()\n"
    exit_message = await run_to_exit(client, code, {"timeoutMs": 1000})
    assert (exit_message["status"], exit_message["limit"]) == ("timeout", "cpu")


async def test_a_silent_program_ends_at_its_idle_time(client: Client) -> None:
    exit_message = await run_to_exit(client, "import time\ntime.sleep(60)\n", {"idleMs": 1000})
    assert (exit_message["status"], exit_message["limit"]) == ("timeout", "idle")
    assert 1000 <= exit_message["durationMs"] < 10_000
    assert "without output or input" in exit_message["message"]


async def test_output_starts_the_idle_time_again(client: Client) -> None:
    code = "import time\nfor _ in range(8):\n    print('.', flush=True)\n    time.sleep(0.4)\n"
    exit_message = await run_to_exit(client, code, {"idleMs": 1000})
    assert (exit_message["status"], exit_message["limit"]) == ("ok", None)
    assert exit_message["durationMs"] >= 2800


async def test_input_starts_the_idle_time_again(client: Client) -> None:
    code = "import sys\nfor _ in range(6):\n    sys.stdin.readline()\nprint('done')\n"
    async with client.ws_connect("/ws/run") as ws:
        run = {"type": "run", "language": "python", "code": code, "limits": {"idleMs": 1000}}
        await ws.send_json(run)
        await until(ws, "started")
        for _ in range(6):
            await asyncio.sleep(0.4)
            await ws.send_json({"type": "stdin", "data": "line\n"})
        messages = await until(ws, "exit")
    assert "".join(m.get("data", "") for m in messages) == "done\n"
    assert (messages[-1]["status"], messages[-1]["limit"]) == ("ok", None)


async def test_a_busy_program_ends_at_its_wall_time(client: Client) -> None:
    code = "import time\nwhile True:\n    print('.', flush=True)\n    time.sleep(0.2)\n"
    exit_message = await run_to_exit(client, code, {"idleMs": 1000, "wallMs": 2000})
    assert (exit_message["status"], exit_message["limit"]) == ("timeout", "wall")
    assert 2000 <= exit_message["durationMs"] < 10_000


async def test_runs_waiting_for_a_sandbox_hear_their_place_in_line() -> None:
    client = await start_client(make_settings(max_containers=1, queue_wait_seconds=30))
    try:
        async with (
            client.ws_connect("/ws/run") as first,
            client.ws_connect("/ws/run") as second,
            client.ws_connect("/ws/run") as third,
        ):
            await first.send_json({"type": "run", "language": "python", "code": "input()"})
            await until(first, "started")
            await second.send_json({"type": "run", "language": "python", "code": "input()"})
            assert await next_message(second) == {"type": "queued", "position": 1}
            await third.send_json({"type": "run", "language": "python", "code": "print(3)"})
            assert await next_message(third) == {"type": "queued", "position": 2}

            await first.send_json({"type": "stdin", "data": "\n"})
            assert (await until(first, "exit"))[-1]["status"] == "ok"
            assert (await next_message(second))["type"] == "started"
            assert await next_message(third) == {"type": "queued", "position": 1}

            await second.send_json({"type": "eof"})
            assert (await until(second, "exit"))[-1]["status"] == "runtime_error"
            messages = await until(third, "exit")
            assert (messages[0]["type"], messages[-1]["status"]) == ("started", "ok")
            assert "".join(m.get("data", "") for m in messages) == "3\n"
    finally:
        await client.close()
