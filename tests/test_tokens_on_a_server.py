"""Against a real `codex-ws serve`: a page of another site opens no socket (4003), a socket signs
in with its first message, a sign-out outlasts a restart of the server with an empty Redis, and
no token reaches the log."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from pathlib import Path

import aiohttp
import pytest

from tests.api.conftest import JWT_SECRET
from tests.servers import register, start_server, stop_server, wait_until_healthy

pytestmark = pytest.mark.docker


def _env() -> dict[str, str]:
    return os.environ | {
        "CODEX_ENV": "test",
        "CODEX_JWT_SECRET": JWT_SECRET,
        # A new prefix at every start: Redis as empty as after a restart without its data.
        "CODEX_REDIS_PREFIX": f"codex-tokens-{secrets.token_hex(4)}",
        "CODEX_POOL": "",
        "CODEX_LOG_LEVEL": "INFO",
        "CODEX_ALLOW_ANONYMOUS": "false",
    }


async def _close_code(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    async with asyncio.timeout(15):
        message = await ws.receive()
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
    return ws.close_code


async def test_origins_first_message_sign_in_and_a_sign_out_that_outlasts_a_restart(
    tmp_path: Path,
) -> None:
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server, base = start_server(_env(), log)
    try:
        async with aiohttp.ClientSession() as http:
            await wait_until_healthy(http, base)
            account = await register(http, base)
            token = str(account["token"])
            socket = base.replace("http://", "ws://") + "/ws/run"

            # The server's own page signs in with its first message; anonymous runs are off,
            # so the pong shows that the sign-in held.
            async with http.ws_connect(socket, origin=base) as ws:
                await ws.send_json({"type": "auth", "token": token})
                await ws.send_json({"type": "ping"})
                async with asyncio.timeout(15):
                    assert json.loads((await ws.receive()).data) == {"type": "pong"}
            # A page of another site: 4003, even with a good token.
            async with http.ws_connect(socket, origin="https://evil.example") as ws:
                await ws.send_json({"type": "auth", "token": token})
                assert await _close_code(ws) == 4003
            # An old client's ?token= still works, and is not written to the log.
            async with http.ws_connect(f"{socket}?token={token}") as ws:
                await ws.send_json({"type": "ping"})
                async with asyncio.timeout(15):
                    assert json.loads((await ws.receive()).data) == {"type": "pong"}

            headers = {"Authorization": f"Bearer {token}"}
            async with http.post(f"{base}/api/auth/logout", headers=headers) as response:
                assert response.status == 204
        stop_server(server)

        with log_path.open("ab") as log:
            server, base = start_server(_env(), log)
        async with aiohttp.ClientSession() as http:
            await wait_until_healthy(http, base)
            async with http.get(f"{base}/api/auth/me", headers=headers) as response:
                assert response.status == 401
            socket = base.replace("http://", "ws://") + "/ws/run"
            async with http.ws_connect(socket) as ws:
                await ws.send_json({"type": "auth", "token": token})
                assert await _close_code(ws) == 4001
            login = {"email": account["user"]["email"], "password": "correct horse"}
            async with http.post(f"{base}/api/auth/login", json=login) as response:
                assert response.status == 200
    finally:
        stop_server(server)
    logged = log_path.read_text(errors="replace")
    assert "/ws/run?token=***" in logged, logged[-2000:]
    assert token not in logged
