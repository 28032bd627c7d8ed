"""The Docker engine restarting under a server.

Simulated, since restarting the machine's real dockerd would break every other user's runs: the
server talks to the engine through tests/docker_proxy.py (DOCKER_HOST), and a "restart" drops
every proxied connection (attach streams included), refuses new ones for a few seconds, and kills
the server's containers (`docker kill` by its owner label), as a daemon restart without
live-restore does. Runs in progress end as `internal_error` with a message that says what
happened and what to do; runs asked for meanwhile get 503 `unavailable`; once the engine answers
again, the warm pool refills and runs succeed, with no restart of the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from typing import Any

import aiohttp
import pytest
from aiodocker.exceptions import DockerError

from sandbox import Engine
from sandbox.container_config import LANGUAGE_LABEL, OWNER_LABEL
from sandbox.owner import Owner
from tests.docker_proxy import DockerProxy
from tests.servers import start_server, wait_until_healthy

pytestmark = pytest.mark.docker

WARM = 2
ECHO = """import sys
print("ready", flush=True)
for line in sys.stdin:
    print("echo " + line.strip(), flush=True)
"""
LONG = {"timeoutMs": 30000}


class Server:
    """The server under test, seen from outside through the real engine."""

    def __init__(self, engine: Engine, pid: int) -> None:
        self.engine = engine
        self.owner = f"{OWNER_LABEL}={Owner.of_process(pid)}"

    async def containers(self, *labels: str, running: bool = False) -> list[Any]:
        return list(
            await self.engine.docker.containers.list(
                all=not running, filters=json.dumps({"label": [self.owner, *labels]})
            )
        )

    async def until_running(self, count: int, *labels: str) -> None:
        async with asyncio.timeout(60):
            while len(await self.containers(*labels, running=True)) != count:
                await asyncio.sleep(0.2)

    async def kill_containers(self) -> None:
        """What the daemon does to its containers when it stops."""
        for container in await self.containers(running=True):
            with contextlib.suppress(DockerError):  # it may have ended as its stdin dropped
                await container.kill()


async def _until_exit(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while (message := await ws.receive_json(timeout=60))["type"] != "exit":
        pass
    return message  # type: ignore[no-any-return]


def _says_what_to_do(message: str) -> None:
    assert "Docker engine" in message and "again" in message, message


async def test_runs_survive_an_engine_restart_as_clear_errors_then_recover(
    engine: Engine,
) -> None:
    proxy = DockerProxy()
    await proxy.start()
    env = os.environ | {
        "CODEX_ENV": "development",
        "CODEX_LOG_LEVEL": "ERROR",
        "CODEX_POOL": f"python={WARM}",
        "DOCKER_HOST": proxy.url,
    }
    process, base = start_server(env)
    server = Server(engine, process.pid)
    try:
        async with aiohttp.ClientSession() as http:
            await wait_until_healthy(http, base)
            await server.until_running(WARM)
            ws = await http.ws_connect(f"{base}/ws/run")
            await ws.send_json({"type": "run", "language": "python", "code": ECHO, "limits": LONG})
            printed = ""
            while printed != "ready\n":
                printed += (await ws.receive_json(timeout=30)).get("data", "")
            in_flight = asyncio.create_task(
                http.post(
                    f"{base}/api/execute",
                    json={"language": "javascript", "code": "setTimeout(() => {}, 60000)"}
                    | {"limits": LONG},
                )
            )
            await server.until_running(1, f"{LANGUAGE_LABEL}=javascript")
            refused: list[dict[str, Any]] = []

            async def while_down() -> None:
                await server.kill_containers()
                async with http.post(
                    f"{base}/api/execute", json={"language": "python", "code": "print(1)"}
                ) as response:
                    refused.append({"status": response.status} | await response.json())

            await proxy.restart(down_seconds=3, while_down=while_down)

            ended = await _until_exit(ws)
            assert ended["status"] == "internal_error", ended
            _says_what_to_do(ended["message"])
            response = await in_flight
            body = await response.json()
            assert (response.status, body["status"]) == (200, "internal_error"), body
            _says_what_to_do(body["error"])
            assert (refused[0]["status"], refused[0]["code"]) == (503, "unavailable"), refused
            _says_what_to_do(refused[0]["error"])

            # Back: the pool refills by itself, the killed containers go, and runs succeed.
            await server.until_running(WARM)
            async with asyncio.timeout(60):
                while len(await server.containers()) != WARM:
                    await asyncio.sleep(0.2)
            async with http.post(
                f"{base}/api/execute", json={"language": "python", "code": "print('back')"}
            ) as again:
                assert (await again.json())["output"] == "back\n"
            await ws.send_json({"type": "run", "language": "python", "code": "print('live')"})
            assert (await _until_exit(ws))["status"] == "ok"
            await ws.close()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        await proxy.close()
    assert await server.containers() == []
