from sandbox._event_buffer import COALESCE_CHARS, EventBuffer
from sandbox.events import OutputEvent, StageEvent
from sandbox.run import signal_of


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


def test_exit_codes_above_128_name_their_signal() -> None:
    assert signal_of(137) == "SIGKILL"
    assert signal_of(130) == "SIGINT"
    assert signal_of(1) is None
    assert signal_of(None) is None
    assert signal_of(255) is None
