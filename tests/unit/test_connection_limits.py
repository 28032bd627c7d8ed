"""`GuardedSite` in front of a small aiohttp app on loopback: the cap per address, the timeout
of request heads (the first and later ones, trickled ones too), the idle timeout, and that
requests, bodies and WebSockets pass through unchanged."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from codex_ws.web.connection_limits import ConnectionLimits, GuardedSite, client_address
from tests.servers import free_port

HEADER_TIMEOUT = 0.5
IDLE_TIMEOUT = 3.0  # far from the header timeout, so that either is told from the other
CAP = 3
HALF_HEAD = b"GET /ping HTTP/1.1\r\nHost: x\r\n"
WHOLE_HEAD = HALF_HEAD + b"\r\n"


async def _ping(request: web.Request) -> web.Response:
    return web.Response(text="pong")


async def _echo(request: web.Request) -> web.Response:
    return web.Response(body=await request.read())


async def _socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for message in ws:
        await ws.send_str(message.data)
    return ws


@pytest.fixture
async def port() -> AsyncIterator[int]:
    app = web.Application()
    app.router.add_get("/ping", _ping)
    app.router.add_post("/echo", _echo)
    app.router.add_get("/ws", _socket)
    runner = web.AppRunner(app, keepalive_timeout=IDLE_TIMEOUT)
    await runner.setup()
    number = free_port()
    limits = ConnectionLimits(header_timeout=HEADER_TIMEOUT, per_address=CAP)
    # Every 127.x.y.z is loopback on Linux: 127.0.0.1 and 127.0.0.2 are two client addresses.
    site = GuardedSite(runner, "0.0.0.0", number, limits)
    await site.start()
    yield number
    await runner.cleanup()


async def _connect(
    port: int, source: str = "127.0.0.1"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def _seconds_until_closed(reader: asyncio.StreamReader) -> tuple[float, bytes]:
    """How long until the server closes, and what it sent meanwhile."""
    start = time.monotonic()
    received = await asyncio.wait_for(reader.read(), timeout=10)
    return time.monotonic() - start, received


async def _response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    fields = dict(line.split(b": ", 1) for line in head.strip().split(b"\r\n")[1:])
    return head + await reader.readexactly(int(fields[b"Content-Length"]))


async def test_a_half_sent_head_is_closed_after_the_header_timeout(port: int) -> None:
    reader, writer = await _connect(port)
    writer.write(HALF_HEAD)
    seconds, received = await _seconds_until_closed(reader)
    assert received == b""
    assert HEADER_TIMEOUT - 0.1 < seconds < HEADER_TIMEOUT + 1
    writer.close()


async def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(
    port: int,
) -> None:
    reader, writer = await _connect(port)
    seconds, received = await _seconds_until_closed(reader)
    assert received == b""
    assert seconds < HEADER_TIMEOUT + 1
    writer.close()


async def test_a_head_trickled_byte_by_byte_gains_no_time(port: int) -> None:
    reader, writer = await _connect(port)

    async def trickle() -> None:
        for byte in HALF_HEAD:
            writer.write(bytes([byte]))
            await asyncio.sleep(0.1)  # 3.3 s for the whole of it

    sending = asyncio.create_task(trickle())
    seconds, received = await _seconds_until_closed(reader)
    sending.cancel()
    await asyncio.gather(sending, return_exceptions=True)
    assert received == b""
    assert seconds < HEADER_TIMEOUT + 1
    writer.close()


async def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(
    port: int,
) -> None:
    reader, writer = await _connect(port)
    writer.write(WHOLE_HEAD)
    assert (await _response(reader)).endswith(b"pong")
    # Idle, it outlives the header timeout: that one starts with a request's first byte.
    seconds, received = await _seconds_until_closed(reader)
    assert received == b""
    assert IDLE_TIMEOUT - 0.2 < seconds < IDLE_TIMEOUT + 1.5
    writer.close()


async def test_a_later_head_has_the_header_timeout_from_its_first_byte(port: int) -> None:
    reader, writer = await _connect(port)
    for _ in range(2):  # a keep-alive connection serves one request after the other
        writer.write(WHOLE_HEAD)
        assert (await _response(reader)).endswith(b"pong")
        await asyncio.sleep(HEADER_TIMEOUT * 0.6)
    writer.write(HALF_HEAD)
    seconds, received = await _seconds_until_closed(reader)
    assert received == b""
    assert HEADER_TIMEOUT - 0.1 < seconds < HEADER_TIMEOUT + 1
    writer.close()


async def test_over_the_cap_an_address_is_refused_while_another_is_served(port: int) -> None:
    held = [await _connect(port) for _ in range(CAP)]
    for _, writer in held:
        writer.write(HALF_HEAD)

    reader, writer = await _connect(port)
    seconds, refusal = await _seconds_until_closed(reader)
    assert seconds < 0.2
    head, _, body = refusal.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 429 ")
    assert b"\r\nRetry-After: 5" in head
    assert b"\r\nConnection: close" in head
    error = json.loads(body)
    assert error["code"] == "rate_limited"
    assert f"at most {CAP} at once" in error["error"]
    writer.close()

    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))) as http,
        http.get(f"http://127.0.0.1:{port}/ping") as response,
    ):
        assert response.status == 200

    # One of them closed, its place is free again.
    held[0][1].close()
    await held[0][1].wait_closed()
    await asyncio.sleep(0.05)
    reader, writer = await _connect(port)
    writer.write(WHOLE_HEAD)
    assert (await _response(reader)).endswith(b"pong")
    writer.close()
    for _, other in held[1:]:
        other.close()


async def test_bodies_and_websockets_pass_through(port: int) -> None:
    async with aiohttp.ClientSession() as http:
        body = b"x" * (1 << 20)
        async with http.post(f"http://127.0.0.1:{port}/echo", data=body) as response:
            assert await response.read() == body
        async with http.ws_connect(f"http://127.0.0.1:{port}/ws") as ws:
            # An open WebSocket is no request head in waiting, nor an idle connection.
            await asyncio.sleep(IDLE_TIMEOUT + 0.5)
            await ws.send_str("still here")
            assert await ws.receive_str(timeout=2) == "still here"


def test_addresses_count_per_ipv4_address_and_ipv6_block() -> None:
    assert client_address(("127.0.0.2", 5000)) == "127.0.0.2"
    assert client_address(("::ffff:192.0.2.7", 5000, 0, 0)) == "192.0.2.7"
    assert client_address(("2001:db8:1:2:aaaa::1", 5000, 0, 0)) == "2001:db8:1:2::/64"
    assert client_address(("2001:db8:1:2:bbbb::9", 5000, 0, 0)) == "2001:db8:1:2::/64"
    assert client_address(None) == "unknown"
