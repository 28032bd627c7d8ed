"""Rate limits, per-user concurrency and process capacity, shared through real Redis."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from codex_ws.web.keys import REDIS
from sandbox import Engine
from tests.conftest import assert_nothing_left

from .conftest import Account, assert_error, make_settings, start_client


async def test_a_burst_past_the_rate_limit_gets_429_with_retry_after(sign_up: object) -> None:
    client = await start_client(make_settings(runs_per_minute_anonymous=3))
    try:
        statuses = []
        for _ in range(5):
            response = await client.post(
                "/api/execute", json={"language": "python", "code": "print(1)"}
            )
            statuses.append(response.status)
            if response.status == 429:
                body = await assert_error(response, 429, "rate_limited")
                assert "at most 3 a minute" in body["error"]
                assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert statuses.count(200) <= 3 and statuses[-1] == 429
    finally:
        await client.close()


async def test_more_runs_than_capacity_get_busy_after_the_wait(engine: Engine) -> None:
    settings = make_settings(max_containers=2, queue_wait_seconds=0.5)
    client = await start_client(settings)
    try:
        payload = {"language": "python", "code": "import time\ntime.sleep(2)\nprint('done')"}
        responses = await asyncio.gather(
            *(client.post("/api/execute", json=payload) for _ in range(6))
        )
        statuses = sorted(r.status for r in responses)
        assert statuses.count(200) >= 2 and 503 in statuses, statuses
        for response in responses:
            if response.status == 503:
                await assert_error(response, 503, "busy")
                assert response.headers["Retry-After"]
            else:
                assert (await response.json())["output"] == "done\n"
        redis = client.app[REDIS]
        leftovers = [k async for k in redis.scan_iter(f"{settings.redis_prefix}:active:*")]
        assert not [k for k in leftovers if await redis.zcard(k)]
    finally:
        await client.close()
    await assert_nothing_left(engine)


async def test_concurrent_runs_per_user_are_capped(student: Account) -> None:
    settings = make_settings(concurrent_runs_per_user=1)
    client = await start_client(settings)
    try:
        payload = {"language": "python", "code": "import time\ntime.sleep(1.5)"}
        first = asyncio.create_task(
            client.post("/api/execute", json=payload, headers=student.headers)
        )
        await asyncio.sleep(0.5)
        second = await client.post("/api/execute", json=payload, headers=student.headers)
        body = await assert_error(second, 429, "rate_limited")
        assert "already have 1 runs going" in body["error"]
        assert (await first).status == 200
        third = await client.post("/api/execute", json=payload, headers=student.headers)
        assert third.status == 200
    finally:
        await client.close()


async def _error_of_run(ws: aiohttp.ClientWebSocketResponse, code: str) -> dict[str, Any]:
    """Send a `run` of `code`; the first message back."""
    await ws.send_json({"type": "run", "language": "python", "code": code})
    async with asyncio.timeout(30):
        return json.loads((await ws.receive()).data)  # type: ignore[no-any-return]


async def test_a_socket_run_over_the_rate_gets_rate_limited_with_retry_after() -> None:
    client = await start_client(make_settings(runs_per_minute_anonymous=1))
    try:
        async with client.ws_connect("/ws/run") as ws:
            assert (await _error_of_run(ws, "print(1)"))["type"] == "started"
            while json.loads((await ws.receive()).data)["type"] != "exit":
                pass
            error = await _error_of_run(ws, "print(2)")
        assert (error["type"], error["code"]) == ("error", "rate_limited")
        assert isinstance(error["retryAfter"], int) and 1 <= error["retryAfter"] <= 60
        assert error["message"]
    finally:
        await client.close()


async def test_a_socket_run_with_no_sandbox_free_gets_busy_with_retry_after() -> None:
    client = await start_client(make_settings(max_containers=1, queue_wait_seconds=0.3))
    try:
        async with client.ws_connect("/ws/run") as first, client.ws_connect("/ws/run") as second:
            started = await _error_of_run(first, "import time; time.sleep(3)")
            assert started["type"] == "started"
            queued = await _error_of_run(second, "print(1)")
            assert queued == {"type": "queued", "position": 1}
            async with asyncio.timeout(30):
                error = json.loads((await second.receive()).data)
            assert (error["type"], error["code"]) == ("error", "busy")
            assert isinstance(error["retryAfter"], int) and error["retryAfter"] >= 1
    finally:
        await client.close()
