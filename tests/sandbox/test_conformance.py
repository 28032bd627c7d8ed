"""Every language behaves like a real terminal program: output, stdin, exit codes, errors."""

from __future__ import annotations

import asyncio

import pytest

from sandbox import (
    CheckedRun,
    Engine,
    ExitEvent,
    OutputEvent,
    RequestedLimits,
    Result,
    Run,
    StageEvent,
)
from sandbox.result import collect
from tests.conftest import assert_nothing_left, checked

from . import programs
from .programs import LANGUAGES

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("language", LANGUAGES)
async def test_hello_world(engine: Engine, language: str) -> None:
    result = await engine.execute(checked(engine, language, programs.HELLO[language]))
    assert result.status == "ok", result
    assert result.success
    assert (result.output, result.error, result.exit_code) == ("Hello, World!\n", "", 0)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_prompt_arrives_before_any_input_is_sent(engine: Engine, language: str) -> None:
    run = await engine.start(checked(engine, language, programs.GREET[language]))
    try:
        events = run.events()
        seen = ""
        async with asyncio.timeout(30):
            while "name? " not in seen:
                event = await anext(events)
                assert not isinstance(event, ExitEvent), (event, seen)
                if isinstance(event, OutputEvent) and event.stage == "run":
                    seen += event.data
            assert seen == "name? "
            await run.write_stdin(b"Ada Lovelace\n")
            async for event in events:
                if isinstance(event, OutputEvent):
                    seen += event.data
                elif isinstance(event, ExitEvent):
                    assert event.status == "ok", (event, seen)
    finally:
        await run.close()
    assert seen == "name? Hello, Ada Lovelace!\n"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_stdin_is_echoed_until_eof(engine: Engine, language: str) -> None:
    result = await engine.execute(
        checked(engine, language, programs.ECHO[language], stdin=b"one\ntwo\nthree\n")
    )
    assert result.status == "ok", result
    assert result.output == "one\ntwo\nthree\nlines=3\n"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_eof_can_be_sent_while_the_program_runs(engine: Engine, language: str) -> None:
    run = await engine.start(checked(engine, language, programs.ECHO[language]))
    try:
        await run.write_stdin(b"live\n")
        await asyncio.sleep(0.3)
        await run.close_stdin()
        output = ""
        async for event in run.events():
            if isinstance(event, OutputEvent) and event.stream == "stdout":
                output += event.data
            elif isinstance(event, ExitEvent):
                assert event.status == "ok", event
    finally:
        await run.close()
    assert output == "live\nlines=1\n"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_exit_code_propagates(engine: Engine, language: str) -> None:
    result = await engine.execute(checked(engine, language, programs.EXIT_3[language]))
    assert (result.status, result.exit_code, result.success) == ("runtime_error", 3, False)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_runtime_error_has_its_trace_on_stderr(engine: Engine, language: str) -> None:
    result = await engine.execute(checked(engine, language, programs.RUNTIME_ERROR[language]))
    assert result.status == "runtime_error", result
    assert result.exit_code not in (0, None)
    for fragment in programs.RUNTIME_ERROR_TEXT[language]:
        assert fragment in result.error, result.error


@pytest.mark.parametrize("language", ["java", "csharp"])
async def test_compile_error_is_told_apart(engine: Engine, language: str) -> None:
    result = await engine.execute(checked(engine, language, programs.COMPILE_ERROR[language]))
    assert result.status == "compile_error", result
    assert "error" in result.compile_output.lower()
    assert result.error == result.compile_output
    assert result.output == ""


@pytest.mark.parametrize("language", LANGUAGES)
async def test_one_build_runs_with_other_stdin(engine: Engine, language: str) -> None:
    program = checked(engine, language, programs.ECHO[language])
    build = await engine.build(program)
    assert build.ok, build
    for stdin, expected in ((b"one\n", "one\nlines=1\n"), (b"", "lines=0\n")):
        result = await engine.execute(program.with_stdin(stdin), build=build)
        assert (result.status, result.output, result.compile_output) == ("ok", expected, ""), result


@pytest.mark.parametrize("language", ["java", "csharp"])
async def test_a_build_that_does_not_compile_says_why(engine: Engine, language: str) -> None:
    build = await engine.build(checked(engine, language, programs.COMPILE_ERROR[language]))
    assert build.status == "compile_error", build
    assert "error" in build.compile_output.lower()
    assert build.files == ()


@pytest.mark.parametrize("language", ["java", "csharp"])
async def test_compiled_languages_report_their_stages(engine: Engine, language: str) -> None:
    run = await engine.start(checked(engine, language, programs.HELLO[language]))
    try:
        kinds = [
            event.stage if isinstance(event, StageEvent) else type(event).__name__
            async for event in run.events()
        ]
    finally:
        await run.close()
    assert kinds == ["compile", "run", "OutputEvent", "ExitEvent"]


@pytest.mark.parametrize("language", ["python", "javascript"])
async def test_interpreted_languages_report_no_stages(engine: Engine, language: str) -> None:
    run = await engine.start(checked(engine, language, programs.HELLO[language]))
    try:
        assert not [e async for e in run.events() if isinstance(e, StageEvent)]
    finally:
        await run.close()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_non_ascii_output_round_trips(engine: Engine, language: str) -> None:
    result = await engine.execute(checked(engine, language, programs.UNICODE[language]))
    assert result.output == programs.UNICODE_TEXT + "\n", result


