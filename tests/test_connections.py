"""A real `codex-ws serve` with 1024 open files, flooded from one address by 1100 connections
that each send half a request head and stop: another address still gets `/api/health` in under
a second, the flood's connections over the cap are answered 429 at once, those under it are
closed after the header timeout, and an idle keep-alive connection after the idle timeout.

Every 127.x.y.z address is loopback on Linux: the flood comes from 127.0.0.1, the other
client from 127.0.0.2, to a server listening on 0.0.0.0.
"""

from __future__ import annotations

import asyncio
import os
import resource
import secrets
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from tests.servers import start_server, stop_server, wait_until_healthy

pytestmark = pytest.mark.docker

FLOOD = 1100
CAP = 256  # the default of CODEX_MAX_CONNECTIONS_PER_IP
HEADER_TIMEOUT = 15.0  # long enough for the whole flood to be open before it ends
# The idle timeout also bounds the wait for a connection's first request: longer here, so
# that the header timeout is what closes the flood's connections.
FLOOD_IDLE_TIMEOUT = 30.0
IDLE_TIMEOUT = 3.0
HALF_HEAD = b"GET /api/health HTTP/1.1\r\nHost: x\r\n"
FLOODER, OTHER = "127.0.0.1", "127.0.0.2"


@dataclass
class Server:
    base: str
    port: int
    log: Path


@pytest.fixture
def open_files() -> Iterator[None]:
    """Room in this process for the flood's sockets and the rest."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < FLOOD + 500:
        pytest.skip(f"the hard limit of open files ({hard}) is too low for {FLOOD} sockets")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


Launch = Callable[[float, float], Awaitable[Server]]


@pytest.fixture
async def launch(open_files: None, tmp_path: Path) -> AsyncIterator[Launch]:
    """Starts servers with a header and an idle timeout; stops them at the end."""
    processes: list[subprocess.Popen[bytes]] = []

    async def start(header_timeout: float, idle_timeout: float) -> Server:
        env = os.environ | {
            "CODEX_ENV": "development",
            "CODEX_LOG_LEVEL": "INFO",
            "CODEX_POOL": "",
            "CODEX_REDIS_PREFIX": f"codex-conn-{secrets.token_hex(4)}",
            "CODEX_HEADER_TIMEOUT_SECONDS": str(header_timeout),
            "CODEX_IDLE_TIMEOUT_SECONDS": str(idle_timeout),
        }
        log = tmp_path / f"server-{len(processes)}.log"
        with log.open("wb") as sink:
            # A soft limit under 1024 that the server raises to its hard limit, 1024, at start.
            process, base = start_server(env, sink, host="0.0.0.0", open_files=(512, 1024))
        processes.append(process)
        async with aiohttp.ClientSession() as http:
            await wait_until_healthy(http, base)
        return Server(base, int(base.rsplit(":", 1)[1]), log)

    yield start
    for process in processes:
        stop_server(process)


@dataclass
class Stalled:
    opened: float
    closed: asyncio.Task[tuple[float, bytes]]
    writer: asyncio.StreamWriter


async def _until_closed(reader: asyncio.StreamReader) -> tuple[float, bytes]:
    """When the server closed the connection, and what it sent before."""
    try:
        received = await reader.read()
    except ConnectionResetError:  # closed with our half head unread: what it sent may be lost
        received = b""
    return time.monotonic(), received


async def _stall(port: int) -> Stalled:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(FLOODER, 0))
    writer.write(HALF_HEAD)
    return Stalled(time.monotonic(), asyncio.create_task(_until_closed(reader)), writer)


async def _flood(port: int) -> list[Stalled]:
    stalled: list[Stalled] = []
    for _ in range(0, FLOOD, 100):
        stalled += await asyncio.gather(*(_stall(port) for _ in range(100)))
    return stalled


async def _until_refused(stalled: list[Stalled], count: int) -> None:
    async with asyncio.timeout(HEADER_TIMEOUT / 2):
        while sum(s.closed.done() for s in stalled) < count:
            await asyncio.sleep(0.05)


async def test_a_flood_from_one_address_leaves_the_server_to_the_others(launch: Launch) -> None:
    server = await launch(HEADER_TIMEOUT, FLOOD_IDLE_TIMEOUT)
    stalled = await _flood(server.port)
    try:
        await _until_refused(stalled, FLOOD - CAP)
        refused = [s for s in stalled if s.closed.done()]
        held = [s for s in stalled if not s.closed.done()]
        assert len(held) == CAP
        answers = [s.closed.result()[1] for s in refused]
        assert all(a.startswith(b"HTTP/1.1 429 ") or a == b"" for a in answers)
        told = [a for a in answers if a]
        assert told, "no refused connection got its 429"
        assert all(b'"code": "rate_limited"' in a and b"Retry-After: 5" in a for a in told)

        # Another address, meanwhile: served, and quickly.
        connector = aiohttp.TCPConnector(local_addr=(OTHER, 0))
        async with aiohttp.ClientSession(connector=connector) as http:
            start = time.monotonic()
            async with http.get(f"{server.base}/api/health") as response:
                await response.read()
            took = time.monotonic() - start
        assert response.status == 200
        assert took < 1.0, f"/api/health took {took:.2f} s under the flood"
        assert not any(s.closed.done() for s in held), "the flood ended too early to tell"

        # The stalled ones: closed once the header timeout is over, with no answer.
        await asyncio.wait([s.closed for s in held], timeout=HEADER_TIMEOUT + 10)
        for s in held:
            assert s.closed.done(), "a stalled connection outlived the header timeout"
            closed, received = s.closed.result()
            assert received == b""
            assert HEADER_TIMEOUT - 1 < closed - s.opened < HEADER_TIMEOUT + 5
    finally:
        for s in stalled:
            s.closed.cancel()
            s.writer.close()

    log = server.log.read_text()
    assert "open files limit raised from 512 to 1024 (the hard limit)" in log
    assert f"over the cap of {CAP} per address" in log


async def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(
    launch: Launch,
) -> None:
    server = await launch(1.0, IDLE_TIMEOUT)  # idle, it outlives the header timeout
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port, local_addr=(OTHER, 0))
    try:
        writer.write(b"GET /api/languages HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        assert head.startswith(b"HTTP/1.1 200 ")
        fields = dict(line.split(b": ", 1) for line in head.strip().split(b"\r\n")[1:])
        await reader.readexactly(int(fields[b"Content-Length"]))
        start = time.monotonic()
        assert await asyncio.wait_for(reader.read(), timeout=IDLE_TIMEOUT + 10) == b""
        idle = time.monotonic() - start
        assert IDLE_TIMEOUT - 0.5 < idle < IDLE_TIMEOUT + 3
    finally:
        writer.close()
