"""The sandbox's errors: one root, each with a stable code the web layer maps to HTTP."""

from __future__ import annotations

from typing import Literal

import aiodocker
import aiohttp

# The status aiodocker gives an engine it cannot connect to.
NO_CONNECTION = 900
# What talking to the Docker engine raises when it fails.
DOCKER_ERRORS = (aiodocker.DockerError, aiohttp.ClientError, OSError)

# Where a sandbox was when the engine failed it: being created, or being started (attached,
# started, handed its frame).
Step = Literal["create", "start"]


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


def unreachable(docker_host: str, exc: BaseException) -> EngineUnavailable:
    """The engine at `docker_host` did not answer."""
    return EngineUnavailable(
        f"Docker engine not reachable at {docker_host}: is dockerd running? set DOCKER_HOST; "
        f"if it is restarting, try again in a few seconds ({exc.__class__.__name__}: {exc})"
    )


def sandbox_unavailable(
    exc: BaseException, *, step: Step, language: str, image: str, docker_host: str
) -> EngineUnavailable:
    """What `exc` (one of DOCKER_ERRORS, raised at `step` of a `language` sandbox) means for
    the caller: the engine is gone, the image is missing, or Docker refused."""
    if engine_gone(exc):
        if step == "create":
            return unreachable(docker_host, exc)
        return EngineUnavailable(
            f"The Docker engine dropped the {language} sandbox as it started (is dockerd "
            f"restarting?): try again in a few seconds ({exc.__class__.__name__}: {exc})"
        )
    if step == "start":
        return EngineUnavailable(f"Could not start the {language} sandbox: {exc}")
    if isinstance(exc, aiodocker.DockerError) and exc.status == 404:
        return EngineUnavailable(
            f"The {language} sandbox image {image} is missing: "
            f"build it with `codex-ws images build {language}`"
        )
    return EngineUnavailable(f"Docker refused to create the {language} sandbox: {exc}")
