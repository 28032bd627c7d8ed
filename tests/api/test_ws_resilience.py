"""Live sessions under strain: Redis going away mid-session, and many sessions at once."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox import Engine
from tests.conftest import assert_nothing_left
from tests.servers import free_port

from .conftest import Account, Client, make_settings, start_client
from .test_ws_run import next_message, output_until, until

ECHO = """import sys
print("ready", flush=True)
for line in sys.stdin:
    print("echo " + line.strip(), flush=True)
"""


class PrivateRedis:
    """A redis-server of this test's own, which it can stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        assert server, "redis-server is not installed: run `make provision`"
        self.process = subprocess.Popen(
            [
                server,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


async def test_redis_going_away_mid_session(
    private_redis: PrivateRedis, sign_up: Any, engine: Engine
) -> None:
    """Runs keep working while Redis is gone, watching says so clearly, and both recover."""
    student: Account = await sign_up("student")
    teacher: Account = await sign_up("teacher")
    client: Client = await start_client(make_settings(redis_url=private_redis.url))
    try:
        run_ws = await client.ws_connect(f"/ws/run?token={student.token}")
        await run_ws.send_json({"type": "run", "language": "python", "code": ECHO})
        session_id = (await next_message(run_ws))["sessionId"]
        await output_until(run_ws, "ready\n")
        watcher = await client.ws_connect(f"/ws/sessions/{session_id}/watch?token={teacher.token}")
        assert (await next_message(watcher))["type"] == "snapshot"

        private_redis.stop()
        await run_ws.send_json({"type": "stdin", "data": "still here\n"})
        assert "echo still here" in await output_until(run_ws, "echo still here")
        error = await next_message(watcher, within=15)
        assert (error["type"], error["code"]) == ("error", "unavailable")
        assert "reconnect" in error["message"]

        await run_ws.send_json({"type": "eof"})
        assert (await until(run_ws, "exit"))[-1]["status"] == "ok"
        await run_ws.send_json({"type": "run", "language": "python", "code": "print('no redis')"})
        messages = await until(run_ws, "exit")
        assert "".join(m.get("data", "") for m in messages) == "no redis\n"

        private_redis.start()
        await run_ws.send_json({"type": "run", "language": "python", "code": ECHO})
        session_id = (await next_message(run_ws))["sessionId"]
        await output_until(run_ws, "ready\n")
        watcher = await client.ws_connect(f"/ws/sessions/{session_id}/watch?token={teacher.token}")
        snapshot = await next_message(watcher)
        assert snapshot["type"] == "snapshot"
        await run_ws.send_json({"type": "stdin", "data": "back\n"})
        seen = [await next_message(watcher) for _ in range(2)]
        assert seen[0] == {"type": "stdin", "data": "back\n"}
        await run_ws.close()
        await watcher.close()
    finally:
        await client.close()
    await assert_nothing_left(engine)


# 100 sessions on one process: each is a real container; on a 2-core machine Docker starts
# about five a second, so the whole test takes a minute or two.
SESSIONS = 100


async def test_many_concurrent_interactive_sessions(sign_up: Any, engine: Engine) -> None:
    student: Account = await sign_up("student")
    client: Client = await start_client(
        make_settings(
            max_containers=SESSIONS, queue_wait_seconds=300, concurrent_runs_per_user=SESSIONS
        )
    )

    async def one(index: int) -> str:
        async with client.ws_connect(f"/ws/run?token={student.token}") as ws:
            # A generous limit: with a hundred programs on two cores, answers come slowly.
            await ws.send_json(
                {"type": "run", "language": "python", "code": ECHO, "limits": {"timeoutMs": 30000}}
            )
            await output_until(ws, "ready\n", within=300)
            await ws.send_json({"type": "stdin", "data": f"n{index}\n"})
            echoed = await output_until(ws, f"echo n{index}\n", within=120)
            await ws.send_json({"type": "eof"})
            exit_message = (await until(ws, "exit", within=120))[-1]
            return f"{exit_message['status']}:{echoed}"

    try:
        results = await asyncio.gather(*(one(i) for i in range(SESSIONS)))
    finally:
        await client.close()
    wrong = [(i, r) for i, r in enumerate(results) if r != f"ok:echo n{i}\n"]
    assert not wrong, wrong
    await assert_nothing_left(engine, within=30)
