"""Container slots: first come, first served, each waiter told its place as it changes."""

from __future__ import annotations

import asyncio

import pytest

from codex_ws.store.slots import Slots


async def waiting(slots: Slots, count: int) -> None:
    """Until `count` are in line."""
    async with asyncio.timeout(5):
        while slots.waiting != count:
            await asyncio.sleep(0)


async def test_free_slots_are_taken_without_waiting_or_a_place() -> None:
    slots = Slots(2)
    places: list[int] = []
    await slots.acquire(places.append)
    await slots.acquire(places.append)
    assert places == []


async def test_waiters_hear_their_place_and_each_change_and_are_served_in_order() -> None:
    slots = Slots(1)
    await slots.acquire()
    places: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    served: list[str] = []

    async def take(name: str) -> None:
        await slots.acquire(places[name].append)
        served.append(name)

    tasks = []
    for count, name in enumerate("abc", 1):
        tasks.append(asyncio.create_task(take(name)))
        await waiting(slots, count)
    assert places == {"a": [1], "b": [2], "c": [3]}

    slots.release()
    await tasks[0]
    assert served == ["a"]
    assert places == {"a": [1], "b": [2, 1], "c": [3, 2]}
    slots.release()
    slots.release()
    await asyncio.gather(*tasks)
    assert served == ["a", "b", "c"]
    assert places == {"a": [1], "b": [2, 1], "c": [3, 2, 1]}


async def test_a_newcomer_does_not_overtake_a_waiter() -> None:
    slots = Slots(1)
    await slots.acquire()
    first = asyncio.create_task(slots.acquire())
    await waiting(slots, 1)
    slots.release()  # the slot is the waiter's now, though it has not run yet
    second = asyncio.create_task(slots.acquire())
    await first
    await asyncio.sleep(0.01)
    assert not second.done()
    slots.release()
    await second


async def test_a_waiter_that_gives_up_leaves_the_line_and_those_behind_move_up() -> None:
    slots = Slots(1)
    await slots.acquire()
    behind: list[int] = []
    first = asyncio.create_task(slots.acquire())
    await waiting(slots, 1)
    second = asyncio.create_task(slots.acquire(behind.append))
    await waiting(slots, 2)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert behind == [2, 1]
    slots.release()
    await second


async def test_a_timeout_in_line_is_a_timeout_and_frees_nothing() -> None:
    slots = Slots(1)
    await slots.acquire()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await slots.acquire()
    assert slots.waiting == 0
    slots.release()
    await slots.acquire()  # the one slot, free again


async def test_a_slot_granted_to_a_waiter_cancelled_at_once_passes_to_the_next() -> None:
    slots = Slots(1)
    await slots.acquire()
    first = asyncio.create_task(slots.acquire())
    await waiting(slots, 1)
    second = asyncio.create_task(slots.acquire())
    await waiting(slots, 2)
    slots.release()  # granted to `first`, which is cancelled before it resumes
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    async with asyncio.timeout(5):
        await second


async def test_a_release_passes_over_a_waiter_cancelled_before_it_resumes() -> None:
    """The race a burst hit: a waiter's wait is cancelled (its timeout), and before its task
    runs again another holder releases. The slot goes to the next waiter, or back to the free."""
    slots = Slots(1)
    await slots.acquire()
    first = asyncio.create_task(slots.acquire())
    await waiting(slots, 1)
    second = asyncio.create_task(slots.acquire())
    await waiting(slots, 2)
    first.cancel()  # cancels the future it waits on at once; its task resumes later
    slots.release()
    with pytest.raises(asyncio.CancelledError):
        await first
    async with asyncio.timeout(5):
        await second
    assert slots.waiting == 0
    slots.release()
    await slots.acquire()  # free again, once
    assert slots.waiting == 0
