"""PostgreSQL stopping under a running server (a private cluster, never the shared one): runs
go on and answer, history writes fail softly, what needs the database answers 503
`unavailable`, and everything recovers when it is back, without a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from sandbox import Engine
from tests.conftest import assert_nothing_left
from tests.private_postgres import PrivatePostgres

from .conftest import Client, assert_error, make_settings, start_client
from .test_ws_run import next_message, output_until, until

ECHO = """import sys
print("ready", flush=True)
for line in sys.stdin:
    print("echo " + line.strip(), flush=True)
"""
ACCOUNT = {"email": "outage@example.test", "password": "correct horse", "name": "Outage"}


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    postgres = PrivatePostgres()
    try:
        postgres.start()
        yield postgres
    finally:
        postgres.remove()


async def _runs_and_answers(client: Client, headers: dict[str, str], text: str) -> str:
    response = await client.post(
        "/api/execute", headers=headers, json={"language": "python", "code": f"print({text!r})"}
    )
    body = await response.json()
    assert (response.status, body["status"], body["output"]) == (200, "ok", f"{text}\n"), body
    return str(body["executionId"])


async def test_postgres_going_away_and_coming_back(
    private_postgres: PrivatePostgres, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    client = await start_client(make_settings(database_url=private_postgres.url))
    try:
        registered = await client.post("/api/auth/register", json=ACCOUNT)
        assert registered.status == 201
        token = (await registered.json())["token"]
        headers = {"Authorization": f"Bearer {token}"}

        # A REST run and a WebSocket session are going when PostgreSQL stops.
        sleeper = asyncio.create_task(
            client.post(
                "/api/execute",
                headers=headers,
                json={"language": "python", "code": "import time\ntime.sleep(2)\nprint('done')"},
            )
        )
        ws = await client.ws_connect(f"/ws/run?token={token}")
        await ws.send_json({"type": "run", "language": "python", "code": ECHO})
        assert (await next_message(ws))["type"] == "started"
        await output_until(ws, "ready\n")
        await asyncio.to_thread(private_postgres.stop)

        await ws.send_json({"type": "stdin", "data": "still here\n"})
        await output_until(ws, "echo still here\n")
        await ws.send_json({"type": "eof"})
        assert (await until(ws, "exit"))[-1]["status"] == "ok"
        answered = await sleeper
        assert (answered.status, (await answered.json())["output"]) == (200, "done\n")
        assert "could not record execution" in caplog.text

        # Without it: accounts answer 503, health says so, runs still work.
        login = await client.post("/api/auth/login", json=ACCOUNT)
        body = await assert_error(login, 503, "unavailable")
        assert "database is not answering" in body["error"] and "try again" in body["error"]
        assert login.headers["Retry-After"]
        await assert_error(await client.get("/api/auth/me", headers=headers), 503, "unavailable")
        await assert_error(await client.get("/api/executions", headers=headers), 503, "unavailable")
        health = await client.get("/api/health")
        checks = (await health.json())["checks"]
        assert (health.status, checks["postgres"]["ok"], checks["docker"]["ok"]) == (
            503,
            False,
            True,
        )
        lost = await _runs_and_answers(client, headers, "without the database")
        await ws.send_json({"type": "run", "language": "python", "code": "print('live')"})
        assert (await until(ws, "exit"))[-1]["status"] == "ok"

        # Back: everything answers again, and runs are recorded again.
        await asyncio.to_thread(private_postgres.start)
        assert (await client.post("/api/auth/login", json=ACCOUNT)).status == 200
        assert (await client.get("/api/health")).status == 200
        kept = await _runs_and_answers(client, headers, "with it again")
        history = await client.get("/api/executions", headers=headers)
        recorded = [item["id"] for item in (await history.json())["executions"]]
        assert kept in recorded and lost not in recorded
        await ws.close()
    finally:
        await client.close()
    await assert_nothing_left(engine)
