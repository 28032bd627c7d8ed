"""The outcome of a finished run, gathered from its events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .events import ExitEvent, OutputEvent, RunEvent, RunStatus, TimeLimit
from .run import Run


@dataclass(frozen=True, slots=True)
class Result:
    """Everything a synchronous caller needs to know about a run."""

    run_id: str
    language: str
    version: str
    status: RunStatus
    output: str
    error: str
    compile_output: str
    exit_code: int | None
    signal: str | None
    timed_out: bool
    truncated: bool
    duration_ms: int
    message: str = ""
    limit: TimeLimit | None = None

    @property
    def success(self) -> bool:
        return self.status is RunStatus.OK


async def collect(run: Run, on_event: Callable[[RunEvent], None] | None = None) -> Result:
    """Drain a run's events into a Result, showing each to `on_event` as it comes."""
    stdout: list[str] = []
    stderr: list[str] = []
    compile_output: list[str] = []
    exit_event: ExitEvent | None = None
    async for event in run.events():
        if on_event is not None:
            on_event(event)
        if isinstance(event, OutputEvent):
            if event.stage == "compile":
                compile_output.append(event.data)
            else:
                (stdout if event.stream == "stdout" else stderr).append(event.data)
        elif isinstance(event, ExitEvent):
            exit_event = event
    assert exit_event is not None
    compiled = "".join(compile_output)
    error = "".join(stderr)
    if exit_event.status is RunStatus.COMPILE_ERROR:
        error = compiled + error
    elif exit_event.status is RunStatus.INTERNAL_ERROR and not error:
        error = exit_event.message
    return Result(
        run_id=run.id,
        language=run.spec.id,
        version=run.version,
        status=exit_event.status,
        output="".join(stdout),
        error=error,
        compile_output=compiled,
        exit_code=exit_event.exit_code,
        signal=exit_event.signal,
        timed_out=exit_event.timed_out,
        truncated=exit_event.truncated,
        duration_ms=exit_event.duration_ms,
        message=exit_event.message,
        limit=exit_event.limit,
    )
