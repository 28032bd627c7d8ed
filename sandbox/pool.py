"""Warm pools: per language, containers created, attached and started ahead of time, their
runner waiting for its frame on stdin. A run takes one, uses it once, and it is destroyed; the
pool refills in the background. Every container has the same locks as any other run's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from aiodocker.stream import Stream

from .docker_stream import is_open
from .languages import LanguageSpec
from .limits import Limits

log = logging.getLogger(__name__)

REFILL_BACKOFF_SECONDS = (0.5, 1, 2, 5, 10)
# A refill waits this long after a run took a container: creating and starting one costs
# Docker a good part of a CPU, which the run that just started should not have to share.
REFILL_DELAY_SECONDS = 0.3
# How often idle containers are checked: an engine restart kills them and drops their streams.
CHECK_SECONDS = 1.0


@dataclass(slots=True)
class Warm:
    """A started container whose runner waits for its frame."""

    run_id: str
    container_id: str
    stream: Stream
    limits: Limits
    born: float
    # Its runner started the language's warm runtime (see images/README.md).
    runtime: bool = False


Prepare = Callable[[LanguageSpec, Limits], Awaitable[Warm]]
Discard = Callable[[Warm], None]  # schedules the removal; the engine owns that task


@dataclass
class _Lane:
    spec: LanguageSpec
    limits: Limits
    size: int
    ready: deque[Warm] = field(default_factory=deque)
    wanted: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class WarmPool:
    """Keeps `sizes[language]` warm containers per language (0 disables a language)."""

    def __init__(
        self,
        *,
        specs: Mapping[str, LanguageSpec],
        sizes: Mapping[str, int],
        limits: Callable[[LanguageSpec], Limits],
        prepare: Prepare,
        discard: Discard,
        max_age_seconds: float = 300,
    ) -> None:
        self._lanes = {
            name: _Lane(specs[name], limits(specs[name]), size)
            for name, size in sizes.items()
            if size > 0
        }
        self._prepare = prepare
        self._discard = discard
        self._max_age = max_age_seconds
        self._closing = False
        self._grown = asyncio.Event()

    @property
    def size(self) -> int:
        """Containers the pool keeps warm, all languages together."""
        return sum(lane.size for lane in self._lanes.values())

    def idle(self) -> set[str]:
        """Ids of the warm containers waiting for a run."""
        return {warm.container_id for lane in self._lanes.values() for warm in lane.ready}

    def start(self) -> None:
        for lane in self._lanes.values():
            lane.task = asyncio.create_task(self._keep_filled(lane))
            lane.wanted.set()

    def take(self, spec: LanguageSpec, limits: Limits) -> Warm | None:
        """A warm container for a run with these limits, or None (the caller starts one)."""
        lane = self._lanes.get(spec.id)
        if lane is None or self._closing:
            return None
        now = asyncio.get_running_loop().time()
        while lane.ready:
            warm = lane.ready.popleft()
            if not _fits(warm.limits, limits):
                lane.ready.appendleft(warm)  # still good for the next ordinary run
                return None
            if now - warm.born <= self._max_age and is_open(warm.stream):
                asyncio.get_running_loop().call_later(REFILL_DELAY_SECONDS, lane.wanted.set)
                return warm
            self._discard(warm)
            lane.wanted.set()
        return None

    async def wait_until_full(self) -> None:
        """For tests and benchmarks: until every lane holds its size."""
        while any(len(lane.ready) < lane.size for lane in self._lanes.values()):
            self._grown.clear()
            await self._grown.wait()

    async def close(self) -> None:
        """Stop refilling and destroy the idle containers."""
        self._closing = True
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for lane in self._lanes.values():
            while lane.ready:
                self._discard(lane.ready.popleft())

    async def _keep_filled(self, lane: _Lane) -> None:
        failures = 0
        while True:
            await self._wait_for_need(lane)
            try:
                warm = await self._prepare(lane.spec, lane.limits)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = REFILL_BACKOFF_SECONDS[min(failures, len(REFILL_BACKOFF_SECONDS) - 1)]
                failures += 1
                log.warning(
                    "warm %s container not started (%s); again in %s s", lane.spec.id, exc, delay
                )
                await asyncio.sleep(delay)
                continue
            failures = 0
            lane.ready.append(warm)
            self._grown.set()

    async def _wait_for_need(self, lane: _Lane) -> None:
        """Until the lane is short (a run took one, or one was recycled)."""
        while len(lane.ready) >= lane.size:
            lane.wanted.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lane.wanted.wait(), timeout=CHECK_SECONDS)
            self._recycle(lane)

    def _recycle(self, lane: _Lane) -> None:
        """Replace the containers that are too old, or whose stream the engine dropped."""
        now = asyncio.get_running_loop().time()
        for warm in list(lane.ready):
            if now - warm.born > self._max_age or not is_open(warm.stream):
                lane.ready.remove(warm)
                self._discard(warm)


def _fits(warm: Limits, wanted: Limits) -> bool:
    """Container-level limits are fixed at creation; the rest the engine enforces per run."""
    return (warm.memory_mb, warm.pids, warm.nano_cpus, warm.tmpfs_mb) == (
        wanted.memory_mb,
        wanted.pids,
        wanted.nano_cpus,
        wanted.tmpfs_mb,
    )
