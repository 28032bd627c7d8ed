"""Sign-ups and sign-ins under attack, on a real server with real Redis and PostgreSQL: new
accounts limited per address, failed sign-ins slowed down per account and per address, bcrypt
on threads of its own, and the same time for every failed sign-in.

Clients come from real, different loopback addresses (127.0.0.2 and up, bound as the source of
their connections), so the server tells them apart as it would tell apart two hosts.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import bcrypt

from codex_ws.store.accounts import BCRYPT_ROUNDS, DUMMY_HASH

from .addresses import from_address, server
from .conftest import Account, SignUp

PASSWORD = "correct horse"


async def _answer(response: aiohttp.ClientResponse) -> tuple[int, dict[str, Any], str | None]:
    return response.status, await response.json(), response.headers.get("Retry-After")


async def _register(http: aiohttp.ClientSession) -> tuple[int, dict[str, Any], str | None]:
    email = f"new-{uuid.uuid4().hex[:10]}@example.test"
    payload = {"email": email, "password": PASSWORD, "name": "New"}
    async with http.post("/api/auth/register", json=payload) as response:
        return await _answer(response)


async def _login(
    http: aiohttp.ClientSession, email: str, password: str
) -> tuple[int, dict[str, Any], str | None]:
    async with http.post("/api/auth/login", json={"email": email, "password": password}) as r:
        return await _answer(r)


async def test_one_address_registers_only_so_many_accounts_an_hour() -> None:
    async with (
        server(registrations_per_hour=3) as client,
        from_address(client, "127.0.0.2") as first,
        from_address(client, "127.0.0.3") as second,
    ):
        answers = [await _register(first) for _ in range(3)]
        assert [status for status, _, _ in answers] == [201, 201, 201], answers
        status, body, retry = await _register(first)
        assert (status, body["code"]) == (429, "rate_limited"), body
        assert "at most 3 an hour" in body["error"], body
        assert retry is not None and 3000 <= int(retry) <= 3600, retry
        # Another address is counted on its own.
        assert (await _register(second))[0] == 201


async def test_failed_sign_ins_wait_longer_each_time_and_a_success_starts_again(
    sign_up: SignUp,
) -> None:
    account = await sign_up()
    async with (
        server(login_failures_per_account=3) as client,
        from_address(client, "127.0.0.2") as http,
    ):
        # Three failures are free; the fourth is answered, and then one must wait 1 s.
        for _ in range(4):
            assert (await _login(http, account.email, "wrong password"))[0] == 401
        status, body, retry = await _login(http, account.email, PASSWORD)
        assert (status, body["code"], retry) == (429, "rate_limited", "1"), body
        assert "try again in 1 s" in body["error"]
        await asyncio.sleep(1.1)
        # The next failure doubles the wait, whatever the password.
        assert (await _login(http, account.email, "wrong password"))[0] == 401
        status, body, retry = await _login(http, account.email, PASSWORD)
        assert (status, retry) == (429, "2"), body
        # An address that failed nothing waits all the same: the account is throttled.
        async with from_address(client, "127.0.0.3") as elsewhere:
            assert (await _login(elsewhere, account.email, PASSWORD))[0] == 429
        await asyncio.sleep(2.1)
        assert (await _login(http, account.email, PASSWORD))[0] == 200
        # The success started the count again: three more failures are free.
        for _ in range(3):
            assert (await _login(http, account.email, "wrong password"))[0] == 401


async def test_failed_sign_ins_from_one_address_are_throttled_across_emails(
    student: Account,
) -> None:
    async with (
        server(login_failures_per_address=5) as client,
        from_address(client, "127.0.0.2") as guesser,
        from_address(client, "127.0.0.3") as other,
    ):
        # Each email fails once: only the address's count grows.
        statuses = [
            (await _login(guesser, f"guess-{n}@example.test", "wrong password"))[0]
            for n in range(7)
        ]
        assert statuses == [401] * 6 + [429], statuses
        status, body, retry = await _login(guesser, student.email, PASSWORD)
        assert (status, body["code"]) == (429, "rate_limited") and retry, body
        # The account itself failed nothing: from elsewhere it signs in.
        assert (await _login(other, student.email, PASSWORD))[0] == 200


async def _flood(http: aiohttp.ClientSession, count: int) -> list[asyncio.Task[Any]]:
    """`count` failing sign-ins at once, each for an email of its own; 0.2 s to arrive."""
    tag = uuid.uuid4().hex[:6]
    attempts = [
        asyncio.create_task(_login(http, f"flood-{tag}-{n}@example.test", "wrong password"))
        for n in range(count)
    ]
    await asyncio.sleep(0.2)
    return attempts


async def _default_executor_answers_at_once() -> None:
    started = time.monotonic()
    await asyncio.get_running_loop().run_in_executor(None, time.monotonic)
    assert time.monotonic() - started < 0.5, "the loop's default threads were held up"


async def test_a_flood_of_sign_ins_from_one_address_holds_up_no_one_else(
    student: Account,
) -> None:
    """24 sign-ins at once from one address: one is checked, the rest are told to come back;
    the loop's default threads and a sign-in from elsewhere are not held up behind them."""
    async with (
        server(password_threads=1, password_queue=2) as client,
        from_address(client, "127.0.0.2") as flood,
        from_address(client, "127.0.0.3") as user,
    ):
        attempts = await _flood(flood, 24)
        await _default_executor_answers_at_once()
        started = time.monotonic()
        assert (await _login(user, student.email, PASSWORD))[0] == 200
        # Behind one check of the flood at most (a check takes well under a second).
        assert time.monotonic() - started < 5
        answers = await asyncio.gather(*attempts)
        statuses = [status for status, _, _ in answers]
        assert set(statuses) == {401, 429}, statuses
        assert statuses.count(429) >= 12, statuses
        for status, body, retry in answers:
            if status == 429:
                assert (body["code"], retry) == ("rate_limited", "1"), body
                assert "being checked" in body["error"], body


