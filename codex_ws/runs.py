"""What every way of starting a run shares: who may, and the request's run parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox import LanguageSpec, RequestedLimits

from . import body
from .admission import Quota
from .errors import ApiError
from .keys import ENGINE, SETTINGS
from .tokens import Identity

_LIMIT_FIELDS = {"timeoutMs": "timeout_ms", "memoryMb": "memory_mb"}


@dataclass(frozen=True, slots=True)
class RunRequest:
    """A checked request to run a program."""

    spec: LanguageSpec
    code: str
    args: tuple[str, ...]
    limits: RequestedLimits


def parse_run(request: web.Request, data: dict[str, Any]) -> RunRequest:
    """language, code, args and limits, checked against the engine's caps before any container."""
    engine = request.app[ENGINE]
    spec = engine.languages.get(body.string(data, "language", max_length=64))
    code = body.string(data, "code")
    args = tuple(body.string_list(data, "args"))
    raw_limits = body.optional_object(data, "limits")
    unknown = sorted(set(raw_limits) - set(_LIMIT_FIELDS))
    if unknown:
        raise ApiError(
            "invalid_request",
            f"Unknown limits: {', '.join(unknown)}; use {', '.join(_LIMIT_FIELDS)}",
        )
    limits = RequestedLimits(
        timeout_ms=body.optional_int(raw_limits, "timeoutMs", "limits.timeoutMs"),
        memory_mb=body.optional_int(raw_limits, "memoryMb", "limits.memoryMb"),
    )
    engine.policy.check_payload(code, args)
    engine.policy.resolve(spec, limits)
    return RunRequest(spec, code, args, limits)


def quota_for(request: web.Request, identity: Identity | None) -> Quota:
    """The caller's limits: per account when signed in, per address otherwise."""
    settings = request.app[SETTINGS]
    if identity is not None:
        return Quota(
            f"user:{identity.user_id}", settings.runs_per_minute, settings.concurrent_runs_per_user
        )
    if not settings.allow_anonymous:
        raise ApiError("unauthorized", "Sign in to run code: anonymous runs are switched off")
    return Quota(
        f"ip:{request.remote or 'unknown'}",
        settings.runs_per_minute_anonymous,
        settings.concurrent_runs_per_user,
    )
