"""Live sessions and runs under strain: Redis going away (mid-session, and restarting under REST
runs), and many sessions at once."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from sandbox import Engine
from tests.conftest import assert_nothing_left
from tests.servers import free_port

from .classroom import enroll
from .conftest import Account, Client, make_settings, start_client
from .test_ws_run import next_message, output_until, until

ECHO = """import sys
print("ready", flush=True)
for line in sys.stdin:
    print("echo " + line.strip(), flush=True)
"""


class PrivateRedis:
    """A redis-server of this test's own, which it can stop and start again.

    With `keep_data`, it saves on stop and loads on start, as a Redis with persistence does.
    """

    def __init__(self, *, keep_data: bool = False) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.folder = tempfile.mkdtemp(prefix="codex-redis-")
        self.save = "3600 1" if keep_data else ""

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
                self.save,
                "--dir",
                self.folder,
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

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.remove()


async def _stored(client: Client, student: Account, session_id: str) -> None:
    """The session that ended without Redis is in PostgreSQL: as a session, and a run."""
    path = f"/api/sessions/{session_id}"
    async with asyncio.timeout(10):  # the bookkeeping follows the exit
        while (shown := await (await client.get(path, headers=student.headers)).json())[
            "state"
        ] == "running":
            await asyncio.sleep(0.1)
    assert (shown["state"], shown["status"]) == ("finished", "ok")
    assert {"type": "stdin", "data": "still here\n"} in shown["events"]
    listed = await (await client.get("/api/executions", headers=student.headers)).json()
    runs = {item["id"]: item for item in listed["executions"]}
    assert runs[session_id]["source"] == "ws"
    assert runs[session_id]["output"] == "ready\necho still here\n"


async def _health(client: Client, status: int) -> None:
    """Health says whether Redis answers (a reconnect may take a moment)."""
    async with asyncio.timeout(10):
        while (response := await client.get("/api/health")).status != status:
            await asyncio.sleep(0.2)
    redis_check = (await response.json())["checks"]["redis"]
    assert redis_check["ok"] is (status == 200), redis_check


async def test_redis_going_away_mid_session(
    private_redis: PrivateRedis, sign_up: Any, engine: Engine
) -> None:
    """Runs keep working while Redis is gone, watching says so clearly, and both recover."""
    student: Account = await sign_up("student")
    teacher: Account = await sign_up("teacher")
    client: Client = await start_client(make_settings(redis_url=private_redis.url))
    try:
        await enroll(client, teacher, student)
        run_ws = await client.ws_connect(f"/ws/run?token={student.token}")
        await run_ws.send_json({"type": "run", "language": "python", "code": ECHO})
        session_id = (await next_message(run_ws))["sessionId"]
        await output_until(run_ws, "ready\n")
        watcher = await client.ws_connect(f"/ws/sessions/{session_id}/watch?token={teacher.token}")
        assert (await next_message(watcher))["type"] == "snapshot"

        private_redis.stop()
        await run_ws.send_json({"type": "stdin", "data": "still here\n"})
        assert "echo still here" in await output_until(run_ws, "echo still here")
        # Without Redis nobody can tell it is alive, but nothing says it is gone either.
        shown = await client.get(f"/api/sessions/{session_id}", headers=student.headers)
        assert (await shown.json())["state"] == "running"
        error = await next_message(watcher, within=15)
        assert (error["type"], error["code"]) == ("error", "unavailable")
        assert "reconnect" in error["message"]

        await run_ws.send_json({"type": "eof"})
        assert (await until(run_ws, "exit"))[-1]["status"] == "ok"
        await _stored(client, student, session_id)
        await _health(client, 503)
        await run_ws.send_json({"type": "run", "language": "python", "code": "print('no redis')"})
        messages = await until(run_ws, "exit")
        assert "".join(m.get("data", "") for m in messages) == "no redis\n"

        private_redis.start()
        await _health(client, 200)
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


async def test_redis_restarting_under_rest_runs(engine: Engine, caplog: Any) -> None:
    """A REST run admitted before Redis stops finishes and answers; meanwhile limits are kept per
    process (and that is logged); when Redis comes back with its data, the run's lease, which
    could not be released while it was away, is released, so the caller's runs are theirs."""
    caplog.set_level(logging.INFO, logger="codex_ws.store.admission")
    redis = PrivateRedis(keep_data=True)
    redis.start()
    settings = make_settings(redis_url=redis.url, concurrent_runs_per_user=1)
    client: Client = await start_client(settings)
    store = aioredis.Redis.from_url(redis.url)
    leases = f"{settings.redis_prefix}:active:ip:127.0.0.1"

    async def run(seconds: float) -> int:
        code = f"import time\ntime.sleep({seconds})\nprint('done')"
        response = await client.post("/api/execute", json={"language": "python", "code": code})
        body = await response.json()
        assert response.status == 429 or body["output"] == "done\n", body
        return response.status

    try:
        first = asyncio.create_task(run(2))
        async with asyncio.timeout(30):
            while not await store.zcard(leases):
                await asyncio.sleep(0.05)
        redis.stop()  # saves the lease with the rest
        assert await first == 200
        assert "keeping limits per process" in caplog.text
        assert sorted(await asyncio.gather(run(1), run(1))) == [200, 429]

        redis.start()
        await store.connection_pool.disconnect()
        assert await run(0) == 200
        assert "limits are shared again" in caplog.text
        assert await store.zcard(leases) == 0
    finally:
        await client.close()
        await store.aclose()
        redis.remove()
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
