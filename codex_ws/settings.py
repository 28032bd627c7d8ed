"""Settings, read once from the environment into a typed object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from sandbox import LimitPolicy


class SettingsError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server is configured with."""

    host: str = "0.0.0.0"
    port: int = 4003
    policy: LimitPolicy = field(default_factory=LimitPolicy)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = LimitPolicy()
        policy = LimitPolicy(
            max_timeout_ms=_int(env, "CODEX_MAX_TIMEOUT_MS", defaults.max_timeout_ms),
            max_memory_mb=_int(env, "CODEX_MAX_MEMORY_MB", defaults.max_memory_mb),
            compile_timeout_ms=_int(env, "CODEX_COMPILE_TIMEOUT_MS", defaults.compile_timeout_ms),
            output_bytes=_int(env, "CODEX_MAX_OUTPUT_BYTES", defaults.output_bytes),
            max_code_bytes=_int(env, "CODEX_MAX_CODE_BYTES", defaults.max_code_bytes),
            max_stdin_bytes=_int(env, "CODEX_MAX_STDIN_BYTES", defaults.max_stdin_bytes),
            cpus=_float(env, "CODEX_CPUS", defaults.cpus),
            pids=_int(env, "CODEX_PIDS_LIMIT", defaults.pids),
        )
        return cls(
            host=env.get("CODEX_HOST", "0.0.0.0"),
            port=_int(env, "CODEX_PORT", 4003),
            policy=policy,
        )
