"""Revocable tokens: signing out, changing the password, and WebSockets signed in by their first
message (the token out of the URL)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
import pytest

from codex_ws.store import revocations
from codex_ws.ws import connection

from .conftest import (
    Account,
    Client,
    SignUp,
    assert_error,
    forge_token,
    make_settings,
    start_client,
)
from .test_openapi import assert_matches

Socket = aiohttp.ClientWebSocketResponse


async def _me(client: Client, token: str) -> int:
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    return response.status


async def _login(client: Client, email: str, password: str = "correct horse") -> str:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    body = await response.json()
    assert response.status == 200, body
    return str(body["token"])


async def _closed_with(ws: Socket, within: float = 10) -> int | None:
    async with asyncio.timeout(within):
        message = await ws.receive()
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
    return ws.close_code


async def _pong(ws: Socket) -> None:
    await ws.send_json({"type": "ping"})
    async with asyncio.timeout(10):
        message = await ws.receive()
    assert json.loads(message.data) == {"type": "pong"}, message


async def test_signing_out_revokes_that_token_only(client: Client, student: Account) -> None:
    other = await _login(client, student.email)
    response = await client.post("/api/auth/logout", headers=student.headers)
    assert response.status == 204
    body = await assert_error(
        await client.get("/api/auth/me", headers=student.headers), 401, "unauthorized"
    )
    assert "sign in again" in body["error"]
    # Everything that reads the token refuses it, the sign-out itself too.
    await assert_error(
        await client.get("/api/executions", headers=student.headers), 401, "unauthorized"
    )
    await assert_error(
        await client.post("/api/auth/logout", headers=student.headers), 401, "unauthorized"
    )
    assert await _me(client, other) == 200


async def test_signing_out_needs_a_token(client: Client) -> None:
    await assert_error(await client.post("/api/auth/logout"), 401, "unauthorized")


async def test_a_password_change_revokes_every_earlier_token(
    client: Client, student: Account
) -> None:
    elsewhere = await _login(client, student.email)
    response = await client.post(
        "/api/auth/password",
        headers=student.headers,
        json={"currentPassword": "correct horse", "newPassword": "battery staple"},
    )
    body = await response.json()
    assert response.status == 200, body
    assert set(body) == {"token", "user"} and body["user"]["id"] == student.id
    assert await _me(client, student.token) == 401
    assert await _me(client, elsewhere) == 401
    assert await _me(client, body["token"]) == 200
    wrong = await client.post(
        "/api/auth/login", json={"email": student.email, "password": "correct horse"}
    )
    await assert_error(wrong, 401, "unauthorized")
    assert await _me(client, await _login(client, student.email, "battery staple")) == 200


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"currentPassword": "wrong password", "newPassword": "battery staple"}, 403, "forbidden"),
        ({"currentPassword": "correct horse", "newPassword": "short"}, 400, "invalid_request"),
        ({"currentPassword": "correct horse", "newPassword": "x" * 73}, 400, "invalid_request"),
        ({"newPassword": "battery staple"}, 400, "invalid_request"),
    ],
)
async def test_a_refused_password_change_changes_nothing(
    client: Client, student: Account, payload: dict[str, Any], status: int, code: str
) -> None:
    response = await client.post("/api/auth/password", headers=student.headers, json=payload)
    await assert_error(response, status, code)
    assert await _me(client, student.token) == 200
    assert await _me(client, await _login(client, student.email)) == 200


async def test_changing_the_password_needs_a_token(client: Client) -> None:
    response = await client.post(
        "/api/auth/password", json={"currentPassword": "a" * 8, "newPassword": "b" * 8}
    )
    await assert_error(response, 401, "unauthorized")


async def test_a_token_from_before_token_ids_is_revoked_with_all_of_its_account(
    client: Client, student: Account
) -> None:
    """A token without `jti` (issued before this version) cannot be revoked alone."""
    old = forge_token(sub=student.id, role="student", name="A student")
    assert await _me(client, old) == 200
    response = await client.post("/api/auth/logout", headers={"Authorization": f"Bearer {old}"})
    assert response.status == 204
    assert await _me(client, old) == 401
    assert await _me(client, student.token) == 401


async def test_a_sign_out_reaches_other_processes_within_their_cache_time(
    client: Client, student: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(revocations, "CACHE_SECONDS", 0.2)
    second = await start_client(make_settings())
    try:
        assert await _me(second, student.token) == 200
        assert (await client.post("/api/auth/logout", headers=student.headers)).status == 204
        await asyncio.sleep(0.3)
        assert await _me(second, student.token) == 401
    finally:
        await second.close()


# -- WebSockets -------------------------------------------------------------------------


async def test_a_socket_signs_in_with_its_first_message() -> None:
    client = await start_client(make_settings(allow_anonymous=False))
    try:
        account = {
            "email": f"first-message-{uuid.uuid4().hex[:10]}@example.test",
            "password": "correct horse",
            "name": "First",
        }
        registered = await client.post("/api/auth/register", json=account)
        token = str((await registered.json())["token"])
        async with client.ws_connect("/ws/run") as ws:
            await ws.send_json({"type": "auth", "token": token})
            await _pong(ws)  # signed in: not closed, although anonymous runs are off
            await ws.send_json({"type": "auth", "token": token})
            async with asyncio.timeout(10):
                late = json.loads((await ws.receive()).data)
            assert (late["type"], late["code"]) == ("error", "invalid_message")
        # Anything else first, with anonymous runs off: 4001.
        async with client.ws_connect("/ws/run") as ws:
            await ws.send_json({"type": "ping"})
            assert await _closed_with(ws) == 4001
    finally:
        await client.close()


async def test_a_socket_that_says_nothing_in_time_is_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(connection, "AUTH_SECONDS", 0.3)
    client = await start_client(make_settings(allow_anonymous=False))
    try:
        async with client.ws_connect("/ws/run") as ws:
            assert await _closed_with(ws, within=5) == 4001
    finally:
        await client.close()


@pytest.mark.parametrize(
    "message",
    [
        {"type": "auth", "token": "garbage"},
        {"type": "auth"},
        {"type": "auth", "token": forge_token(secret="another-secret-of-at-least-32-chars")},
    ],
    ids=["garbage", "no-token", "forged"],
)
async def test_a_bad_first_message_token_is_never_anonymous(
    client: Client, message: dict[str, Any]
) -> None:
    async with client.ws_connect("/ws/run") as ws:
        await ws.send_json(message)
        assert await _closed_with(ws) == 4001


async def test_revoked_tokens_open_no_socket(client: Client, sign_up: SignUp) -> None:
    teacher = await sign_up("teacher")
    assert (await client.post("/api/auth/logout", headers=teacher.headers)).status == 204
    session = "/ws/sessions/00000000-0000-0000-0000-000000000000/watch"
    for path in ("/ws/run", session):
        async with client.ws_connect(f"{path}?token={teacher.token}") as ws:
            assert await _closed_with(ws) == 4001, path
        async with client.ws_connect(path) as ws:
            await ws.send_json({"type": "auth", "token": teacher.token})
            assert await _closed_with(ws) == 4001, path


async def test_a_watcher_signs_in_with_its_first_message(client: Client, teacher: Account) -> None:
    session = "/ws/sessions/00000000-0000-0000-0000-000000000000/watch"
    async with client.ws_connect(session) as ws:
        await ws.send_json({"type": "auth", "token": teacher.token})
        assert await _closed_with(ws) == 4004  # signed in, then no such session
    async with client.ws_connect(session) as ws:
        await ws.send_json({"type": "ping"})
        assert await _closed_with(ws) == 4001


async def test_the_answers_match_the_document(client: Client, student: Account) -> None:
    changed = await client.post(
        "/api/auth/password",
        headers=student.headers,
        json={"currentPassword": "correct horse", "newPassword": "battery staple"},
    )
    assert_matches(await changed.json(), "/api/auth/password", "post", 200)
    token = (await changed.json())["token"]
    headers = {"Authorization": f"Bearer {token}"}
    wrong = await client.post(
        "/api/auth/password",
        headers=headers,
        json={"currentPassword": "not it at all", "newPassword": "battery staple"},
    )
    assert_matches(await wrong.json(), "/api/auth/password", "post", 403)
    assert (await client.post("/api/auth/logout", headers=headers)).status == 204
    again = await client.post("/api/auth/logout", headers=headers)
    assert_matches(await again.json(), "/api/auth/logout", "post", 401)
