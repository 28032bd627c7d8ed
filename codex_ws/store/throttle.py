"""Sign-ups and sign-ins, throttled: registrations per client address and hour, and failed
sign-ins per account and per address, with delays that double after a few failures.

Shared by every process through Redis; when Redis does not answer, each process keeps the same
counts on its own until it is back (as admission does). Accounts are counted by the email as
typed (lowercased), whether or not an account has it, so a throttled answer says nothing about
which emails exist.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio as redis
from redis.exceptions import RedisError

from ..domain.addresses import network_of
from ..errors import Code, ServiceError

log = logging.getLogger(__name__)

HOUR = 3600
# Failed sign-ins are forgotten this long after the last one (or after the longest delay).
FORGET_SECONDS = 3600
# What a process keeps when Redis is down, at most: the oldest entries go first.
LOCAL_ENTRIES = 10_000

# Attempts in the last hour, one member each; answers {allowed, the oldest attempt}.
# ARGV: now, window, limit, member.
_COUNT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {0, oldest[2]}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {1, ARGV[1]}
"""

# A sign-in attempt, counted as a failure before the password is checked (so that attempts
# sent together are counted together); a success takes it back. Each key is a hash: `n`
# failures in a row, and `until`, when the next attempt may come. Answers the seconds to wait,
# as text ("0": go ahead). ARGV: now, key lifetime, longest delay, then each key's free failures.
_ATTEMPT = """
local now = tonumber(ARGV[1])
local wait = 0
for _, key in ipairs(KEYS) do
    local until_ = tonumber(redis.call('HGET', key, 'until') or '0')
    if until_ - now > wait then
        wait = until_ - now
    end
end
if wait > 0 then
    return tostring(wait)
end
for i, key in ipairs(KEYS) do
    local n = redis.call('HINCRBY', key, 'n', 1)
    local free = tonumber(ARGV[3 + i])
    if n > free then
        local delay = math.min(tonumber(ARGV[3]), 2 ^ (n - free - 1))
        redis.call('HSET', key, 'until', tostring(now + delay))
    end
    redis.call('EXPIRE', key, ARGV[2])
end
return '0'
"""

# Take an attempt back (it was no failure): ARGV[1] "reset" deletes KEYS[1] (the account of a
# success); every other key counts one failure less.
_TAKE_BACK = """
for i, key in ipairs(KEYS) do
    if i == 1 and ARGV[1] == 'reset' then
        redis.call('DEL', key)
    elseif redis.call('HGET', key, 'n') then
        redis.call('HINCRBY', key, 'n', -1)
    end
end
return 0
"""


@dataclass(slots=True)
class _Failures:
    n: int = 0
    until: float = 0.0
    last: float = 0.0


