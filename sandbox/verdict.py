"""How a run ended, decided from what is known about it once it has: status, signal, message."""

from __future__ import annotations

import signal as signals
from dataclasses import dataclass

from .events import RunStatus, StageName, TimeLimit
from .framing import Mode


def signal_of(exit_code: int | None) -> str | None:
    """The signal behind an exit code of 128+N (how the container's init reports a killed child)."""
    if exit_code is None or not 128 < exit_code < 128 + 65:
        return None
    try:
        return signals.Signals(exit_code - 128).name
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class TimeOut:
    """The time limit that ended a run, and how long it was."""

    limit: TimeLimit
    ms: int


@dataclass(frozen=True, slots=True)
class Facts:
    """What is known about a run once it is over."""

    exit_code: int | None
    # The container was killed for lack of memory (only Docker can tell).
    oom: bool = False
    # The engine failed the run (it stopped answering, say): what happened.
    failure: str = ""
    # The runner reported an error of its own, or the engine's checks of its output failed.
    runner_error: str = ""
    # A time limit ended it.
    time_out: TimeOut | None = None
    # The runner said the compiler failed.
    compile_failed: bool = False
    # Output (or compiler output) was cut at the cap.
    truncated: bool = False
    # The program's output reached the cap (and the program was killed for it).
    output_limited: bool = False
    # The caller closed the run before it ended.
    killed_by_close: bool = False
    mode: Mode = "run"
    # A compile-mode run wrote out what the compiler made.
    artifacts_ready: bool = False
    # The stage the runner last announced (None: it announced none).
    stage: StageName | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    status: RunStatus
    signal: str | None
    message: str = ""
    limit: TimeLimit | None = None


def verdict(facts: Facts) -> Verdict:
    """The run's status, the signal that ended it, for an internal error what failed, and for
    a timeout which limit and what to do.

    The first rule that applies decides: a failure of the engine or the runner, then the time
    limit, the memory limit, a compile error, the output limit, a close, a finished compile,
    a runner that never started the program, a signal, an exit code.
    """
    signal = signal_of(facts.exit_code)
    message = facts.failure or facts.runner_error
    if message:
        return Verdict(RunStatus.INTERNAL_ERROR, signal, message)
    if facts.time_out is not None:
        return Verdict(
            RunStatus.TIMEOUT, signal, _stopped(facts.time_out, facts.stage), facts.time_out.limit
        )
    if facts.oom:
        return Verdict(RunStatus.MEMORY_LIMIT, signal)
    if facts.compile_failed or (facts.truncated and facts.stage == "compile"):
        return Verdict(RunStatus.COMPILE_ERROR, signal)
    if facts.output_limited:
        return Verdict(RunStatus.OUTPUT_LIMIT, signal)
    if facts.killed_by_close:
        return Verdict(RunStatus.KILLED, "SIGKILL")
    if facts.mode == "compile" and facts.artifacts_ready and facts.exit_code == 0:
        return Verdict(RunStatus.OK, signal)
    if facts.stage != "run":
        return Verdict(
            RunStatus.INTERNAL_ERROR,
            signal,
            f"The runner never started the program (exit code {facts.exit_code})",
        )
    if signal:
        return Verdict(RunStatus.KILLED, signal)
    if facts.exit_code:
        return Verdict(RunStatus.RUNTIME_ERROR, signal)
    return Verdict(RunStatus.OK, signal)


def _stopped(time_out: TimeOut, stage: StageName | None) -> str:
    """What a person is told of a timeout: which limit, and what to do about it."""
    spent = _duration(time_out.ms)
    if time_out.limit == "cpu":
        return (
            f"Stopped after {spent} of CPU time: look for a loop that never ends "
            "(waiting for input uses none)"
        )
    if time_out.limit == "idle":
        return (
            f"Stopped after {spent} without output or input: type what it waits for sooner, "
            "or make it print as it works"
        )
    if stage == "compile":
        return f"Stopped after compiling for {spent}: make the program smaller or simpler"
    return f"Stopped after {spent}, the most a run may take: look for a loop that never ends"


def _duration(ms: int) -> str:
    if ms >= 60_000 and ms % 60_000 == 0:
        return f"{ms // 60_000} min"
    return f"{ms / 1000:g} s"