async def test_past_the_password_queue_sign_ins_are_told_to_come_back(
    student: Account,
) -> None:
    """Sign-ins from eight addresses at once, for one thread and two places in the queue: three
    are checked, the rest answered 503 at once; nothing else waits for them."""
    async with server(password_threads=1, password_queue=2) as client, AsyncExitStack() as stack:
        sessions = [
            await stack.enter_async_context(from_address(client, f"127.0.0.{10 + n}"))
            for n in range(8)
        ]
        attempts = [
            asyncio.create_task(_login(http, f"{uuid.uuid4().hex}@example.test", "wrong pass"))
            for http in sessions
        ]
        await asyncio.sleep(0.2)
        await _default_executor_answers_at_once()
        user = await stack.enter_async_context(from_address(client, "127.0.0.3"))
        started = time.monotonic()
        while (answer := await _login(user, student.email, PASSWORD))[0] == 503:
            assert (answer[1]["code"], answer[2]) == ("busy", "1"), answer
            await asyncio.sleep(1)
        assert answer[0] == 200, answer
        assert time.monotonic() - started < 15
        answers = await asyncio.gather(*attempts)
        statuses = sorted(status for status, _, _ in answers)
        assert set(statuses) == {401, 503}, statuses
        for status, body, retry in answers:
            if status == 503:
                assert (body["code"], retry) == ("busy", "1"), body
                assert "try again" in body["error"]


async def test_a_failed_sign_in_takes_as_long_whether_or_not_the_email_exists(
    student: Account,
) -> None:
    async with (
        server(login_failures_per_account=100) as client,
        from_address(client, "127.0.0.2") as http,
    ):
        known: list[float] = []
        unknown: list[float] = []
        for n in range(5):
            for email, samples in (
                (student.email, known),
                (f"nobody-{n}-{uuid.uuid4().hex[:6]}@example.test", unknown),
            ):
                started = time.monotonic()
                assert (await _login(http, email, "wrong password"))[0] == 401
                samples.append(time.monotonic() - started)
    # Both are one bcrypt check of the same cost: well within a factor of two of each other
    # (before, an unknown email answered about 80 times faster).
    assert statistics.median(unknown) > statistics.median(known) / 2, (known, unknown)
    assert statistics.median(known) > statistics.median(unknown) / 2, (known, unknown)


def test_the_hash_unknown_emails_are_checked_against_costs_what_real_ones_cost() -> None:
    assert DUMMY_HASH.split(b"$")[2] == str(BCRYPT_ROUNDS).encode()
    assert not bcrypt.checkpw(b"not a password", DUMMY_HASH)
