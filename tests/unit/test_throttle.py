"""The sign-in and registration limits as each process keeps them while Redis is away (the same
rules as in Redis: tests/api/test_throttle.py holds those to a real server)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from codex_ws.errors import Code, ServiceError
from codex_ws.store import throttle as throttle_module
from codex_ws.store.throttle import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(throttle_module, "time", clock)
    return clock


@pytest.fixture
async def throttle() -> AsyncIterator[Throttle]:
    nowhere = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    yield Throttle(
        nowhere,
        prefix="test",
        registrations_per_hour=2,
        failures_per_account=2,
        failures_per_address=4,
        max_delay_seconds=5,
    )
    await nowhere.aclose()


def _check(right: bool) -> None:
    if not right:
        raise ServiceError(Code.UNAUTHORIZED, "Wrong email or password")


async def _sign_in(throttle: Throttle, email: str, address: str, *, right: bool) -> str:
    """'ok', 'wrong' or the Retry-After of a refusal."""
    try:
        async with throttle.login(email, address):
            _check(right)
    except ServiceError as exc:
        if exc.code is Code.UNAUTHORIZED:
            return "wrong"
        assert exc.code is Code.RATE_LIMITED
        return str(exc.retry_after)
    return "ok"


async def test_registrations_per_address_and_hour(throttle: Throttle, clock: Clock) -> None:
    await throttle.registration("192.0.2.1")
    await throttle.registration("192.0.2.1")
    with pytest.raises(ServiceError) as refused:
        await throttle.registration("192.0.2.1")
    assert (refused.value.code, refused.value.retry_after) == (Code.RATE_LIMITED, 3600)
    assert "try again in 60 min" in refused.value.message
    await throttle.registration("192.0.2.2")
    clock.now += 3600
    await throttle.registration("192.0.2.1")


async def test_failures_double_the_wait_and_a_success_starts_again(
    throttle: Throttle, clock: Clock
) -> None:
    email, address = "Ada@Example.test", "192.0.2.1"
    answers = [await _sign_in(throttle, email, address, right=False) for _ in range(3)]
    assert answers == ["wrong", "wrong", "wrong"]
    # The right password waits too; the email counts in any letter case.
    assert await _sign_in(throttle, "ada@example.test", "192.0.2.7", right=True) == "1"
    clock.now += 1
    assert await _sign_in(throttle, email, address, right=False) == "wrong"
    assert await _sign_in(throttle, email, address, right=True) == "2"
    clock.now += 2
    assert await _sign_in(throttle, email, address, right=False) == "wrong"
    clock.now += 4
    assert await _sign_in(throttle, email, address, right=False) == "wrong"
    assert await _sign_in(throttle, email, address, right=False) == "5"  # the longest
    clock.now += 5
    assert await _sign_in(throttle, email, "192.0.2.8", right=True) == "ok"
    assert await _sign_in(throttle, email, "192.0.2.8", right=False) == "wrong"
    assert await _sign_in(throttle, email, "192.0.2.8", right=False) == "wrong"


async def test_an_address_failing_on_many_emails_waits(throttle: Throttle, clock: Clock) -> None:
    answers = [
        await _sign_in(throttle, f"guess{n}@example.test", "192.0.2.1", right=False)
        for n in range(6)
    ]
    assert answers == ["wrong"] * 5 + ["1"]
    assert await _sign_in(throttle, "other@example.test", "192.0.2.2", right=False) == "wrong"


async def test_an_attempt_that_failed_for_another_reason_is_taken_back(
    throttle: Throttle, clock: Clock
) -> None:
    for _ in range(5):
        with pytest.raises(ServiceError):
            async with throttle.login("ada@example.test", "192.0.2.1"):
                raise ServiceError(Code.BUSY, "busy", retry_after=1)
    assert await _sign_in(throttle, "ada@example.test", "192.0.2.1", right=False) == "wrong"
