"""The container engine: runs untrusted code in fresh, locked-down Docker containers.

A library: it knows nothing of HTTP. `Engine.start()` gives a live `Run` (events out, stdin in,
signals); `Engine.execute()` runs a program to the end and gives a `Result`.
"""

from .engine import Engine, EngineConfig
from .errors import (
    EngineUnavailable,
    InvalidRequest,
    LimitTooHigh,
    PayloadTooLarge,
    SandboxError,
    UnknownLanguage,
)
from .events import ExitEvent, OutputEvent, RunEvent, RunStatus, StageEvent
from .languages import LANGUAGES, LanguageRegistry, LanguageSpec
from .limits import LimitPolicy, Limits, RequestedLimits
from .result import Result
from .run import Run

__all__ = [
    "LANGUAGES",
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
    "UnknownLanguage",
]
