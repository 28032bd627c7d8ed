"""Load on one server process: 300 concurrent `POST /api/execute` and 100 concurrent interactive
WebSocket sessions against a real `codex-ws serve`.

Every request gets its result, or 503 `busy` / 429 `rate_limited` with `Retry-After`, and
nothing else; the server's containers (sampled) never outnumber its cap; afterwards its
containers, its Redis leases and its memory are back where they were. `pytest -s` shows the
figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import redis.asyncio as redis

from codex_ws.settings import DEFAULT_REDIS_URL
from sandbox import Engine
from sandbox.container_config import OWNER_LABEL
from sandbox.owner import Owner
from tests.servers import register, start_server, wait_until_healthy

pytestmark = [pytest.mark.docker, pytest.mark.load]

CAP = 16
POOL = "python=2"
WARM = 2
REST_RUNS = 300
RUNS_PER_MINUTE = 20  # for signed-in callers; one account sends every fifth REST run
SESSIONS = 100
# Long enough that much of the burst is served, short enough that some of it is refused.
QUEUE_WAIT_SECONDS = 30
# How far the server's resident memory may stay above its baseline once the load is over:
# CPython and glibc keep some freed memory for reuse rather than handing it back at once.
RSS_SLACK_MB = 50

ECHO = """import sys
print("ready", flush=True)
for line in sys.stdin:
    print("echo " + line.strip(), flush=True)
