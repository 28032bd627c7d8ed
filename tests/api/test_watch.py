"""Watching across processes: two real servers on two ports, one Redis, one PostgreSQL.

A student runs on the first; teachers on the second see every event in order.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest

from tests.servers import enroll, register, start_server, stop_server, wait_until_healthy

from .conftest import JWT_SECRET, TEACHER_CODE

INTERACTIVE = """import sys
print("ready", flush=True)
for line in sys.stdin:
    print("got " + line.strip(), flush=True)
print("bye", flush=True)
"""


@pytest.fixture(scope="module")
def servers() -> Iterator[list[str]]:
    """Two `codex-ws serve` processes sharing the test's secret, Redis and PostgreSQL."""
    env = os.environ | {
        "CODEX_ENV": "test",
        "CODEX_JWT_SECRET": JWT_SECRET,
        "CODEX_TEACHER_CODE": TEACHER_CODE,
        "CODEX_LOG_LEVEL": "WARNING",
    }
    started = [start_server(env) for _ in range(2)]
    try:
        yield [base for _, base in started]
    finally:
        for process, _ in started:
            stop_server(process)


@pytest.fixture(scope="module")
async def http(servers: list[str]) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        for base in servers:
            await wait_until_healthy(session, base)
        yield session


async def _account(http: aiohttp.ClientSession, base: str, role: str) -> dict[str, Any]:
    return await register(http, base, role, TEACHER_CODE)


