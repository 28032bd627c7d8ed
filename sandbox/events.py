"""What a run reports while it happens: output, stages, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Stream = Literal["stdout", "stderr"]
StageName = Literal["compile", "run"]
# Which time limit ended a run: its CPU time (a live run's), its time without output or input
# (a live run's), or the wall clock.
TimeLimit = Literal["cpu", "idle", "wall"]
# The signals a caller may send a running program.
SIGNALS = ("SIGINT", "SIGTERM", "SIGKILL")


class RunStatus(StrEnum):
    """How a run ended (the `status` of the wire contract)."""

    OK = "ok"
    RUNTIME_ERROR = "runtime_error"
    COMPILE_ERROR = "compile_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    KILLED = "killed"
    INTERNAL_ERROR = "internal_error"


@dataclass(slots=True)
class OutputEvent:
    """Text the program (or, during the compile stage, the compiler) wrote."""

    stream: Stream
    data: str
    stage: StageName = "run"


@dataclass(frozen=True, slots=True)
class StageEvent:
    """A compiled language moved to a new stage."""

    stage: StageName


@dataclass(frozen=True, slots=True)
class ExitEvent:
    """The run is over; always the last event."""

    status: RunStatus
    exit_code: int | None
    signal: str | None
    timed_out: bool
    truncated: bool
    duration_ms: int
    # What failed (internal_error), or which limit stopped it and what to do (timeout).
    message: str = ""
    limit: TimeLimit | None = None


RunEvent = OutputEvent | StageEvent | ExitEvent
