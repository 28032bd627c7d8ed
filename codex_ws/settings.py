"""Settings, read once from the environment into a typed object."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from sandbox import LimitPolicy

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "postgresql://codex:codex@127.0.0.1:5432/codex"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_POOL = "python=2,javascript=1,java=1,csharp=1"


class SettingsError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def _sizes(env: Mapping[str, str], name: str, default: str) -> dict[str, int]:
    raw = env.get(name, default).strip()
    sizes: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        language, _, count = item.partition("=")
        if not language or not count.strip().isdigit():
            raise SettingsError(f"{name} must look like 'python=2,java=1', got {raw!r}")
        sizes[language.strip()] = int(count)
    return sizes


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


class Secret(str):
    """A string that never shows itself in a repr or a log line."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('**********')"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server is configured with."""

    host: str = "0.0.0.0"
    port: int = 4003
    environment: str = "development"
    database_url: Secret = field(default_factory=lambda: Secret(DEFAULT_DATABASE_URL))
    redis_url: Secret = field(default_factory=lambda: Secret(DEFAULT_REDIS_URL))
    redis_prefix: str = "codex"
    jwt_secret: Secret = field(default_factory=lambda: Secret(secrets.token_urlsafe(32)))
    jwt_ttl_seconds: int = 7 * 24 * 3600
    teacher_code: Secret = field(default_factory=lambda: Secret(""))
    allow_anonymous: bool = True
    runs_per_minute: int = 60
    runs_per_minute_anonymous: int = 30
    concurrent_runs_per_user: int = 3
    max_containers: int = 16
    queue_wait_seconds: float = 5.0
    max_body_bytes: int = 512 * 1024
    validation_seconds: float = 60.0
    allowed_origins: tuple[str, ...] = ()
    pool_sizes: dict[str, int] = field(default_factory=dict)
    pool_max_age_seconds: float = 300.0
    ws_max_message_bytes: int = 256 * 1024
    shutdown_grace_seconds: float = 10.0
    policy: LimitPolicy = field(default_factory=LimitPolicy)

    def __post_init__(self) -> None:
        warm = sum(self.pool_sizes.values())
        if self.max_containers <= warm:
            raise SettingsError(
                f"CODEX_MAX_CONTAINERS ({self.max_containers}) must be more than the warm "
                f"containers of CODEX_POOL ({warm}): they count toward it, and runs need room "
                "too; raise the one or lower the other"
            )

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from the environment; SettingsError names what is wrong."""
        env = os.environ if env is None else env
        environment = env.get("CODEX_ENV", "production").strip().lower() or "production"
        jwt_secret = env.get("CODEX_JWT_SECRET", "")
        if not jwt_secret:
            if environment != "development":
                raise SettingsError(
                    "CODEX_JWT_SECRET is not set: set it to a long random string (for example "
                    "`openssl rand -base64 48`), or set CODEX_ENV=development to use a "
                    "throwaway secret"
                )
            jwt_secret = secrets.token_urlsafe(32)
            log.warning("CODEX_JWT_SECRET is not set: tokens will not survive a restart")
        elif len(jwt_secret) < 32 and environment != "development":
            raise SettingsError("CODEX_JWT_SECRET is too short: use at least 32 characters")
        defaults = LimitPolicy()
        policy = LimitPolicy(
            max_timeout_ms=_int(env, "CODEX_MAX_TIMEOUT_MS", defaults.max_timeout_ms, 100),
            max_memory_mb=_int(env, "CODEX_MAX_MEMORY_MB", defaults.max_memory_mb, 32),
            compile_timeout_ms=_int(
                env, "CODEX_COMPILE_TIMEOUT_MS", defaults.compile_timeout_ms, 1000
            ),
            output_bytes=_int(env, "CODEX_MAX_OUTPUT_BYTES", defaults.output_bytes, 1024),
            max_code_bytes=_int(env, "CODEX_MAX_CODE_BYTES", defaults.max_code_bytes, 1024),
            max_stdin_bytes=_int(env, "CODEX_MAX_STDIN_BYTES", defaults.max_stdin_bytes, 0),
            cpus=_float(env, "CODEX_CPUS", defaults.cpus),
            pids=_int(env, "CODEX_PIDS_LIMIT", defaults.pids, 16),
        )
        return cls(
            host=env.get("CODEX_HOST", "0.0.0.0"),
            port=_int(env, "CODEX_PORT", 4003, 1),
            environment=environment,
            database_url=Secret(env.get("CODEX_DATABASE_URL") or DEFAULT_DATABASE_URL),
            redis_url=Secret(env.get("CODEX_REDIS_URL") or DEFAULT_REDIS_URL),
            redis_prefix=env.get("CODEX_REDIS_PREFIX") or "codex",
            jwt_secret=Secret(jwt_secret),
            jwt_ttl_seconds=_int(env, "CODEX_JWT_TTL_SECONDS", 7 * 24 * 3600, 60),
            teacher_code=Secret(env.get("CODEX_TEACHER_CODE", "")),
            allow_anonymous=_bool(env, "CODEX_ALLOW_ANONYMOUS", True),
            runs_per_minute=_int(env, "CODEX_RUNS_PER_MINUTE", 60, 1),
            runs_per_minute_anonymous=_int(env, "CODEX_RUNS_PER_MINUTE_ANONYMOUS", 30, 1),
            concurrent_runs_per_user=_int(env, "CODEX_CONCURRENT_RUNS_PER_USER", 3, 1),
            max_containers=_int(env, "CODEX_MAX_CONTAINERS", 16, 1),
            queue_wait_seconds=_float(env, "CODEX_QUEUE_WAIT_SECONDS", 5.0),
            max_body_bytes=_int(env, "CODEX_MAX_BODY_BYTES", 512 * 1024, 1024),
            validation_seconds=_float(env, "CODEX_VALIDATION_SECONDS", 60.0),
            allowed_origins=tuple(
                o.strip().rstrip("/")
                for o in env.get("CODEX_ALLOWED_ORIGINS", "").split(",")
                if o.strip()
            ),
            ws_max_message_bytes=_int(env, "CODEX_WS_MAX_MESSAGE_BYTES", 256 * 1024, 1024),
            pool_sizes=_sizes(env, "CODEX_POOL", DEFAULT_POOL),
            pool_max_age_seconds=_float(env, "CODEX_POOL_MAX_AGE_SECONDS", 300.0),
            shutdown_grace_seconds=_float(env, "CODEX_SHUTDOWN_GRACE_SECONDS", 10.0),
            policy=policy,
        )
