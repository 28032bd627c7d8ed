"""What a page of another site can make a visitor's browser do: open no socket (close 4003
before anything else), and send no JSON body (only `Content-Type: application/json`, which a
cross-site form or a request without a preflight cannot send; CORS is off)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from .conftest import Account, Client, assert_error, make_settings, start_client
from .test_openapi import assert_matches

SESSION = "/ws/sessions/00000000-0000-0000-0000-000000000000/watch"


async def _close_code(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    async with asyncio.timeout(10):
        message = await ws.receive()
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
    return ws.close_code


async def _pong(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_json({"type": "ping"})
    async with asyncio.timeout(10):
        assert (await ws.receive()).json() == {"type": "pong"}


def _own_origin(client: Client, scheme: str = "http") -> str:
    return f"{scheme}://{client.host}:{client.port}"


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://127.0.0.1:1", "null", "http://localhost.evil.example"],
)
async def test_a_page_of_another_site_opens_no_socket(
    client: Client, teacher: Account, origin: str
) -> None:
    async with client.ws_connect("/ws/run", origin=origin) as ws:
        assert await _close_code(ws) == 4003
        assert ws.closed
    # Refused before anything else: no token is looked at, no session is looked for (4004).
    for path in (f"/ws/run?token={teacher.token}", f"{SESSION}?token={teacher.token}"):
        async with client.ws_connect(path, origin=origin) as ws:
            assert await _close_code(ws) == 4003, path


async def test_the_servers_own_pages_and_other_clients_may(client: Client) -> None:
    async with client.ws_connect("/ws/run", origin=_own_origin(client)) as ws:
        await _pong(ws)
    async with client.ws_connect("/ws/run", origin=_own_origin(client) + "/") as ws:
        await _pong(ws)
    async with client.ws_connect("/ws/run") as ws:  # no Origin: not a browser
        await _pong(ws)
    # The scheme is not compared (TLS may end at a proxy); the host and port are.
    async with client.ws_connect("/ws/run", origin=_own_origin(client, "https")) as ws:
        await _pong(ws)


async def test_the_allowed_origins_are_let_in_besides_the_servers_own() -> None:
    client = await start_client(make_settings(allowed_origins=("https://ide.example",)))
    try:
        for origin in ("https://ide.example", _own_origin(client)):
            async with client.ws_connect("/ws/run", origin=origin) as ws:
                await _pong(ws)
        async with client.ws_connect("/ws/run", origin="https://ide.example.evil") as ws:
            assert await _close_code(ws) == 4003
    finally:
        await client.close()


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        None,
    ],
)
@pytest.mark.parametrize(
    "path",
    ["/api/execute", "/api/exercises/validate", "/api/auth/login", "/api/auth/register"],
)
async def test_a_body_that_is_not_declared_json_is_refused(
    client: Client, path: str, content_type: str | None
) -> None:
    body = b'{"language": "python", "code": "print(1)", "exerciseId": "sum-two-numbers"}'
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post(
        path, data=body, headers=headers, skip_auto_headers={"Content-Type"}
    )
    error = await assert_error(response, 415, "unsupported_media_type")
    assert "Content-Type: application/json" in error["error"]
    assert_matches(error, path, "post", 415)


async def test_json_with_a_charset_is_json(client: Client) -> None:
    response = await client.post(
        "/api/auth/login",
        data=b'{"email": "nobody@example.test", "password": "not the password"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    await assert_error(response, 401, "unauthorized")


async def test_cors_stays_off(client: Client) -> None:
    headers: dict[str, Any] = {
        "Origin": "https://evil.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    preflight = await client.options("/api/execute", headers=headers)
    assert "Access-Control-Allow-Origin" not in preflight.headers
    answer = await client.get("/api/languages", headers={"Origin": "https://evil.example"})
    assert answer.status == 200 and "Access-Control-Allow-Origin" not in answer.headers
