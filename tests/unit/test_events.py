import asyncio

from sandbox._event_buffer import COALESCE_CHARS, EventBuffer
from sandbox.events import ExitEvent, OutputEvent, StageEvent


async def test_adjacent_output_is_coalesced() -> None:
    buffer = EventBuffer()
    for _ in range(1000):
        buffer.put_output("stdout", "run", "x")
    buffer.put_output("stderr", "run", "e")
    buffer.put(StageEvent("run"))
    assert await buffer.get() == OutputEvent("stdout", "x" * 1000)
    assert await buffer.get() == OutputEvent("stderr", "e")
    assert await buffer.get() == StageEvent("run")


async def test_coalesced_events_stay_a_sensible_size() -> None:
    buffer = EventBuffer()
    for _ in range(3):
        buffer.put_output("stdout", "run", "y" * COALESCE_CHARS)
    sizes = [len((await buffer.get()).data) for _ in range(3)]  # type: ignore[union-attr]
    assert sizes == [COALESCE_CHARS] * 3


async def test_a_flood_of_writes_becomes_one_event_per_linger() -> None:
    """A writer that prints every millisecond for 200 ms: about 200 / 8 events, not 200."""
    buffer = EventBuffer(linger_seconds=0.008)
    loop = asyncio.get_running_loop()

    async def write() -> None:
        for i in range(200):
            buffer.put_output("stdout", "run", f"{i}\n")
            await asyncio.sleep(0.001)
        buffer.put(ExitEvent("ok", 0, None, False, False, 0))

    writer = asyncio.create_task(write())
    events, started = [], loop.time()
    while not isinstance(event := await buffer.get(), ExitEvent):
        events.append(event)
    await writer
    assert "".join(e.data for e in events) == "".join(f"{i}\n" for i in range(200))  # type: ignore[union-attr]
    elapsed = loop.time() - started
    assert len(events) <= elapsed / 0.008 + 2, (len(events), elapsed)
    assert len(events) < 100


async def test_the_first_output_after_a_quiet_spell_is_not_held() -> None:
    buffer = EventBuffer(linger_seconds=10)
    buffer.put_output("stdout", "run", "name? ")
    async with asyncio.timeout(1):
        assert await buffer.get() == OutputEvent("stdout", "name? ")
        # Within the window, output waits for more, unless something is queued behind it.
        buffer.put_output("stdout", "run", "Hello\n")
        buffer.put(StageEvent("run"))
        assert await buffer.get() == OutputEvent("stdout", "Hello\n")
