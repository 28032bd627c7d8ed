"""A run request checked once, where it comes in, and taken by the engine as it is."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import InvalidRequest
from .framing import SourceFile
from .languages import LanguageRegistry, LanguageSpec
from .limits import LimitPolicy, Limits, RequestedLimits


@dataclass(frozen=True, slots=True)
class CheckedRun:
    """A program to run, its language looked up, its payload and limits checked.

    Made by `check_run`; `Engine.start`, `execute` and `build` check nothing again.
    """

    spec: LanguageSpec
    code: str
    args: tuple[str, ...]
    stdin: bytes
    limits: Limits
    # The source file(s), named as the language needs.
    files: tuple[SourceFile, ...]
    compile_argv: tuple[str, ...]
    run_argv: tuple[str, ...]
    # What the language's warm runtime is asked to run (empty: it has none).
    warm_request: tuple[str, ...]

    def with_stdin(self, stdin: bytes) -> CheckedRun:
        """The same program with other stdin (a grader's hidden cases), not checked again."""
        return dataclasses.replace(self, stdin=stdin)


def check_run(
    languages: LanguageRegistry,
    policy: LimitPolicy,
    language: str,
    code: str,
    *,
    args: Sequence[str] = (),
    stdin: bytes = b"",
    limits: RequestedLimits | None = None,
    live: bool = False,
) -> CheckedRun:
    """Check a run request against the languages and the policy's caps; a `live` one gets a
    live run's limits (`Limits`).

    UnknownLanguage, InvalidRequest, PayloadTooLarge or LimitTooHigh when it is not one to run.
    """
    spec = languages.get(language)
    if isinstance(args, str) or not all(isinstance(a, str) for a in args):
        raise InvalidRequest("args must be a list of strings")
    checked_args = tuple(args)
    policy.check_payload(code, checked_args)
    resolved = policy.resolve(spec, limits, live=live)
    policy.check_stdin(stdin)
    file_name, compile_argv, run_argv = spec.commands(code, checked_args, resolved.memory_mb)
    return CheckedRun(
        spec=spec,
        code=code,
        args=checked_args,
        stdin=stdin,
        limits=resolved,
        files=(SourceFile(file_name, code.encode()),),
        compile_argv=compile_argv,
        run_argv=run_argv,
        warm_request=spec.warm_request_for(code, checked_args),
    )
