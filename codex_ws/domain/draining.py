"""A stopping server takes no new runs, lets those in progress finish for a grace period, and
then ends the rest."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from ..errors import Code, ServiceError

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long the runs ended after the grace period get to wind down (their container killed,
# their answer sent).
ENDING_SECONDS = 5
RETRY_AFTER_SECONDS = 5


class Drain:
    """The runs in progress (the one registry of their tasks), and whether the server still
    takes new ones."""

    def __init__(self, grace_seconds: float) -> None:
        self.grace_seconds = grace_seconds
        self.stopping = False
        self._ended = False
        self._runs: set[asyncio.Task[Any]] = set()

    def admit(self) -> None:
        """Refuse a new run (`unavailable`) once the server is stopping."""
        if self.stopping:
            raise ServiceError(
                Code.UNAVAILABLE,
                "The server is shutting down: send the run again in a few seconds",
                retry_after=RETRY_AFTER_SECONDS,
            )

    def track(self, run: asyncio.Task[Any]) -> None:
        """Count a task that carries one run to its end among those a stop waits for."""
        self._runs.add(run)
        run.add_done_callback(self._runs.discard)

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Carry out `work` (one run) as a tracked task.

        `unavailable` when the server is stopping, or when the stop ends it after the grace
        period.
        """
        if self.stopping:
            work.close()
            self.admit()
        task = asyncio.create_task(work)
        self.track(task)
        try:
            return await task
        except asyncio.CancelledError:
            me = asyncio.current_task()
            if not (self._ended and task.cancelled() and me is not None and not me.cancelling()):
                raise
        raise ServiceError(
            Code.UNAVAILABLE,
            f"The server is shutting down and ended this run after waiting "
            f"{self.grace_seconds:g} s for it: send it again in a few seconds",
            retry_after=RETRY_AFTER_SECONDS,
        )

    async def stop(self) -> None:
        """Take no new runs; wait for those in progress up to the grace period; end the rest."""
        self.stopping = True
        if self._runs:
            log.info(
                "stopping: waiting up to %g s for %d run(s)", self.grace_seconds, len(self._runs)
            )
            await asyncio.wait(set(self._runs), timeout=self.grace_seconds)
        left = {run for run in self._runs if not run.done()}
        if left:
            log.warning(
                "stopping: ending %d run(s) still going after %g s", len(left), self.grace_seconds
            )
            self._ended = True
            for run in left:
                run.cancel()
            await asyncio.wait(left, timeout=ENDING_SECONDS)

    async def end_all(self) -> None:
        """At cleanup: end what is still going and wait for it (each run removes its container
        and records itself as it ends)."""
        left = set(self._runs)
        for run in left:
            run.cancel()
        await asyncio.gather(*left, return_exceptions=True)
