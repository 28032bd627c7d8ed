"""A server told to stop (SIGTERM) takes no new connections or runs, lets the runs in progress
finish for its grace period (their results are delivered), ends the rest, closes its sockets
with 1001, removes every container it owns, warm ones included, and exits 0."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from typing import Any

import aiohttp
import pytest

from sandbox import Engine
from sandbox.container_config import LANGUAGE_LABEL, OWNER_LABEL
from sandbox.owner import Owner
from tests.servers import start_server, wait_until_healthy

pytestmark = pytest.mark.docker

GRACE_SECONDS = 6
# Python over WebSockets, JavaScript over REST (no warm pool), so that the REST runs' own
# containers show which of them have started.
FINISHES_WHEN_TOLD = "import time\nprint('up', flush=True)\ninput()\ntime.sleep(1)\nprint('done')"
OUTLIVES_THE_GRACE = "import time\nprint('up', flush=True)\ntime.sleep(60)"
FINISHES_SOON = "setTimeout(() => console.log('done'), 2000)"
OUTLIVES_IT_TOO = "setTimeout(() => {}, 60000)"
LONG = {"timeoutMs": 30000}


async def _containers(engine: Engine, *labels: str) -> list[str]:
    found = await engine.docker.containers.list(all=True, filters=json.dumps({"label": labels}))
    return [c.id for c in found]


async def _messages_until(ws: aiohttp.ClientWebSocketResponse, kind: str) -> list[dict[str, Any]]:
    seen = []
    while not seen or seen[-1]["type"] != kind:
        seen.append(await ws.receive_json(timeout=30))
    return seen


async def _interactive(
    http: aiohttp.ClientSession, base: str, code: str
) -> aiohttp.ClientWebSocketResponse:
    """A socket whose program has started and printed its first line."""
    ws = await http.ws_connect(f"{base}/ws/run")
    await ws.send_json({"type": "run", "language": "python", "code": code, "limits": LONG})
    assert (await ws.receive_json(timeout=30))["type"] == "started"
    printed = ""
    while printed != "up\n":
        printed += (await ws.receive_json(timeout=30)).get("data", "")
    return ws


async def _until_refused(base: str) -> None:
    """Until a new connection is refused (those open, keep-alive ones too, still work)."""
    host, port = base.removeprefix("http://").split(":")
    async with asyncio.timeout(10):
        while True:
            try:
                _, writer = await asyncio.open_connection(host, int(port))
            except (ConnectionRefusedError, ConnectionResetError):  # reset: closed as it came
                return
            writer.close()
            await writer.wait_closed()
            await asyncio.sleep(0.05)


async def _closing_code(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    """The code of the server's close frame.

    Not `ws.close_code`: aiohttp's client sets 1006 there when its own reply to the close frame
    finds the connection already closed, as it is once the server has stopped.
    """
    async with asyncio.timeout(30):
        while True:
            message = await ws.receive()
            if message.type == aiohttp.WSMsgType.CLOSE:
                return int(message.data)
            if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                return ws.close_code


async def test_sigterm_lets_runs_finish_for_the_grace_period_then_ends_the_rest(
    engine: Engine,
) -> None:
    env = os.environ | {
        "CODEX_ENV": "development",
        "CODEX_LOG_LEVEL": "WARNING",
        "CODEX_POOL": "python=1",
        "CODEX_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
        "CODEX_CONCURRENT_RUNS_PER_USER": "10",
    }
    server, base = start_server(env)
    owner = f"{OWNER_LABEL}={Owner.of_process(server.pid)}"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_until_healthy(http, base)
            finishing, outliving = [
                await _interactive(http, base, code)
                for code in (FINISHES_WHEN_TOLD, OUTLIVES_THE_GRACE)
            ]
            rest = [
                asyncio.create_task(
                    http.post(
                        f"{base}/api/execute",
                        json={"language": "javascript", "code": code, "limits": LONG},
                    )
                )
                for code in (FINISHES_SOON, OUTLIVES_IT_TOO)
            ]
            async with asyncio.timeout(60):
                while len(await _containers(engine, owner, f"{LANGUAGE_LABEL}=javascript")) < 2:
                    await asyncio.sleep(0.1)

            server.send_signal(signal.SIGTERM)
            await _until_refused(base)

            await finishing.send_json({"type": "stdin", "data": "go\n"})
            ended = await _messages_until(finishing, "exit")
            assert "".join(m.get("data", "") for m in ended) == "done\n", ended
            assert ended[-1]["status"] == "ok"
            await finishing.send_json({"type": "run", "language": "python", "code": "print(1)"})
            refused = await finishing.receive_json(timeout=30)
            assert (refused["type"], refused["code"]) == ("error", "unavailable")
            assert "shutting down" in refused["message"]

            soon = await rest[0]
            assert soon.status == 200
            assert ((await soon.json())["status"], (await soon.json())["output"]) == (
                "ok",
                "done\n",
            )

            exit_message = (await _messages_until(outliving, "exit"))[-1]
            assert (exit_message["status"], exit_message["signal"]) == ("killed", "SIGKILL")
            assert await _closing_code(outliving) == 1001
            assert await _closing_code(finishing) == 1001

            late = await rest[1]
            body = await late.json()
            assert (late.status, body["code"]) == (503, "unavailable"), body
            assert f"after waiting {GRACE_SECONDS} s" in body["error"]
            assert late.headers["Retry-After"]
        assert await asyncio.to_thread(server.wait, 30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert await _containers(engine, owner) == [], "containers (warm ones too) were left behind"
