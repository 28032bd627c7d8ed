"""Fair shares of the sandboxes, on a real server with real Docker, Redis and PostgreSQL: many
accounts on one address hold only that address's share, anonymous runs only theirs, and a
validation holds a lease per container it runs and counts per case.

Clients come from real, different loopback addresses (bound as the source of their
connections), so the server tells them apart as it would tell apart two hosts.
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import AsyncExitStack
from typing import Any

import aiohttp

from codex_ws.settings import Share
from codex_ws.web.keys import REDIS, SETTINGS
from sandbox import Engine
from tests.conftest import assert_nothing_left

from .addresses import from_address, server
from .conftest import SignUp, assert_error

LONG_RUN = "import time\nprint('holding', flush=True)\ntime.sleep(25)"
QUEUE_WAIT_SECONDS = 3.0


async def _start(ws: aiohttp.ClientWebSocketResponse, code: str = LONG_RUN) -> dict[str, Any]:
    """Send a `run`; the first message back (`started`, or an `error`)."""
    await ws.send_json({"type": "run", "language": "python", "code": code})
    async with asyncio.timeout(QUEUE_WAIT_SECONDS + 30):
        return json.loads((await ws.receive()).data)  # type: ignore[no-any-return]


async def test_ten_accounts_on_one_address_leave_room_for_the_next_address(
    engine: Engine, sign_up: SignUp
) -> None:
    accounts = [await sign_up() for _ in range(11)]
    async with (
        server(
            max_containers=4,
            queue_wait_seconds=QUEUE_WAIT_SECONDS,
            concurrent_runs_per_user=3,
            max_share_per_address=Share(percent=50),
            anonymous_share=Share(count=1),
        ) as client,
        from_address(client, "127.0.0.2") as crowd,
        from_address(client, "127.0.0.3") as neighbour,
        from_address(client, "127.0.0.4") as visitor,
        from_address(client, "127.0.0.5") as another_visitor,
        AsyncExitStack() as sockets,
    ):
        # Ten accounts on one address each start a long run: two get a sandbox (half of four).
        answers = []
        for account in accounts[:10]:
            ws = await sockets.enter_async_context(
                crowd.ws_connect("/ws/run", headers=account.headers)
            )
            answers.append(await _start(ws))
        started = [a for a in answers if a["type"] == "started"]
        refused = [a for a in answers if a["type"] == "error"]
        assert (len(started), len(refused)) == (2, 8), answers
        for error in refused:
            assert error["code"] == "rate_limited", error
            assert "from your address already hold 2 sandboxes" in error["message"], error
            assert error["retryAfter"] == 2

        # An account on another address starts at once, and so does one anonymous run.
        began = time.monotonic()
        ws = await sockets.enter_async_context(
            neighbour.ws_connect("/ws/run", headers=accounts[10].headers)
        )
        assert (await _start(ws))["type"] == "started"
        anonymous = await sockets.enter_async_context(visitor.ws_connect("/ws/run"))
        assert (await _start(anonymous))["type"] == "started"
        assert time.monotonic() - began < QUEUE_WAIT_SECONDS + 10

        # The anonymous share (one) is taken: another anonymous address is refused at once.
        other = await sockets.enter_async_context(another_visitor.ws_connect("/ws/run"))
        error = await _start(other)
        assert (error["type"], error["code"]) == ("error", "rate_limited"), error
        assert "Anonymous runs already hold" in error["message"]

        # The leases in Redis: two on the crowded address, one anonymous.
        redis = client.app[REDIS]
        prefix = client.app[SETTINGS].redis_prefix
        assert await redis.zcard(f"{prefix}:active:address:127.0.0.2") == 2
        assert await redis.zcard(f"{prefix}:active:anonymous") == 1
    await assert_nothing_left(engine)


async def test_a_validation_holds_a_lease_per_container_and_counts_per_case(
    engine: Engine, sign_up: SignUp
) -> None:
    student = await sign_up()
    slow = "import time\ntime.sleep(2)\nprint(0)"
    async with server(concurrent_runs_per_user=2, runs_per_minute=100) as client:
        prefix = client.app[SETTINGS].redis_prefix
        redis = client.app[REDIS]
        validation = asyncio.create_task(
            client.post(
                "/api/exercises/validate",
                headers=student.headers,
                json={"exerciseId": "sum-two-numbers", "language": "python", "code": slow},
            )
        )
        leases = f"{prefix}:active:user:{student.id}"
        async with asyncio.timeout(30):
            while await redis.zcard(leases) < 2:
                await asyncio.sleep(0.1)
        # It runs two cases at once, so it holds both of the account's runs at once.
        response = await client.post(
            "/api/execute", headers=student.headers, json={"language": "python", "code": "1"}
        )
        body = await assert_error(response, 429, "rate_limited")
        assert "already have 2 runs going" in body["error"], body
        answered = await validation
        verdict = await answered.json()
        assert answered.status == 200, verdict
        assert verdict["total"] >= 2, verdict
        # One run for the compile, and one per case (and one for the run refused above: the
        # rate is counted before the runs going at once); the leases are given back.
        assert await redis.zcard(f"{prefix}:rate:user:{student.id}") == 1 + verdict["total"] + 1
        assert await redis.zcard(leases) == 0
        assert await redis.zcard(f"{prefix}:active:address:127.0.0.1") == 0
    await assert_nothing_left(engine)


async def test_a_validation_takes_at_most_the_whole_minute_of_runs(
    engine: Engine, sign_up: SignUp
) -> None:
    student = await sign_up()
    async with server(runs_per_minute=3) as client:
        response = await client.post(
            "/api/exercises/validate",
            headers=student.headers,
            json={"exerciseId": "sum-two-numbers", "language": "python", "code": "print(0)"},
        )
        verdict = await response.json()
        assert response.status == 200 and verdict["total"] > 3, verdict
        # It counted as the whole minute's three runs: nothing else starts this minute.
        for payload in (
            {"language": "python", "code": "print(1)"},
            {"exerciseId": "sum-two-numbers", "language": "python", "code": "print(0)"},
        ):
            path = "/api/execute" if "exerciseId" not in payload else "/api/exercises/validate"
            refused = await client.post(path, headers=student.headers, json=payload)
            body = await assert_error(refused, 429, "rate_limited")
            assert "at most 3 a minute" in body["error"], body
            assert 1 <= int(refused.headers["Retry-After"]) <= 60
    await assert_nothing_left(engine)
