"""A server told to stop (SIGTERM) closes its sockets with 1001, removes every container it
owns, warm ones included, and exits 0."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import aiohttp
import pytest

from sandbox import Engine
from sandbox.container_config import RUN_LABEL
from tests.servers import start_server, wait_until_healthy

pytestmark = pytest.mark.docker


async def _containers_of(engine: Engine, label: str) -> list[str]:
    found = await engine.docker.containers.list(all=True, filters=json.dumps({"label": [label]}))
    return [c.id for c in found]


async def test_sigterm_closes_sockets_with_1001_and_leaves_nothing(engine: Engine) -> None:
    env = os.environ | {
        "CODEX_ENV": "development",
        "CODEX_LOG_LEVEL": "WARNING",
        "CODEX_POOL": "python=1",
    }
    server, base = start_server(env)
    try:
        async with aiohttp.ClientSession() as http:
            await wait_until_healthy(http, base)
            ws = await http.ws_connect(f"{base}/ws/run")
            await ws.send_json(
                {
                    "type": "run",
                    "language": "python",
                    "code": "import time\nprint('up', flush=True)\ntime.sleep(60)",
                }
            )
            started = json.loads((await ws.receive()).data)
            run_label = f"{RUN_LABEL}={started['sessionId']}"
            assert await _containers_of(engine, run_label)

            server.send_signal(signal.SIGTERM)
            async with asyncio.timeout(20):
                while (await ws.receive()).type not in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                ):
                    pass
            assert ws.close_code == 1001
        assert await asyncio.to_thread(server.wait, 30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert await _containers_of(engine, run_label) == []
    owner = f"codex.owner={engine.owner.host}/{server.pid}:"
    every = await engine.docker.containers.list(
        all=True, filters=json.dumps({"label": ["codex.sandbox=1"]})
    )
    assert not [
        c
        for c in every
        if c._container["Labels"]
        .get("codex.owner", "")
        .startswith(owner.removeprefix("codex.owner="))
    ], "the warm pool was left behind"
