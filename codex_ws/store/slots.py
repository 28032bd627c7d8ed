"""A fixed number of slots handed out first come, first served, each waiter told its place."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

# Told a waiter's place in the queue: 1 is the next to get a slot.
OnPosition = Callable[[int], None]


@dataclass(eq=False, slots=True)
class _Waiter:
    granted: asyncio.Future[None]
    on_position: OnPosition | None
    position: int = field(default=0)


class Slots:
    """Like a semaphore, but fair (no newcomer overtakes a waiter) and knowing each place.

    A waiter hears its place as soon as it has to wait and again each time it changes.
    """

    def __init__(self, count: int) -> None:
        self._free = count
        self._waiters: deque[_Waiter] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self, on_position: OnPosition | None = None) -> None:
        """Take a slot, waiting in line for one when none is free."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        waiter = _Waiter(asyncio.get_running_loop().create_future(), on_position)
        self._waiters.append(waiter)
        self._tell_places()
        try:
            await waiter.granted
        except BaseException:
            if waiter.granted.done() and not waiter.granted.cancelled():
                self.release()  # granted just as it gave up: the next one gets it
            else:
                # A release may have dropped it already: its future was cancelled before this
                # handler ran.
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
                self._tell_places()
            raise

    def release(self) -> None:
        """Give a slot back: to the first waiter still waiting, else to the free ones.

        A waiter whose wait was cancelled may still be in line until its task runs again:
        it is passed over."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.granted.done():
                waiter.granted.set_result(None)
                self._tell_places()
                return
        self._free += 1

    def _tell_places(self) -> None:
        for place, waiter in enumerate(self._waiters, 1):
            if waiter.position != place:
                waiter.position = place
                if waiter.on_position is not None:
                    waiter.on_position(place)
