"""What every way of starting a run shares: the checked run built from a request, who asks for
it and under which quota, and the services a run uses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox import CheckedRun, Engine, RequestedLimits, check_run

from ..domain.addresses import network_of
from ..domain.draining import Drain
from ..domain.tokens import Identity
from ..errors import Code, ServiceError
from ..store.admission import Admission, Quota
from ..store.history import History
from ..store.sessions import SessionHub
from . import body
from .keys import ADMISSION, DRAIN, ENGINE, HISTORY, SESSIONS, SETTINGS

_LIMIT_FIELDS = ("timeoutMs", "memoryMb")
# A live run's stdin is typed while it runs: its time is counted otherwise (sandbox.Limits).
_LIVE_LIMIT_FIELDS = (*_LIMIT_FIELDS, "idleMs", "wallMs")


def parse_run(engine: Engine, data: dict[str, Any], *, with_stdin: bool = False) -> CheckedRun:
    """language, code, args, limits (and `stdin`, for a run fed up front; without it, a live
    run), checked once here against the engine's caps; the engine takes the result as it is."""
    language = body.string(data, "language", max_length=64)
    code = body.string(data, "code")
    args = tuple(body.string_list(data, "args"))
    raw_limits = body.optional_object(data, "limits")
    known = _LIMIT_FIELDS if with_stdin else _LIVE_LIMIT_FIELDS
    unknown = sorted(set(raw_limits) - set(known))
    if unknown:
        raise ServiceError(
            Code.INVALID_REQUEST,
            f"Unknown limits: {', '.join(unknown)}; use {', '.join(known)}",
        )
    limits = RequestedLimits(
        timeout_ms=body.optional_int(raw_limits, "timeoutMs", "limits.timeoutMs"),
        memory_mb=body.optional_int(raw_limits, "memoryMb", "limits.memoryMb"),
        idle_ms=body.optional_int(raw_limits, "idleMs", "limits.idleMs"),
        wall_ms=body.optional_int(raw_limits, "wallMs", "limits.wallMs"),
    )
    stdin = body.optional_string(data, "stdin").encode() if with_stdin else b""
    return check_run(
        engine.languages,
        engine.policy,
        language,
        code,
        args=args,
        stdin=stdin,
        limits=limits,
        live=not with_stdin,
    )


@dataclass(frozen=True, slots=True)
class Caller:
    """Who starts a run: their identity (None: anonymous), address and quota."""

    identity: Identity | None
    address: str | None
    quota: Quota

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.identity.user_id if self.identity else None


def caller_of(request: web.Request, identity: Identity | None) -> Caller:
    """The caller's limits: per account when signed in, per address otherwise; every run also
    counts toward its address's share of the sandboxes (and the anonymous share)."""
    settings = request.app[SETTINGS]
    address = network_of(request.remote)
    if identity is not None:
        quota = Quota(
            f"user:{identity.user_id}",
            settings.runs_per_minute,
            settings.concurrent_runs_per_user,
            address=address,
        )
    elif not settings.allow_anonymous:
        raise ServiceError(
            Code.UNAUTHORIZED, "Sign in to run code: anonymous runs are switched off"
        )
    else:
        quota = Quota(
            f"ip:{address}",
            settings.runs_per_minute_anonymous,
            settings.concurrent_runs_per_user,
            address=address,
            anonymous=True,
        )
    return Caller(identity, request.remote, quota)


@dataclass(frozen=True, slots=True)
class RunServices:
    """What a run needs of the application, handed to it instead of the request."""

    engine: Engine
    admission: Admission
    drain: Drain
    sessions: SessionHub
    history: History

    @classmethod
    def of(cls, app: web.Application) -> RunServices:
        return cls(app[ENGINE], app[ADMISSION], app[DRAIN], app[SESSIONS], app[HISTORY])
