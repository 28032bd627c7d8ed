"""Settings: each declared once in `TABLE` (field, variable, parser, minimum, default), read once
from the environment into a typed object. docs/operations.md's settings tables list the same rows
(a test holds them together)."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sandbox import EngineConfig, LimitPolicy
from sandbox.images import BASE_IMAGE

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "postgresql://codex:codex@127.0.0.1:5432/codex"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_POOL = "python=2,javascript=1,java=1,csharp=1"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MIN_JWT_SECRET = 32
_POLICY = LimitPolicy()
_ENGINE = EngineConfig()


class SettingsError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


class Secret(str):
    """A string that never shows itself in a repr or a log line."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('**********')"


# -- parsers: (variable, raw text) -> value ---------------------------------------------


def _integer(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


def _number(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def _boolean(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _text(name: str, raw: str) -> str:
    return raw.strip()


def _lowercase(name: str, raw: str) -> str:
    return raw.strip().lower()


def _secret(name: str, raw: str) -> Secret:
    return Secret(raw)


def _path(name: str, raw: str) -> Path:
    return Path(raw)


def _one_of(choices: tuple[str, ...], *, upper: bool = False) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        value = raw.strip().upper() if upper else raw.strip().lower()
        if value not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
        return value

    return parse


def _origins(name: str, raw: str) -> tuple[str, ...]:
    return tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())


def _pool_sizes(name: str, raw: str) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        language, _, count = item.partition("=")
        if not language or not count.strip().isdigit():
            raise SettingsError(f"{name} must look like 'python=2,java=1', got {raw!r}")
        sizes[language.strip()] = int(count)
    return sizes


@dataclass(frozen=True, slots=True)
class Share:
    """A part of one process's run slots: a count of them, or a percentage (`50%`)."""

    count: int = 0
    percent: float = 0.0

    def of(self, slots: int) -> int | None:
        """How many of `slots` this is: a percentage rounds down, but is never less than 1;
        None for all of them (`100%`: no cap, on this process or on all of them together)."""
        if self.percent >= 100:
            return None
        if self.percent:
            return max(1, int(slots * self.percent / 100))
        return self.count

    def __str__(self) -> str:
        return f"{self.percent:g}%" if self.percent else str(self.count)


def _share(name: str, raw: str) -> Share:
    text = raw.strip()
    try:
        if text.endswith("%"):
            percent = float(text[:-1])
            if 0 < percent <= 100:
                return Share(percent=percent)
        elif int(text) >= 1:
            return Share(count=int(text))
    except ValueError:
        pass
    raise SettingsError(
        f"{name} must be a count of sandboxes (at least 1) or a percentage of them from 0 "
        f"to 100 (like 50%), got {raw!r}"
    )


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: where it lands, the variable it is read from, how, and its default."""

    field: str  # a field of Settings, or "policy.<field>" of its LimitPolicy
    variable: str
    parse: Callable[[str, str], Any]
    default: Any
    minimum: float | None = None
    # Whether a variable set to nothing means the default (else the parser reads "").
    empty_is_default: bool = True

    def read(self, env: Mapping[str, str]) -> Any:
        raw = env.get(self.variable)
        if raw is None or (raw.strip() == "" and self.empty_is_default):
            return self.default
        value = self.parse(self.variable, raw)
        if self.minimum is not None and value < self.minimum:
            raise SettingsError(f"{self.variable} must be at least {self.minimum:g}, got {value}")
        return value


TABLE: tuple[Setting, ...] = (
    # The server
    Setting("host", "CODEX_HOST", _text, "0.0.0.0"),
    Setting("port", "CODEX_PORT", _integer, 4003, 1),
    Setting("environment", "CODEX_ENV", _lowercase, "production"),
    Setting("jwt_secret", "CODEX_JWT_SECRET", _secret, Secret("")),
    Setting("jwt_ttl_seconds", "CODEX_JWT_TTL_SECONDS", _integer, 7 * 24 * 3600, 60),
    Setting("teacher_code", "CODEX_TEACHER_CODE", _secret, Secret("")),
    Setting("database_url", "CODEX_DATABASE_URL", _secret, Secret(DEFAULT_DATABASE_URL)),
    Setting("redis_url", "CODEX_REDIS_URL", _secret, Secret(DEFAULT_REDIS_URL)),
    Setting("redis_prefix", "CODEX_REDIS_PREFIX", _text, "codex"),
    Setting("allowed_origins", "CODEX_ALLOWED_ORIGINS", _origins, ()),
    # Accounts
    Setting("registrations_per_hour", "CODEX_REGISTRATIONS_PER_HOUR", _integer, 50, 1),
    Setting("login_failures_per_account", "CODEX_LOGIN_FAILURES_PER_ACCOUNT", _integer, 5, 1),
    Setting("login_failures_per_address", "CODEX_LOGIN_FAILURES_PER_ADDRESS", _integer, 50, 1),
    Setting("login_max_delay_seconds", "CODEX_LOGIN_MAX_DELAY_SECONDS", _integer, 900, 1),
    Setting("password_threads", "CODEX_PASSWORD_THREADS", _integer, 2, 1),
    Setting("password_queue", "CODEX_PASSWORD_QUEUE", _integer, 16, 0),
    Setting("max_body_bytes", "CODEX_MAX_BODY_BYTES", _integer, 4 << 20, 1024),
    Setting("ws_max_message_bytes", "CODEX_WS_MAX_MESSAGE_BYTES", _integer, 256 << 10, 1024),
    Setting("header_timeout_seconds", "CODEX_HEADER_TIMEOUT_SECONDS", _number, 10.0, 1),
    Setting("idle_timeout_seconds", "CODEX_IDLE_TIMEOUT_SECONDS", _number, 30.0, 1),
    Setting("max_connections_per_ip", "CODEX_MAX_CONNECTIONS_PER_IP", _integer, 256, 0),
    Setting("shutdown_grace_seconds", "CODEX_SHUTDOWN_GRACE_SECONDS", _number, 10.0, 0),
    Setting("log_level", "CODEX_LOG_LEVEL", _one_of(LOG_LEVELS, upper=True), "INFO"),
    # Runs
    Setting("allow_anonymous", "CODEX_ALLOW_ANONYMOUS", _boolean, True),
    Setting("runs_per_minute", "CODEX_RUNS_PER_MINUTE", _integer, 60, 1),
    Setting("runs_per_minute_anonymous", "CODEX_RUNS_PER_MINUTE_ANONYMOUS", _integer, 30, 1),
    Setting("concurrent_runs_per_user", "CODEX_CONCURRENT_RUNS_PER_USER", _integer, 3, 1),
    Setting("max_share_per_address", "CODEX_MAX_SHARE_PER_ADDRESS", _share, Share(percent=50)),
    Setting("anonymous_share", "CODEX_ANONYMOUS_SHARE", _share, Share(percent=25)),
    Setting("max_containers", "CODEX_MAX_CONTAINERS", _integer, 16, 1),
    Setting("queue_wait_seconds", "CODEX_QUEUE_WAIT_SECONDS", _number, 5.0, 0),
    Setting("validation_seconds", "CODEX_VALIDATION_SECONDS", _number, 60.0, 1),
    Setting("validations_per_minute", "CODEX_VALIDATIONS_PER_MINUTE", _integer, 5, 1),
    Setting("snippets_per_minute", "CODEX_SNIPPETS_PER_MINUTE", _integer, 10, 1),
    Setting(
        "pool_sizes",
        "CODEX_POOL",
        _pool_sizes,
        _pool_sizes("CODEX_POOL", DEFAULT_POOL),
        empty_is_default=False,  # set to nothing: no warm containers
    ),
    Setting("pool_max_age_seconds", "CODEX_POOL_MAX_AGE_SECONDS", _number, 300.0, 1),
    # What a live session stores (its Redis stream, its transcript in PostgreSQL)
    Setting("session_stored_bytes", "CODEX_SESSION_STORED_BYTES", _integer, 256 << 10, 4096),
    Setting("session_stdin_bytes", "CODEX_SESSION_STDIN_BYTES", _integer, 64 << 10, 0),
    # Limits of each run
    Setting("policy.max_timeout_ms", "CODEX_MAX_TIMEOUT_MS", _integer, _POLICY.max_timeout_ms, 100),
    Setting("policy.live_idle_ms", "CODEX_LIVE_IDLE_MS", _integer, _POLICY.live_idle_ms, 1000),
    Setting("policy.live_wall_ms", "CODEX_LIVE_WALL_MS", _integer, _POLICY.live_wall_ms, 1000),
    Setting("policy.max_memory_mb", "CODEX_MAX_MEMORY_MB", _integer, _POLICY.max_memory_mb, 32),
    Setting(
        "policy.compile_timeout_ms",
        "CODEX_COMPILE_TIMEOUT_MS",
        _integer,
        _POLICY.compile_timeout_ms,
        1000,
    ),
    Setting("policy.output_bytes", "CODEX_MAX_OUTPUT_BYTES", _integer, _POLICY.output_bytes, 1024),
    Setting(
        "policy.max_code_bytes", "CODEX_MAX_CODE_BYTES", _integer, _POLICY.max_code_bytes, 1024
    ),
    Setting(
        "policy.max_stdin_bytes", "CODEX_MAX_STDIN_BYTES", _integer, _POLICY.max_stdin_bytes, 0
    ),
    Setting("policy.cpus", "CODEX_CPUS", _number, _POLICY.cpus, 0),
    Setting("policy.pids", "CODEX_PIDS_LIMIT", _integer, _POLICY.pids, 16),
    # The Docker engine
    Setting("docker_host", "DOCKER_HOST", _text, _ENGINE.docker_host),
    Setting("docker_tls_verify", "DOCKER_TLS_VERIFY", _boolean, False),
    Setting("seccomp_profile", "CODEX_SECCOMP_PROFILE", _path, _ENGINE.seccomp_profile),
    Setting("base_image", "CODEX_BASE_IMAGE", _text, BASE_IMAGE),
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server is configured with (`from_env`, or `defaults` in tests)."""

    host: str
    port: int
    environment: str
    jwt_secret: Secret
    jwt_ttl_seconds: int
    teacher_code: Secret
    database_url: Secret
    redis_url: Secret
    redis_prefix: str
    allowed_origins: tuple[str, ...]
    registrations_per_hour: int
    login_failures_per_account: int
    login_failures_per_address: int
    login_max_delay_seconds: int
    password_threads: int
    password_queue: int
    max_body_bytes: int
    ws_max_message_bytes: int
    header_timeout_seconds: float
    idle_timeout_seconds: float
    max_connections_per_ip: int
    shutdown_grace_seconds: float
    log_level: str
    allow_anonymous: bool
    runs_per_minute: int
    runs_per_minute_anonymous: int
    concurrent_runs_per_user: int
    max_share_per_address: Share
    anonymous_share: Share
    max_containers: int
    queue_wait_seconds: float
    validation_seconds: float
    validations_per_minute: int
    snippets_per_minute: int
    pool_sizes: dict[str, int]
    pool_max_age_seconds: float
    session_stored_bytes: int
    session_stdin_bytes: int
    docker_host: str
    docker_tls_verify: bool
    seccomp_profile: Path
    base_image: str
    policy: LimitPolicy

    def __post_init__(self) -> None:
        warm = sum(self.pool_sizes.values())
        if self.max_containers <= warm:
            raise SettingsError(
                f"CODEX_MAX_CONTAINERS ({self.max_containers}) must be more than the warm "
                f"containers of CODEX_POOL ({warm}): they count toward it, and runs need room "
                "too; raise the one or lower the other"
            )
        largest_run = self.policy.max_code_bytes + self.policy.max_stdin_bytes
        if self.max_body_bytes <= largest_run:
            raise SettingsError(
                f"CODEX_MAX_BODY_BYTES ({self.max_body_bytes}) must be more than "
                f"CODEX_MAX_CODE_BYTES plus CODEX_MAX_STDIN_BYTES ({largest_run}), or a request "
                "with the largest code and stdin allowed is refused: raise it"
            )

    @classmethod
    def defaults(cls, **changes: Any) -> Settings:
        """The table's defaults (with a throwaway JWT secret), then `changes`."""
        values: dict[str, Any] = {
            s.field: s.default for s in TABLE if not s.field.startswith("policy.")
        }
        values |= {"jwt_secret": Secret(secrets.token_urlsafe(32)), "policy": LimitPolicy()}
        return cls(**(values | changes))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from the environment; SettingsError names what is wrong."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        limits: dict[str, Any] = {}
        for setting in TABLE:
            target, _, name = setting.field.rpartition(".")
            (limits if target == "policy" else values)[name] = setting.read(env)
        values["jwt_secret"] = _jwt_secret(values["jwt_secret"], values["environment"])
        return cls(**values, policy=LimitPolicy(**limits))


def _jwt_secret(given: Secret, environment: str) -> Secret:
    if environment == "development":
        if not given:
            log.warning("CODEX_JWT_SECRET is not set: tokens will not survive a restart")
            return Secret(secrets.token_urlsafe(32))
        return given
    if not given:
        raise SettingsError(
            "CODEX_JWT_SECRET is not set: set it to a long random string (for example "
            "`openssl rand -base64 48`), or set CODEX_ENV=development to use a "
            "throwaway secret"
        )
    if len(given) < MIN_JWT_SECRET:
        raise SettingsError(
            f"CODEX_JWT_SECRET is too short: use at least {MIN_JWT_SECRET} characters"
        )
    return given


def read_one(name: str, env: Mapping[str, str] | None = None) -> Any:
    """One setting by its field name, for commands that need no full Settings (and no secret)."""
    setting = next(s for s in TABLE if s.field == name)
    return setting.read(os.environ if env is None else env)


def setting_fields() -> set[str]:
    """The Settings fields the table fills (a test holds the two together)."""
    return {f.name for f in fields(Settings)} - {"policy"}