"""
PROGRAMS = {
    "python": "print(sum(range({n})))",
    "javascript": "let s = 0; for (let i = 0; i < {n}; i++) s += i; console.log(s)",
}


@dataclass
class Figures:
    served: int = 0
    busy: int = 0
    rate_limited: int = 0
    sessions_done: int = 0
    sessions_busy: int = 0
    queued: int = 0  # `queued` messages heard by sessions waiting for a sandbox
    sessions_rate_limited: int = 0
    peak_containers: int = 0
    samples: int = 0
    rss_mb: list[float] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def has_retry_after(response: aiohttp.ClientResponse) -> bool:
    value = response.headers.get("Retry-After", "")
    return value.isdigit() and int(value) >= 1


@dataclass
class Burst:
    """The clients of one burst, and what they got."""

    http: aiohttp.ClientSession
    base: str
    signed_in: dict[str, str]
    figures: Figures = field(default_factory=Figures)

    async def execute(self, index: int) -> None:
        language = "python" if index % 3 else "javascript"
        n = 1000 + index
        payload = {
            "language": language,
            "code": PROGRAMS[language].format(n=n),
            "limits": {"timeoutMs": 30000},
        }
        headers = self.signed_in if index % 5 == 0 else {}
        async with self.http.post(
            f"{self.base}/api/execute", json=payload, headers=headers
        ) as response:
            body = await response.json()
        outcome = (response.status, body.get("code"))
        if response.status == 200 and (body["status"], body["output"]) == (
            "ok",
            f"{sum(range(n))}\n",
        ):
            self.figures.served += 1
        elif outcome == (503, "busy") and has_retry_after(response):
            self.figures.busy += 1
        elif outcome == (429, "rate_limited") and has_retry_after(response):
            self.figures.rate_limited += 1
        else:
            self.figures.unexpected.append(f"REST {index}: {response.status} {body}")

    async def session(self, ws: aiohttp.ClientWebSocketResponse, index: int) -> None:
        """An interactive run on an open socket: a prompt, a line typed, its echo, EOF."""
        await ws.send_json(
            {"type": "run", "language": "python", "code": ECHO, "limits": {"timeoutMs": 30000}}
        )
        first = await ws.receive_json(timeout=300)
        while first["type"] == "queued":  # waiting in line for a sandbox, told its place
            self.figures.queued += 1
            first = await ws.receive_json(timeout=300)
        if first["type"] == "error":
            if first["code"] == "busy":
                self.figures.sessions_busy += 1
            elif first["code"] == "rate_limited":
                self.figures.sessions_rate_limited += 1
            else:
                self.figures.unexpected.append(f"WS {index}: {first}")
            return
        printed = ""
        last: dict[str, Any] = first
        for wanted, reply in (("ready\n", f"n{index}\n"), (f"echo n{index}\n", None)):
            while wanted not in printed and last["type"] not in ("exit", "error"):
                last = await ws.receive_json(timeout=300)
                printed += last["data"] if last["type"] == "stdout" else ""
            if reply is not None:
                await ws.send_json({"type": "stdin", "data": reply})
        await ws.send_json({"type": "eof"})
        while last["type"] not in ("exit", "error"):
            last = await ws.receive_json(timeout=300)
        if (last.get("status"), printed) == ("ok", f"ready\necho n{index}\n"):
            self.figures.sessions_done += 1
        else:
            self.figures.unexpected.append(f"WS {index}: {printed!r} then {last}")

    async def run(self, sockets: list[aiohttp.ClientWebSocketResponse]) -> None:
        """Every REST run and every session at once, interleaved so neither kind queues first."""
        rest = [self.execute(i) for i in range(REST_RUNS)]
        every = REST_RUNS // len(sockets)
        mixed = []
        for i, ws in enumerate(sockets):
            mixed += [self.session(ws, i), *rest[i * every : (i + 1) * every]]
        await asyncio.gather(*mixed, *rest[len(sockets) * every :])


class Watched:
    """The server process from outside: its containers, its Redis leases, its memory."""

    def __init__(self, engine: Engine, pid: int, store: redis.Redis, prefix: str) -> None:
        self.engine = engine
        self.pid = pid
        self.owner = Owner.of_process(pid)
        self.store = store
        self.prefix = prefix

    async def containers(self) -> int:
        found = await self.engine.docker.containers.list(
            all=True, filters=json.dumps({"label": [f"{OWNER_LABEL}={self.owner}"]})
        )
        return len(found)

    async def leases(self) -> int:
        keys = [key async for key in self.store.scan_iter(f"{self.prefix}:active:*")]
        return sum([await self.store.zcard(key) for key in keys])

    async def sample(self, figures: Figures) -> None:
        while True:
            figures.peak_containers = max(figures.peak_containers, await self.containers())
            figures.samples += 1
            figures.rss_mb.append(rss_mb(self.pid))
            await asyncio.sleep(0.2)

    async def settle(self) -> None:
        """Until only the warm pool is left and no lease is held (removal is off the answer
        path), then a pause for the memory to settle."""
        async with asyncio.timeout(120):
            while await self.containers() != WARM or await self.leases():
                await asyncio.sleep(0.5)
        await asyncio.sleep(5)


async def sign_up(http: aiohttp.ClientSession, base: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {(await register(http, base))['token']}"}


async def test_a_burst_of_runs_and_sessions_on_one_process(engine: Engine) -> None:
    prefix = f"codex-load-{secrets.token_hex(4)}"
    env = os.environ | {
        "CODEX_ENV": "development",
        "CODEX_LOG_LEVEL": "WARNING",
        "CODEX_POOL": POOL,
        "CODEX_MAX_CONTAINERS": str(CAP),
        "CODEX_QUEUE_WAIT_SECONDS": str(QUEUE_WAIT_SECONDS),
        "CODEX_REDIS_PREFIX": prefix,
        "CODEX_RUNS_PER_MINUTE": str(RUNS_PER_MINUTE),
        "CODEX_RUNS_PER_MINUTE_ANONYMOUS": "100000",
        "CODEX_CONCURRENT_RUNS_PER_USER": "1000",
        "CODEX_MAX_CONNECTIONS_PER_IP": "0",  # hundreds of connections, all from this host
    }
    store = redis.Redis.from_url(os.environ.get("CODEX_REDIS_URL") or DEFAULT_REDIS_URL)
    server, base = start_server(env)
    watched = Watched(engine, server.pid, store, prefix)
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            await wait_until_healthy(http, base)
            warmup = Burst(http, base, await sign_up(http, base))
            async with AsyncExitStack() as stack:
                sockets = [await stack.enter_async_context(http.ws_connect(f"{base}/ws/run"))]
                await asyncio.gather(warmup.session(sockets[0], 0), *map(warmup.execute, range(10)))
            assert (warmup.figures.served, warmup.figures.sessions_done) == (10, 1), warmup
            await watched.settle()
            before = rss_mb(server.pid)

            burst = Burst(http, base, warmup.signed_in)
            figures = burst.figures
            async with AsyncExitStack() as stack:
                sockets = [
                    await stack.enter_async_context(http.ws_connect(f"{base}/ws/run"))
                    for _ in range(SESSIONS)
                ]
                sampler = asyncio.create_task(watched.sample(figures))
                started = time.monotonic()
                try:
                    await burst.run(sockets)
                finally:
                    took = time.monotonic() - started
                    sampler.cancel()
                    await asyncio.gather(sampler, return_exceptions=True)
            await watched.settle()
            after = rss_mb(server.pid)
        server.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(server.wait, 60) == 0
        left = await watched.containers()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        await store.aclose()

    print(
        f"\nload: {REST_RUNS} POST /api/execute at once: {figures.served} served, "
        f"{figures.busy} busy (503), {figures.rate_limited} rate limited (429)"
        f"\nload: {SESSIONS} WebSocket sessions at once: {figures.sessions_done} ran to their "
        f"exit, {figures.sessions_busy} busy, {figures.sessions_rate_limited} rate limited, "
        f"{figures.queued} places in line told"
        f"\nload: {took:.0f} s; containers at most {figures.peak_containers} (cap {CAP}, "
        f"{figures.samples} samples); after SIGTERM {left}"
        f"\nload: server RSS before {before:.1f} MB, peak {max(figures.rss_mb):.1f} MB, "
        f"after {after:.1f} MB"
    )
    assert figures.unexpected == []
    assert figures.served + figures.busy + figures.rate_limited == REST_RUNS
    refused = figures.sessions_busy + figures.sessions_rate_limited
    assert figures.sessions_done + refused == SESSIONS
    # The account may start RUNS_PER_MINUTE runs a minute; the rest of its share is refused.
    assert figures.rate_limited >= REST_RUNS // 5 - RUNS_PER_MINUTE
    assert figures.served > 0 and figures.sessions_done > 0
    assert figures.peak_containers <= CAP
    assert left == 0
    assert after - before <= RSS_SLACK_MB