async def _receive(ws: aiohttp.ClientWebSocketResponse, within: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(within):
        message = await ws.receive()
    assert message.type == aiohttp.WSMsgType.TEXT, (message, ws.close_code)
    return json.loads(message.data)  # type: ignore[no-any-return]


async def _until_output(ws: aiohttp.ClientWebSocketResponse, text: str) -> None:
    seen = ""
    while text not in seen:
        message = await _receive(ws)
        seen += message.get("data", "") if message["type"] == "stdout" else ""


def _stream(events: list[dict[str, Any]]) -> str:
    """What a watcher saw, as one ordered text: output and typed input alike."""
    return "".join(
        ("<" + e["data"] + ">") if e["type"] == "stdin" else e.get("data", "")
        for e in events
        if e["type"] in ("stdout", "stderr", "stdin")
    )


async def test_a_teacher_on_another_process_sees_everything_in_order(
    servers: list[str], http: aiohttp.ClientSession
) -> None:
    first, second = servers
    student = await _account(http, first, "student")
    teacher = await _account(http, second, "teacher")
    late_teacher = await _account(http, second, "teacher")
    for watching in (teacher, late_teacher):
        await enroll(http, second, watching["token"], student["token"])

    run_ws = await http.ws_connect(f"{first}/ws/run?token={student['token']}")
    await run_ws.send_json({"type": "run", "language": "python", "code": INTERACTIVE})
    session_id = (await _receive(run_ws))["sessionId"]
    await _until_output(run_ws, "ready\n")

    watcher = await http.ws_connect(
        f"{second}/ws/sessions/{session_id}/watch?token={teacher['token']}"
    )
    snapshot = await _receive(watcher)
    assert snapshot["type"] == "snapshot"
    assert snapshot["session"]["id"] == session_id
    assert snapshot["session"]["userName"] == "The student"
    assert snapshot["session"]["code"] == INTERACTIVE
    assert snapshot["session"]["state"] == "running"
    seen = list(snapshot["events"])

    for word in ("one", "two"):
        await run_ws.send_json({"type": "stdin", "data": word + "\n"})
        await _until_output(run_ws, f"got {word}\n")

    late = await http.ws_connect(
        f"{second}/ws/sessions/{session_id}/watch?token={late_teacher['token']}"
    )
    late_snapshot = await _receive(late)
    assert "got two" in _stream(late_snapshot["events"])

    await run_ws.send_json({"type": "stdin", "data": "three\n"})
    await run_ws.send_json({"type": "eof"})
    while (await _receive(run_ws))["type"] != "exit":
        pass
    await run_ws.close()

    for ws, events in ((watcher, seen), (late, list(late_snapshot["events"]))):
        while True:
            message = await _receive(ws)
            events.append(message)
            if message["type"] == "exit":
                break
        async with asyncio.timeout(10):
            closing = await ws.receive()
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 1000
        expected = "ready\n<one\n>got one\n<two\n>got two\n<three\n>got three\nbye\n"
        assert _stream(events) == expected
        assert events[-1]["status"] == "ok"


async def test_who_may_watch(servers: list[str], http: aiohttp.ClientSession) -> None:
    first, second = servers
    owner = await _account(http, first, "student")
    other = await _account(http, first, "student")
    run_ws = await http.ws_connect(f"{first}/ws/run?token={owner['token']}")
    # Long enough to outlast the refusals below (one waits 5 s for an `auth` message).
    await run_ws.send_json(
        {"type": "run", "language": "python", "code": "import time\ntime.sleep(20)"}
    )
    session_id = (await _receive(run_ws))["sessionId"]
    try:
        cases = [
            (f"/ws/sessions/{session_id}/watch?token={other['token']}", 4003),
            (f"/ws/sessions/{session_id}/watch", 4001),
            (f"/ws/sessions/{session_id}/watch?token=forged", 4001),
            (
                f"/ws/sessions/00000000-0000-0000-0000-000000000000/watch?token={owner['token']}",
                4004,
            ),
        ]
        for path, code in cases:
            ws = await http.ws_connect(second + path)
            async with asyncio.timeout(10):
                await ws.receive()
            assert ws.close_code == code, path

        ws = await http.ws_connect(
            f"{second}/ws/sessions/{session_id}/watch?token={owner['token']}"
        )
        assert (await _receive(ws))["type"] == "snapshot"
        await ws.send_json({"type": "stdin", "data": "sneaky\n"})
        assert (await _receive(ws))["code"] == "read_only"
        await ws.send_json({"type": "ping"})
        assert await _receive(ws) == {"type": "pong"}
        await ws.close()
    finally:
        await run_ws.close()


async def test_sessions_are_listed_with_visibility_rules(
    servers: list[str], http: aiohttp.ClientSession
) -> None:
    first, second = servers
    student = await _account(http, first, "student")
    other = await _account(http, first, "student")
    teacher = await _account(http, second, "teacher")
    await enroll(http, second, teacher["token"], student["token"])
    run_ws = await http.ws_connect(f"{first}/ws/run?token={student['token']}")
    await run_ws.send_json({"type": "run", "language": "python", "code": "print('listed')"})
    session_id = (await _receive(run_ws))["sessionId"]
    while (await _receive(run_ws))["type"] != "exit":
        pass
    await run_ws.close()

    def auth(account: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": f"Bearer {account['token']}"}

    async with http.get(f"{second}/api/sessions", headers=auth(teacher)) as response:
        listed = {s["id"]: s for s in (await response.json())["sessions"]}
    assert listed[session_id]["userName"] == "The student"
    assert set(listed[session_id]) == {
        "id",
        "userId",
        "userName",
        "language",
        "state",
        "startedAt",
        "endedAt",
        "status",
    }
    async with http.get(f"{first}/api/sessions", headers=auth(other)) as response:
        assert session_id not in {s["id"] for s in (await response.json())["sessions"]}
    async with http.get(f"{first}/api/sessions", headers=auth(student)) as response:
        assert session_id in {s["id"] for s in (await response.json())["sessions"]}

    for _ in range(50):
        async with http.get(f"{second}/api/sessions/{session_id}", headers=auth(teacher)) as r:
            detail = await r.json()
        if detail["state"] == "finished":
            break
        await asyncio.sleep(0.1)
    assert (detail["state"], detail["status"], detail["code"]) == (
        "finished",
        "ok",
        "print('listed')",
    )
    assert _stream(detail["events"]) == "listed\n"
    async with http.get(f"{second}/api/sessions/{session_id}", headers=auth(other)) as r:
        assert r.status == 403
    async with http.get(f"{second}/api/sessions/{session_id}") as r:
        assert r.status == 401
