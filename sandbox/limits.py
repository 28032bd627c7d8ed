"""Per-run limits: language defaults, server maxima, and what a request may ask for."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidRequest, LimitTooHigh, PayloadTooLarge
from .languages import LanguageSpec

MIN_TIMEOUT_MS = 100
MIN_MEMORY_MB = 32
MIN_IDLE_MS = 1000
MIN_WALL_MS = 1000


@dataclass(frozen=True, slots=True)
class RequestedLimits:
    """What a caller asked for; None keeps the language default."""

    timeout_ms: int | None = None
    memory_mb: int | None = None
    # A live run's only.
    idle_ms: int | None = None
    wall_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits one run gets, all resolved.

    A run fed its stdin up front has `timeout_ms` on the wall clock. A live run (its stdin
    typed while it runs) has `timeout_ms` of CPU time, `idle_ms` without output or input and
    `wall_ms` in all; waiting for input costs it no CPU.
    """

    timeout_ms: int
    memory_mb: int
    compile_timeout_ms: int
    output_bytes: int
    nano_cpus: int
    pids: int
    tmpfs_mb: int
    nofile: int
    fsize_bytes: int
    idle_ms: int | None = None
    wall_ms: int | None = None

    @property
    def live(self) -> bool:
        return self.wall_ms is not None


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    """Server-wide maxima and fixed settings: a request may ask for any limit from the minimum up
    to these, never past them."""

    max_timeout_ms: int = 30_000
    # A live run's idle and wall limits: each the default, and the most a run may ask for.
    live_idle_ms: int = 300_000
    live_wall_ms: int = 1_800_000
    max_memory_mb: int = 512
    compile_timeout_ms: int = 20_000
    output_bytes: int = 1 << 20
    max_code_bytes: int = 64 << 10
    max_stdin_bytes: int = 1 << 20
    max_args: int = 64
    max_arg_bytes: int = 4096
    cpus: float = 1.0
    pids: int = 64
    tmpfs_mb: int = 64
    nofile: int = 256
    fsize_mb: int = 16

    @property
    def longest_run_ms(self) -> int:
        """The longest any run may take, compile included (a live one runs the longest)."""
        return max(self.max_timeout_ms, self.live_wall_ms) + self.compile_timeout_ms

    def resolve(
        self, spec: LanguageSpec, requested: RequestedLimits | None = None, *, live: bool = False
    ) -> Limits:
        """The limits for one run of `spec`, `live` or fed up front; LimitTooHigh /
        InvalidRequest on a bad request."""
        requested = requested or RequestedLimits()
        idle_ms = wall_ms = None
        if live:
            idle_ms = self._pick(
                "idleMs", requested.idle_ms, self.live_idle_ms, MIN_IDLE_MS, self.live_idle_ms
            )
            wall_ms = self._pick(
                "wallMs", requested.wall_ms, self.live_wall_ms, MIN_WALL_MS, self.live_wall_ms
            )
        elif requested.idle_ms is not None or requested.wall_ms is not None:
            raise InvalidRequest("limits.idleMs and limits.wallMs are for live runs only")
        timeout_ms = self._pick(
            "timeoutMs", requested.timeout_ms, spec.timeout_ms, MIN_TIMEOUT_MS, self.max_timeout_ms
        )
        memory_mb = self._pick(
            "memoryMb", requested.memory_mb, spec.memory_mb, MIN_MEMORY_MB, self.max_memory_mb
        )
        return Limits(
            timeout_ms=timeout_ms,
            memory_mb=memory_mb,
            compile_timeout_ms=self.compile_timeout_ms,
            output_bytes=self.output_bytes,
            nano_cpus=int(self.cpus * 1e9),
            pids=self.pids,
            tmpfs_mb=self.tmpfs_mb,
            nofile=self.nofile,
            fsize_bytes=self.fsize_mb << 20,
            idle_ms=idle_ms,
            wall_ms=wall_ms,
        )

    def check_stdin(self, stdin: bytes) -> None:
        """PayloadTooLarge when stdin given up front is over its cap."""
        if len(stdin) > self.max_stdin_bytes:
            raise PayloadTooLarge(
                f"stdin is {len(stdin)} bytes; the limit is {self.max_stdin_bytes} bytes"
            )

    def check_payload(self, code: str, args: tuple[str, ...]) -> None:
        """PayloadTooLarge / InvalidRequest when code or arguments break their caps."""
        size = len(code.encode())
        if size > self.max_code_bytes:
            raise PayloadTooLarge(f"Code is {size} bytes; the limit is {self.max_code_bytes} bytes")
        if "\x00" in code:
            raise InvalidRequest("Code cannot contain NUL characters")
        if len(args) > self.max_args:
            raise InvalidRequest(f"At most {self.max_args} arguments are allowed, got {len(args)}")
        for arg in args:
            if len(arg.encode()) > self.max_arg_bytes:
                raise PayloadTooLarge(f"An argument is over {self.max_arg_bytes} bytes")
            if "\x00" in arg:
                raise InvalidRequest("Arguments cannot contain NUL characters")

    @staticmethod
    def _pick(name: str, asked: int | None, default: int, low: int, high: int) -> int:
        if asked is None:
            return min(default, high)
        if isinstance(asked, bool) or not isinstance(asked, int):
            raise InvalidRequest(f"limits.{name} must be an integer")
        if asked < low:
            raise InvalidRequest(f"limits.{name} must be at least {low}, got {asked}")
        if asked > high:
            raise LimitTooHigh(f"limits.{name} is {asked}; the server maximum is {high}")
        return asked
