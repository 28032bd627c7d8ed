"""A server killed (SIGKILL) mid-run: the next start on the same host cleans up after it, with
nothing left to expire: its containers are removed, its WebSocket sessions are marked `aborted`
in PostgreSQL (keeping what their streams held) and its run leases in Redis are freed."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pytest
import redis.asyncio as redis

from codex_ws.settings import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL
from sandbox import Engine
from sandbox.container_config import OWNER_LABEL
from sandbox.owner import Owner
from tests.servers import register, start_server, stop_server, wait_until_healthy

pytestmark = pytest.mark.docker

ECHO = """import sys
print("ready", flush=True)
for line in sys.stdin:
    print("echo " + line.strip(), flush=True)
"""


async def _containers_of(engine: Engine, owner: Owner) -> list[str]:
    found = await engine.docker.containers.list(
        all=True, filters=json.dumps({"label": [f"{OWNER_LABEL}={owner}"]})
    )
    return [c.id for c in found]


async def _until(check: Any, within: float = 30) -> None:
    async with asyncio.timeout(within):
        while not await check():
            await asyncio.sleep(0.1)


@dataclass
class Crashed:
    """What a server killed mid-run left: a session, two leases, two containers."""

    owner: Owner
    headers: dict[str, str]
    session_id: str
    leases: str


async def crash_mid_run(
    http: aiohttp.ClientSession, env: dict[str, str], engine: Engine, store: redis.Redis
) -> Crashed:
    """Start a server, give one account a live session and a REST run, then SIGKILL it."""
    server, base = start_server(env)
    owner = Owner.of_process(server.pid)
    try:
        await wait_until_healthy(http, base)
        body = await register(http, base)
        token = body["token"]
        crashed = Crashed(
            owner,
            {"Authorization": f"Bearer {token}"},
            "",
            f"{env['CODEX_REDIS_PREFIX']}:active:user:{body['user']['id']}",
        )
        ws = await http.ws_connect(f"{base}/ws/run?token={token}")
        await ws.send_json({"type": "run", "language": "python", "code": ECHO})
        crashed.session_id = (await ws.receive_json(timeout=30))["sessionId"]
        printed = ""
        while "ready" not in printed:
            printed += (await ws.receive_json(timeout=30)).get("data", "")
        sleeper = asyncio.create_task(
            http.post(
                f"{base}/api/execute",
                headers=crashed.headers,
                json={"language": "python", "code": "import time\ntime.sleep(60)"},
            )
        )

        async def both_runs_going() -> bool:
            held = await store.zcard(crashed.leases)
            return held == 2 and len(await _containers_of(engine, owner)) == 2

        await _until(both_runs_going)
        server.kill()  # SIGKILL, mid-run
        server.wait()
        await asyncio.gather(sleeper, return_exceptions=True)
        await ws.close()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    return crashed


async def test_the_next_start_cleans_up_after_a_killed_server(engine: Engine) -> None:
    env = os.environ | {
        "CODEX_ENV": "development",
        "CODEX_LOG_LEVEL": "WARNING",
        "CODEX_POOL": "",
        "CODEX_REDIS_PREFIX": f"codex-crash-{secrets.token_hex(4)}",
        "CODEX_JWT_SECRET": secrets.token_urlsafe(32),  # tokens outlive the first server
        "CODEX_CONCURRENT_RUNS_PER_USER": "2",
    }
    store = redis.Redis.from_url(os.environ.get("CODEX_REDIS_URL") or DEFAULT_REDIS_URL)
    database = await asyncpg.connect(os.environ.get("CODEX_DATABASE_URL") or DEFAULT_DATABASE_URL)
    server = None
    try:
        async with aiohttp.ClientSession() as http:
            dead = await crash_mid_run(http, env, engine, store)
            session = uuid.UUID(dead.session_id)
            state = await database.fetchval("SELECT state FROM sessions WHERE id = $1", session)
            assert (state, await store.zcard(dead.leases)) == ("running", 2), "cleaned already?"
            assert len(await _containers_of(engine, dead.owner)) == 2

            server, base = start_server(env)
            await wait_until_healthy(http, base)
            # Done during the start, before the first request is served.
            assert await _containers_of(engine, dead.owner) == []
            row = await database.fetchrow(
                "SELECT state, transcript FROM sessions WHERE id = $1", session
            )
            assert row["state"] == "aborted"
            printed = "".join(e.get("data", "") for e in json.loads(row["transcript"]))
            assert printed == "ready\n"
            assert await store.zcard(dead.leases) == 0
            events = f"{env['CODEX_REDIS_PREFIX']}:session:{session}:events"
            assert 0 < await store.ttl(events) <= 600

            # The account's two concurrent runs are its own again.
            payload = {"language": "python", "code": "print('again')"}
            responses = await asyncio.gather(
                *(
                    http.post(f"{base}/api/execute", headers=dead.headers, json=payload)
                    for _ in "ab"
                )
            )
            assert [(r.status, (await r.json())["output"]) for r in responses] == [
                (200, "again\n"),
                (200, "again\n"),
            ]
            async with http.get(f"{base}/api/sessions/{session}", headers=dead.headers) as shown:
                assert (await shown.json())["state"] == "aborted"
        stop_server(server)
        assert server.returncode == 0
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()
        await database.close()
        await store.aclose()
