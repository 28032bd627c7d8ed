from sandbox._event_buffer import COALESCE_CHARS, EventBuffer
from sandbox.events import OutputEvent, StageEvent


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
