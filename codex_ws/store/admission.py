"""Who may start a run now: a rate per minute and a cap on concurrent runs per user (or IP),
shared by every process through Redis, and a cap on this process's live containers.

Counters in Redis expire by themselves, so a process that dies leaks nothing for long. When
Redis does not answer, the same limits are kept per process until it is back.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import cast

import redis.asyncio as redis
from redis.exceptions import RedisError

from sandbox.owner import Owner

from ..errors import Code, ServiceError

log = logging.getLogger(__name__)

RATE_WINDOW_SECONDS = 60

# Runs started in the last minute, one member per run; answers {allowed, oldest start}.
_COUNT_RUN = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {0, oldest[2]}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {1, ARGV[1]}
"""

_TAKE_LEASE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
    return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


@dataclass(frozen=True, slots=True)
class Quota:
    """The limits one caller runs under."""

    key: str  # "user:<id>" or "ip:<address>"
    per_minute: int
    concurrent: int


class Admission:
    """Rate, per-caller concurrency and process capacity, checked in that order."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        max_containers: int,
        queue_wait_seconds: float,
        lease_seconds: int,
        owner: str,
        prefix: str = "codex",
    ) -> None:
        self._redis = client
        self._owner = owner
        self._capacity = asyncio.Semaphore(max_containers)
        self._queue_wait = queue_wait_seconds
        self._lease_seconds = lease_seconds
        self._prefix = prefix
        self._take_lease = client.register_script(_TAKE_LEASE)
        self._count_run = client.register_script(_COUNT_RUN)
        self._local_rates: dict[str, deque[float]] = {}
        self._local_leases: dict[str, set[str]] = defaultdict(set)
        # Leases held in Redis whose release failed: released once Redis answers again.
        self._unreleased: set[tuple[str, str]] = set()
        self._redis_down = False

    @asynccontextmanager
    async def run(self, quota: Quota) -> AsyncIterator[None]:
        """Admit one single-container run, or raise `rate_limited` / `busy`."""
        async with self.caller(quota), self.container():
            yield

    @asynccontextmanager
    async def caller(self, quota: Quota) -> AsyncIterator[None]:
        """Count a run against the caller's rate and hold one of their concurrent slots."""
        await self._check_rate(quota)
        lease = f"{self._owner} {uuid.uuid4().hex}"  # whose it is, for the next start
        await self._acquire_lease(quota, lease)
        try:
            yield
        finally:
            await self._release_lease(quota, lease)

    @asynccontextmanager
    async def container(self) -> AsyncIterator[None]:
        """Hold one of this process's container slots; `busy` after the queue wait."""
        try:
            async with asyncio.timeout(self._queue_wait):
                await self._capacity.acquire()
        except TimeoutError:
            raise ServiceError(
                Code.BUSY,
                "All sandboxes are busy; try again in a few seconds",
                retry_after=2,
            ) from None
        try:
            yield
        finally:
            self._capacity.release()

    # -- rate -------------------------------------------------------------------------

    async def count_validation(self, caller_key: str, per_minute: int) -> None:
        """Count a validation against the caller's own rate of validations (apart from their
        runs); `rate_limited` past it."""
        await self._count(f"{self._prefix}:validations:{caller_key}", per_minute, "validations")

    async def _check_rate(self, quota: Quota) -> None:
        await self._count(f"{self._prefix}:rate:{quota.key}", quota.per_minute, "runs")

    async def _count(self, key: str, per_minute: int, what: str) -> None:
        """A sliding minute: no burst of twice the rate across a window boundary."""
        now = time.time()
        try:
            allowed, oldest = await self._count_run(
                keys=[key], args=[now, RATE_WINDOW_SECONDS, per_minute, uuid.uuid4().hex]
            )
            await self._redis_back()
        except (RedisError, OSError) as exc:
            self._redis_lost(exc)
            allowed, oldest = self._local_rate(key, per_minute, now)
        if not allowed:
            retry = max(1, math.ceil(float(oldest) + RATE_WINDOW_SECONDS - now))
            raise ServiceError(
                Code.RATE_LIMITED,
                f"Too many {what}: at most {per_minute} a minute; try again in {retry} s",
                retry_after=retry,
            )

    def _local_rate(self, key: str, per_minute: int, now: float) -> tuple[int, float]:
        recent = self._local_rates.setdefault(key, deque())
        while recent and recent[0] <= now - RATE_WINDOW_SECONDS:
            recent.popleft()
        if len(recent) >= per_minute:
            return 0, recent[0]
        recent.append(now)
        return 1, now

    # -- concurrent runs per caller -----------------------------------------------------

    async def _acquire_lease(self, quota: Quota, lease: str) -> None:
        key = f"{self._prefix}:active:{quota.key}"
        now = time.time()
        try:
            taken = await self._take_lease(
                keys=[key],
                args=[now, now + self._lease_seconds, quota.concurrent, lease, self._lease_seconds],
            )
            await self._redis_back()
        except (RedisError, OSError) as exc:
            self._redis_lost(exc)
            local = self._local_leases[quota.key]
            taken = len(local) < quota.concurrent
            if taken:
                local.add(lease)
        if not taken:
            raise ServiceError(
                Code.RATE_LIMITED,
                f"You already have {quota.concurrent} runs going; wait for one to finish",
                retry_after=1,
            )

    async def _release_lease(self, quota: Quota, lease: str) -> None:
        local = self._local_leases.get(quota.key)
        if local is not None and lease in local:
            local.discard(lease)
            if not local:
                del self._local_leases[quota.key]
            return
        key = f"{self._prefix}:active:{quota.key}"
        try:
            await self._redis.zrem(key, lease)
        except (RedisError, OSError) as exc:
            self._redis_lost(exc)
            self._unreleased.add((key, lease))

    async def free_leases_left_behind(self) -> int:
        """Release the leases that processes of this host held when they died.

        They would expire by themselves, but only after the longest run could have ended.
        """
        freed = 0
        try:
            async for key in self._redis.scan_iter(f"{self._prefix}:active:*", count=500):
                members = cast(list[bytes], await self._redis.zrange(key, 0, -1))
                gone = [m for m in members if _holder_is_gone(m)]
                if gone:
                    freed += await self._redis.zrem(key, *gone)
        except (RedisError, OSError) as exc:
            log.warning("could not free the leases of dead processes (they expire): %s", exc)
        if freed:
            log.info("freed %d run lease(s) held by processes that died", freed)
        return freed

    # -- Redis health -------------------------------------------------------------------

    def _redis_lost(self, exc: BaseException) -> None:
        if not self._redis_down:
            log.warning(
                "Redis not answering (%s): keeping limits per process until it is back", exc
            )
        self._redis_down = True

    async def _redis_back(self) -> None:
        if self._redis_down:
            log.info("Redis answers again: limits are shared again")
            self._redis_down = False
        if self._unreleased:
            # Else, with Redis restarted from its data, they would hold their callers' places
            # until they expired.
            unreleased, self._unreleased = self._unreleased, set()
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for key, lease in unreleased:
                        pipe.zrem(key, lease)
                    await pipe.execute()
            except (RedisError, OSError):
                self._unreleased |= unreleased


def _holder_is_gone(lease: bytes) -> bool:
    holder = Owner.parse(lease.decode(errors="replace").partition(" ")[0])
    return holder is not None and holder.is_gone()
