"""Who may start a run now: a rate per minute and a cap on concurrent runs per user (or IP),
shared by every process through Redis, and a cap on this process's live containers, for which
runs wait in line (first come, first served) up to the queue wait.

Besides its own cap, every run takes a lease on its client address, whose runs together hold at
most the address's share of the sandboxes (so many accounts on one address cannot take them
all), and an anonymous run one on the share set aside for anonymous runs. A run holds one lease
per container it runs at once; a validation runs two.

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
from .slots import OnPosition, Slots

log = logging.getLogger(__name__)

RATE_WINDOW_SECONDS = 60

# Runs started in the last minute, one member per unit of cost; answers {allowed, the start
# whose lapse makes room}. ARGV: now, window, limit, member, cost.
_COUNT_RUN = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
local cost = tonumber(ARGV[5])
local over = redis.call('ZCARD', KEYS[1]) + cost - tonumber(ARGV[3])
if over > 0 then
    local oldest = redis.call('ZRANGE', KEYS[1], over - 1, over - 1, 'WITHSCORES')
    return {0, oldest[2]}
end
for n = 1, cost do
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4] .. '/' .. n)
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {1, ARGV[1]}
"""

# `count` leases on every key, or none: answers 0, or the (1-based) index of the key that is
# full. ARGV: now, lapse, ttl, holder, count, then the limit of each key.
_TAKE_LEASES = """
local count = tonumber(ARGV[5])
for i, key in ipairs(KEYS) do
    redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
    if redis.call('ZCARD', key) + count > tonumber(ARGV[5 + i]) then
        return i
    end
end
for i, key in ipairs(KEYS) do
    for n = 1, count do
        redis.call('ZADD', key, ARGV[2], ARGV[4] .. '/' .. n)
    end
    redis.call('EXPIRE', key, ARGV[3])
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Quota:
    """The limits one caller runs under."""

    key: str  # "user:<id>" or "ip:<address>"
    per_minute: int
    concurrent: int
    # The client's address (domain.addresses.network_of): its runs share one part of the
    # sandboxes, whoever is signed in. None: no address share (tests of one caller).
    address: str | None = None
    anonymous: bool = False


@dataclass(frozen=True, slots=True)
class _Lease:
    """A set of leases with its cap, and what to tell a caller it refuses."""

    key: str
    limit: int
    full: str  # said when a run is refused
    room: str  # said when a run of several containers is refused
    advice: str
    retry_after: int

    def refusal(self, containers: int) -> str:
        if containers == 1:
            return f"{self.full}; {self.advice}"
        return f"{self.room}, and this needs {containers} at once; {self.advice}"


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
        address_share: int | None = None,
        anonymous_share: int | None = None,
    ) -> None:
        self._redis = client
        self._owner = owner
        self._capacity = Slots(max_containers)
        self._queue_wait = queue_wait_seconds
        self._lease_seconds = lease_seconds
        self._prefix = prefix
        self._address_share = address_share
        self._anonymous_share = anonymous_share
        self._take_leases = client.register_script(_TAKE_LEASES)
        self._count_run = client.register_script(_COUNT_RUN)
        self._local_rates: dict[str, deque[float]] = {}
        self._local_leases: dict[str, set[str]] = defaultdict(set)
        # Leases held in Redis whose release failed: released once Redis answers again.
        self._unreleased: set[tuple[str, str]] = set()
        self._redis_down = False

    @asynccontextmanager
    async def run(self, quota: Quota, on_queued: OnPosition | None = None) -> AsyncIterator[None]:
        """Admit one single-container run, or raise `rate_limited` / `busy`; `on_queued` hears
        its place in line while it waits for a container."""
        async with self.caller(quota), self.container(on_queued):
            yield

    @asynccontextmanager
    async def caller(
        self, quota: Quota, *, containers: int = 1, cost: int = 1
    ) -> AsyncIterator[None]:
        """Count `cost` runs against the caller's rate (at most the whole minute's), and hold a
        lease per container the run has at once: on the caller, their address and, when
        anonymous, the anonymous share."""
        await self._check_rate(quota, min(cost, quota.per_minute))
        holder = f"{self._owner} {uuid.uuid4().hex}"  # whose it is, for the next start
        leases = self._leases_of(quota)
        members = [f"{holder}/{n}" for n in range(1, containers + 1)]
        await self._acquire_leases(leases, holder, members)
        try:
            yield
        finally:
            await self._release_leases(leases, members)

    @asynccontextmanager
    async def container(self, on_queued: OnPosition | None = None) -> AsyncIterator[None]:
        """Hold one of this process's container slots, in turn; `busy` after the queue wait.

        `on_queued` hears the run's place in line (1: next) when it has to wait, and each
        time the place changes.
        """
        try:
            async with asyncio.timeout(self._queue_wait):
                await self._capacity.acquire(on_queued)
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

    async def count_snippet(self, caller_key: str, per_minute: int) -> None:
        """Count a share link against the caller's rate of them; `rate_limited` past it."""
        await self._count(f"{self._prefix}:snippets:{caller_key}", per_minute, "share links")

    async def _check_rate(self, quota: Quota, cost: int) -> None:
        await self._count(f"{self._prefix}:rate:{quota.key}", quota.per_minute, "runs", cost)

    async def _count(self, key: str, per_minute: int, what: str, cost: int = 1) -> None:
        """A sliding minute: no burst of twice the rate across a window boundary."""
        now = time.time()
        try:
            allowed, oldest = await self._count_run(
                keys=[key],
                args=[now, RATE_WINDOW_SECONDS, per_minute, uuid.uuid4().hex, cost],
            )
            await self._redis_back()
        except (RedisError, OSError) as exc:
            self._redis_lost(exc)
            allowed, oldest = self._local_rate(key, per_minute, now, cost)
        if not allowed:
            retry = max(1, math.ceil(float(oldest) + RATE_WINDOW_SECONDS - now))
            counted = f" (this one counts as {cost})" if cost > 1 else ""
            raise ServiceError(
                Code.RATE_LIMITED,
                f"Too many {what}: at most {per_minute} a minute{counted}; try again in {retry} s",
                retry_after=retry,
            )

    def _local_rate(self, key: str, per_minute: int, now: float, cost: int) -> tuple[int, float]:
        recent = self._local_rates.setdefault(key, deque())
        while recent and recent[0] <= now - RATE_WINDOW_SECONDS:
            recent.popleft()
        over = len(recent) + cost - per_minute
        if over > 0:
            return 0, recent[over - 1]
        recent.extend([now] * cost)
        return 1, now

    # -- concurrent runs per caller, per address, anonymous ---------------------------------

    def most_at_once(self, quota: Quota) -> int:
        """The most containers one run of this caller may ever hold at once."""
        return min(lease.limit for lease in self._leases_of(quota))

    def _leases_of(self, quota: Quota) -> list[_Lease]:
        leases = [
            _Lease(
                f"{self._prefix}:active:{quota.key}",
                quota.concurrent,
                f"You already have {quota.concurrent} runs going",
                f"You may have {quota.concurrent} runs going at once",
                "wait for one to finish",
                1,
            )
        ]
        if quota.address is not None and self._address_share is not None:
            leases.append(
                _Lease(
                    f"{self._prefix}:active:address:{quota.address}",
                    self._address_share,
                    f"Runs from your address already hold {_sandboxes(self._address_share)}, "
                    "its share of them",
                    f"Runs from your address may hold {_sandboxes(self._address_share)} at once",
                    "wait for one of them to finish",
                    2,
                )
            )
        if quota.anonymous and self._anonymous_share is not None:
            leases.append(
                _Lease(
                    f"{self._prefix}:active:anonymous",
                    self._anonymous_share,
                    f"Anonymous runs already hold the {_sandboxes(self._anonymous_share)} set "
                    "aside for them",
                    f"Anonymous runs may hold {_sandboxes(self._anonymous_share)} at once",
                    "sign in, or try again in a few seconds",
                    2,
                )
            )
        return leases

    async def _acquire_leases(self, leases: list[_Lease], holder: str, members: list[str]) -> None:
        now = time.time()
        try:
            full = await self._take_leases(
                keys=[lease.key for lease in leases],
                args=[
                    now,
                    now + self._lease_seconds,
                    self._lease_seconds,
                    holder,
                    len(members),
                    *(lease.limit for lease in leases),
                ],
            )
            await self._redis_back()
        except (RedisError, OSError) as exc:
            self._redis_lost(exc)
            full = self._local_leases_taken(leases, members)
        if full:
            refused = leases[int(full) - 1]
            raise ServiceError(
                Code.RATE_LIMITED,
                refused.refusal(len(members)),
                retry_after=refused.retry_after,
            )

    def _local_leases_taken(self, leases: list[_Lease], members: list[str]) -> int:
        for index, lease in enumerate(leases, 1):
            if len(self._local_leases.get(lease.key, ())) + len(members) > lease.limit:
                return index
        for lease in leases:
            self._local_leases[lease.key].update(members)
        return 0

    async def _release_leases(self, leases: list[_Lease], members: list[str]) -> None:
        in_redis = []
        for lease in leases:
            local = self._local_leases.get(lease.key)
            if local is not None and members[0] in local:
                local.difference_update(members)
                if not local:
                    del self._local_leases[lease.key]
            else:
                in_redis.append(lease.key)
        if not in_redis:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in in_redis:
                    pipe.zrem(key, *members)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self._redis_lost(exc)
            self._unreleased.update((key, member) for key in in_redis for member in members)

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


def _sandboxes(count: int) -> str:
    return "1 sandbox" if count == 1 else f"{count} sandboxes"


def _holder_is_gone(lease: bytes) -> bool:
    holder = Owner.parse(lease.decode(errors="replace").partition(" ")[0])
    return holder is not None and holder.is_gone()
