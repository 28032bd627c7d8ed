"""The container engine: runs untrusted code in fresh, locked-down Docker containers.

A library: it knows nothing of HTTP, nor of the environment. A request is checked once, by
`check_run()`, into a `CheckedRun`; `Engine.start()` gives a live `Run` of it (events out, stdin
in, signals); `Engine.execute()` runs it to the end and gives a `Result`.
"""

from .checked_run import CheckedRun, check_run
from .engine import Engine, EngineConfig
from .errors import (
    EngineUnavailable,
    InvalidRequest,
    LimitTooHigh,
    PayloadTooLarge,
    SandboxError,
    UnknownLanguage,
)
from .events import (
    SIGNALS,
    ExitEvent,
    OutputEvent,
    RunEvent,
    RunStatus,
    StageEvent,
    TimeLimit,
)
from .languages import LANGUAGES, LanguageRegistry, LanguageSpec
from .limits import LimitPolicy, Limits, RequestedLimits
from .result import Result
from .run import Run

__all__ = [
    "LANGUAGES",
    "SIGNALS",
    "CheckedRun",
    "Engine",
    "EngineConfig",
    "EngineUnavailable",
    "ExitEvent",
    "InvalidRequest",
    "LanguageRegistry",
    "LanguageSpec",
    "LimitPolicy",
    "LimitTooHigh",
    "Limits",
    "OutputEvent",
    "PayloadTooLarge",
    "RequestedLimits",
    "Result",
    "Run",
    "RunEvent",
    "RunStatus",
    "SandboxError",
    "StageEvent",
    "TimeLimit",
    "UnknownLanguage",
    "check_run",
]
