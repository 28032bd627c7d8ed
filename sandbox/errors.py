"""The sandbox's errors: one root, each with a stable code the web layer maps to HTTP."""

from __future__ import annotations

import aiodocker
import aiohttp

# The status aiodocker gives an engine it cannot connect to.
NO_CONNECTION = 900


class SandboxError(Exception):
    """Root of every error the sandbox raises on purpose."""

    code = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(SandboxError):
    """The run request is malformed (bad args, bad limits)."""

    code = "invalid_request"


class UnknownLanguage(SandboxError):
    """No language has this id or alias."""

    code = "unknown_language"


class LimitTooHigh(SandboxError):
    """A requested limit is above the server's maximum."""

    code = "limit_too_high"


class PayloadTooLarge(SandboxError):
    """Code, stdin or arguments over their cap."""

    code = "payload_too_large"


class EngineUnavailable(SandboxError):
    """The Docker engine does not answer, or an image is missing."""

    code = "unavailable"


def engine_gone(exc: BaseException) -> bool:
    """Whether `exc` says the engine did not answer (stopped, restarting, out of reach)."""
    if isinstance(exc, aiodocker.DockerError):
        return exc.status == NO_CONNECTION
    return isinstance(exc, aiohttp.ClientError | OSError)