@pytest.mark.parametrize("language", LANGUAGES)
async def test_arguments_reach_the_program(engine: Engine, language: str) -> None:
    result = await engine.execute(
        checked(engine, language, programs.ARGS[language], args=["a b", "c"])
    )
    assert result.output == programs.ARGS_OUTPUT[language], result


async def test_invalid_utf8_output_is_replaced_not_fatal(engine: Engine) -> None:
    code = "import sys\nsys.stdout.buffer.write(b'ok \\xff\\xfe end\\n')\n"
    result = await engine.execute(checked(engine, "python", code))
    assert result.output == "ok \ufffd\ufffd end\n"


async def test_a_character_split_across_writes_is_not_mangled(engine: Engine) -> None:
    code = (
        "import sys, time\n"
        "data = '你'.encode()\n"
        "sys.stdout.buffer.write(data[:1]); sys.stdout.flush(); time.sleep(0.2)\n"
        "sys.stdout.buffer.write(data[1:] + b'\\n'); sys.stdout.flush()\n"
    )
    result = await engine.execute(checked(engine, "python", code))
    assert result.output == "你\n"


async def test_a_run_reports_its_duration(engine: Engine) -> None:
    result = await engine.execute(checked(engine, "python", "import time\ntime.sleep(0.5)\n"))
    assert result.status == "ok"
    assert 450 <= result.duration_ms < 5000


async def test_stdout_and_stderr_stay_apart(engine: Engine) -> None:
    code = "import sys\nprint('out')\nprint('err', file=sys.stderr)\n"
    result = await engine.execute(checked(engine, "python", code))
    assert (result.output, result.error) == ("out\n", "err\n")


async def test_a_lower_timeout_is_honoured(engine: Engine) -> None:
    result = await engine.execute(
        checked(
            engine, "python", "import time\ntime.sleep(5)\n", limits=RequestedLimits(timeout_ms=500)
        )
    )
    assert result.status == "timeout"
    assert result.timed_out


async def test_runs_leave_no_container(engine: Engine) -> None:
    hello = checked(engine, "python", programs.HELLO["python"])
    await asyncio.gather(*(engine.execute(hello) for _ in range(4)))
    await assert_nothing_left(engine)


def live(engine: Engine, language: str, code: str, **limits: int) -> CheckedRun:
    """A run as `/ws/run` starts it: stdin typed while it runs, time in CPU time."""
    return checked(engine, language, code, limits=RequestedLimits(**limits), live=True)


async def live_result(run: Run, stdin_after: float | None = None) -> Result:
    """Collect a started run, typing a line into it `stdin_after` seconds in."""

    async def type_a_line() -> None:
        if stdin_after is not None:
            await asyncio.sleep(stdin_after)
            await run.write_stdin(b"Ada\n")

    typist = asyncio.create_task(type_a_line())
    try:
        async with asyncio.timeout(60):
            return await collect(run)
    finally:
        typist.cancel()
        await asyncio.gather(typist, return_exceptions=True)
        await run.close()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_live_cpu_loop_is_stopped_by_its_cpu_time(engine: Engine, language: str) -> None:
    run = await engine.start(live(engine, language, programs.CPU_LOOP[language], timeout_ms=1000))
    result = await live_result(run)
    assert (result.status, result.limit, result.timed_out) == ("timeout", "cpu", True), result
    assert result.output == "go\n"
    assert result.message.startswith("Stopped after 1 s of CPU time")
    # A busy host gives the program less than a whole CPU: it may take longer on the clock.
    assert 900 <= result.duration_ms < 20_000, result


async def test_a_forked_childs_cpu_counts(engine: Engine) -> None:
    run = await engine.start(live(engine, "python", programs.FORKED_CPU_LOOP, timeout_ms=1000))
    result = await live_result(run)
    assert (result.status, result.limit) == ("timeout", "cpu"), result
    assert result.output == "forked\n"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_waiting_for_input_uses_no_cpu_time(engine: Engine, language: str) -> None:
    """Typed 3 s in, with 1 s of CPU time (a JVM's start takes some of it)."""
    run = await engine.start(live(engine, language, programs.GREET[language], timeout_ms=1000))
    result = await live_result(run, stdin_after=3)
    assert result.status == "ok", result
    assert result.output == "name? Hello, Ada!\n"


async def test_a_live_run_that_does_nothing_for_its_idle_time_is_stopped(engine: Engine) -> None:
    code = "import time\ntime.sleep(60)\n"
    result = await live_result(await engine.start(live(engine, "python", code, idle_ms=1000)))
    assert (result.status, result.limit) == ("timeout", "idle"), result
    assert 1000 <= result.duration_ms < 10_000


async def test_a_live_run_is_stopped_at_its_wall_time_however_busy(engine: Engine) -> None:
    code = "import time\nwhile True:\n    print('.', flush=True)\n    time.sleep(0.2)\n"
    run = await engine.start(live(engine, "python", code, idle_ms=1000, wall_ms=2000))
    result = await live_result(run)
    assert (result.status, result.limit) == ("timeout", "wall"), result
    assert 2000 <= result.duration_ms < 10_000


async def test_a_run_fed_up_front_times_out_on_the_wall_clock(engine: Engine) -> None:
    code = "import time\ntime.sleep(5)\n"
    result = await engine.execute(
        checked(engine, "python", code, limits=RequestedLimits(timeout_ms=500))
    )
    assert (result.status, result.limit) == ("timeout", "wall"), result