class Throttle:
    """Registrations per address and hour; sign-in failures per account and per address."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str,
        registrations_per_hour: int,
        failures_per_account: int,
        failures_per_address: int,
        max_delay_seconds: int,
        checks_at_once_per_address: int = 1,
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._registrations = registrations_per_hour
        self._free = (failures_per_account, failures_per_address)
        self._max_delay = max_delay_seconds
        self._lifetime = max(FORGET_SECONDS, max_delay_seconds)
        self._count = client.register_script(_COUNT)
        self._attempt = client.register_script(_ATTEMPT)
        self._take_back = client.register_script(_TAKE_BACK)
        self._local_counts: dict[str, deque[float]] = {}
        self._local_failures: dict[str, _Failures] = {}
        # Sign-ins of each address being checked now in this process: one address may not take
        # every place in the queue of password checks.
        self._checks_at_once = checks_at_once_per_address
        self._checking: dict[str, int] = {}
        self._redis_down = False

    # -- registrations ----------------------------------------------------------------------

    async def registration(self, address: str | None) -> None:
        """Count a registration from `address`; `rate_limited` past the hour's limit."""
        now = time.time()
        key = f"{self._prefix}:register:{network_of(address)}"
        try:
            allowed, oldest = await self._count(
                keys=[key], args=[now, HOUR, self._registrations, uuid.uuid4().hex]
            )
            self._redis_back()
        except (RedisError, OSError) as exc:
            self._redis_lost(exc)
            allowed, oldest = self._local_count(key, now)
        if not allowed:
            retry = max(1, math.ceil(float(oldest) + HOUR - now))
            raise ServiceError(
                Code.RATE_LIMITED,
                f"Too many new accounts from your address: at most {self._registrations} an "
                f"hour; try again in {_duration(retry)}",
                retry_after=retry,
            )

    def _local_count(self, key: str, now: float) -> tuple[int, float]:
        recent = self._local_counts.setdefault(key, deque())
        while recent and recent[0] <= now - HOUR:
            recent.popleft()
        if len(recent) >= self._registrations:
            return 0, recent[0]
        recent.append(now)
        self._trim(self._local_counts)
        return 1, now

    # -- sign-ins ---------------------------------------------------------------------------

    @asynccontextmanager
    async def login(self, email: str, address: str | None) -> AsyncIterator[None]:
        """Around one sign-in attempt: `rate_limited` while the account or the address must
        wait, or while as many sign-ins of the address are being checked in this process as it
        may have. The attempt counts as a failure unless the block ends without an error (a
        success: the account's count starts again) or with another error than `unauthorized`
        (the database down, the password queue full: it is taken back)."""
        network = network_of(address)
        if self._checking.get(network, 0) >= self._checks_at_once:
            raise ServiceError(
                Code.RATE_LIMITED,
                "Other sign-ins from your address are being checked "
                f"({self._checks_at_once} at once at most); try again in 1 s",
                retry_after=1,
            )
        self._checking[network] = self._checking.get(network, 0) + 1
        try:
            async with self._counted(email, network):
                yield
        finally:
            self._checking[network] -= 1
            if not self._checking[network]:
                del self._checking[network]

    @asynccontextmanager
    async def _counted(self, email: str, network: str) -> AsyncIterator[None]:
        digest = hashlib.sha256(email.strip().lower().encode(errors="replace")).hexdigest()
        keys = [
            f"{self._prefix}:login:account:{digest[:32]}",
            f"{self._prefix}:login:address:{network}",
        ]
        wait, local = await self._begin(keys)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise ServiceError(
                Code.RATE_LIMITED,
                "Too many failed sign-ins for this email or from your address; "
                f"try again in {_duration(retry)}",
                retry_after=retry,
            )
        try:
            yield
        except ServiceError as exc:
            if exc.code is not Code.UNAUTHORIZED:
                await self._end(keys, local, reset=False)
            raise
        except BaseException:
            await self._end(keys, local, reset=False)
            raise
        await self._end(keys, local, reset=True)

    async def _begin(self, keys: list[str]) -> tuple[float, bool]:
        """The seconds to wait (0: counted, go ahead), and whether this process counted it."""
        now = time.time()
        try:
            wait = await self._attempt(
                keys=keys, args=[now, self._lifetime, self._max_delay, *self._free]
            )
            self._redis_back()
            return float(wait), False
        except (RedisError, OSError) as exc:
            self._redis_lost(exc)
            return self._local_begin(keys, now), True

    async def _end(self, keys: list[str], local: bool, *, reset: bool) -> None:
        if local:
            self._local_end(keys, reset=reset)
            return
        try:
            await self._take_back(keys=keys, args=["reset" if reset else "keep"])
        except (RedisError, OSError) as exc:
            self._redis_lost(exc)

    def _local_begin(self, keys: list[str], now: float) -> float:
        entries = []
        for key in keys:
            entry = self._local_failures.get(key)
            if entry is None or entry.last < now - self._lifetime:
                entry = self._local_failures[key] = _Failures()
            entries.append(entry)
        wait = max(entry.until - now for entry in entries)
        if wait > 0:
            return wait
        for entry, free in zip(entries, self._free, strict=True):
            entry.n += 1
            entry.last = now
            if entry.n > free:
                entry.until = now + min(self._max_delay, 2 ** min(entry.n - free - 1, 40))
        self._trim(self._local_failures)
        return 0.0

    def _local_end(self, keys: list[str], *, reset: bool) -> None:
        for index, key in enumerate(keys):
            entry = self._local_failures.get(key)
            if entry is None:
                continue
            if index == 0 and reset:
                del self._local_failures[key]
            else:
                entry.n = max(0, entry.n - 1)

    @staticmethod
    def _trim(entries: dict[str, _Failures] | dict[str, deque[float]]) -> None:
        """Keep at most LOCAL_ENTRIES: the ones written first go first."""
        while len(entries) > LOCAL_ENTRIES:
            del entries[next(iter(entries))]

    # -- Redis health -----------------------------------------------------------------------

    def _redis_lost(self, exc: BaseException) -> None:
        if not self._redis_down:
            log.warning(
                "Redis not answering (%s): counting sign-ins and sign-ups per process until "
                "it is back",
                exc,
            )
        self._redis_down = True

    def _redis_back(self) -> None:
        if self._redis_down:
            log.info("Redis answers again: sign-ins and sign-ups are counted together again")
            self._redis_down = False


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    return f"{math.ceil(seconds / 60)} min"
