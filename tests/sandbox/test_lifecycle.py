"""The engine's contract beyond one program: signals, errors, orphans, a missing engine."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from sandbox import (
    Engine,
    EngineConfig,
    EngineUnavailable,
    ExitEvent,
    InvalidRequest,
    LanguageRegistry,
    LanguageSpec,
    OutputEvent,
    RequestedLimits,
)
from sandbox.result import collect
from tests.conftest import assert_nothing_left, checked, labelled_containers, read_until

pytestmark = pytest.mark.docker


async def test_sigint_gives_python_its_keyboard_interrupt(engine: Engine) -> None:
    code = "import time\nprint('ready', flush=True)\ntime.sleep(30)\n"
    run = await engine.start(checked(engine, "python", code))
    try:
        events = run.events()
        assert await read_until(events, "ready\n") == "ready\n"
        await run.send_signal("SIGINT")
        rest = [e async for e in events]
    finally:
        await run.close()
    stderr = "".join(e.data for e in rest if isinstance(e, OutputEvent))
    last = rest[-1]
    assert "KeyboardInterrupt" in stderr
    assert isinstance(last, ExitEvent)
    assert (last.status, last.signal) == ("killed", "SIGINT")


async def test_a_signal_sent_as_the_run_starts_is_not_lost(engine: Engine) -> None:
    """A signal that reaches the container before its init is ready to forward it would be
    dropped (the kernel ignores it for a namespace's init): the program then ran on to its
    time limit. The race is narrow, so try it many times, several at once.

    The program may get the signal while the interpreter starts: then it dies of it, or
    Python turns SIGINT into a KeyboardInterrupt there and exits with 1. Either way it ends.
    """
    waiter = "import sys\nfor _ in sys.stdin:\n    pass\n"

    async def one(name: str) -> ExitEvent:
        run = await engine.start(
            checked(engine, "python", waiter, limits=RequestedLimits(timeout_ms=20_000))
        )
        try:
            await run.send_signal(name)
            async with asyncio.timeout(15):
                return await run.wait()
        finally:
            await run.close()

    for _ in range(4):
        ends = await asyncio.gather(*(one(name) for name in ("SIGINT", "SIGTERM") * 4))
        for name, end in zip(("SIGINT", "SIGTERM") * 4, ends, strict=True):
            assert (end.status, end.signal) in {("killed", name), ("runtime_error", None)}, end


async def test_sigkill_ends_a_loop_as_killed(engine: Engine) -> None:
    run = await engine.start(
        checked(engine, "javascript", "console.log('ready');\nwhile (true) {}\n")
    )
    try:
        events = run.events()
        assert await read_until(events, "ready\n") == "ready\n"
        await run.send_signal("SIGKILL")
        last = [e async for e in events][-1]
    finally:
        await run.close()
    assert isinstance(last, ExitEvent)
    assert (last.status, last.signal, last.exit_code) == ("killed", "SIGKILL", 137)


async def test_only_known_signals_are_sent(engine: Engine) -> None:
    run = await engine.start(checked(engine, "python", "print(1)\n"))
    try:
        with pytest.raises(InvalidRequest, match="SIGINT, SIGTERM, SIGKILL"):
            await run.send_signal("SIGSTOP")
    finally:
        await run.close()


async def test_a_missing_image_names_the_fix(engine: Engine, small_output_engine: Engine) -> None:
    ghost = LanguageSpec(
        id="ghost", name="Ghost", version="0", aliases=(), file_name="x", run=("true",)
    )
    async with Engine(EngineConfig(languages=LanguageRegistry([ghost]))) as ghostly:
        with pytest.raises(EngineUnavailable, match="codex-ws images build ghost"):
            await ghostly.execute(checked(ghostly, "ghost", ""))
        await assert_nothing_left(ghostly, engine, small_output_engine)


async def test_an_unreachable_engine_names_the_fix() -> None:
    config = EngineConfig(docker_host="unix:///nonexistent/docker.sock")
    with pytest.raises(EngineUnavailable, match="is dockerd running\\? set DOCKER_HOST"):
        async with Engine(config):
            pass


async def test_a_memory_limit_below_the_default_applies(engine: Engine) -> None:
    code = "blocks = []\nwhile True:\n    blocks.append(bytearray(8 * 1024 * 1024))\n"
    result = await engine.execute(
        checked(engine, "python", code, limits=RequestedLimits(memory_mb=48))
    )
    assert result.status == "memory_limit" or "MemoryError" in result.error, result


async def test_stdin_to_a_finished_program_is_dropped(engine: Engine) -> None:
    """Stdin written after the program ended goes nowhere: the writes return promptly without
    an error, and the run's output and end stay what they were, before close() and after."""
    run = await engine.start(checked(engine, "python", "print('done')\n"))
    try:
        ended = await run.wait()
        async with asyncio.timeout(5):
            await run.write_stdin(b"too late\n")
            await run.close_stdin()
        result = await collect(run)
        assert await run.wait() is ended
    finally:
        await run.close()
    async with asyncio.timeout(5):
        await run.write_stdin(b"later still\n")
    assert await run.wait() is ended
    assert (ended.status, ended.exit_code, ended.signal) == ("ok", 0, None)
    assert (result.status, result.output, result.error) == ("ok", "done\n", "")


async def test_the_next_start_sweeps_what_a_killed_process_left(engine: Engine) -> None:
    """A server killed mid-run; its next start removes the leftovers."""
    script = textwrap.dedent(
        """
        import asyncio, sys
        from sandbox import Engine, check_run
        async def main():
            engine = Engine()
            await engine.open()
            sleeper = "import time\\ntime.sleep(120)\\n"
            run = await engine.start(check_run(engine.languages, engine.policy, "python", sleeper))
            print(run.container_id, flush=True)
            await asyncio.sleep(120)
        asyncio.run(main())
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    try:
        assert child.stdout is not None
        orphan = (await asyncio.to_thread(child.stdout.readline)).strip()
        assert orphan in await labelled_containers(engine, any_owner=True)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert orphan in await labelled_containers(engine, any_owner=True), "nobody cleaned up yet"
    async with Engine():
        pass
    assert orphan not in await labelled_containers(engine, any_owner=True)


async def test_a_live_process_containers_are_not_swept(engine: Engine) -> None:
    run = await engine.start(checked(engine, "python", "import time\ntime.sleep(30)\n"))
    try:
        async with Engine() as other:
            assert await other.sweep() == 0
        assert run.container_id in await labelled_containers(engine)
    finally:
        await run.close()
