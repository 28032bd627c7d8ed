"""How a run ended: every rule of the verdict, and which rule wins when several apply."""

from __future__ import annotations

import dataclasses

import pytest

from sandbox import RunStatus
from sandbox.events import StageName
from sandbox.verdict import Facts, TimeOut, Verdict, signal_of, verdict

# A program that ran and exited 0.
RAN = Facts(exit_code=0, stage="run")


def test_exit_codes_above_128_name_their_signal() -> None:
    assert signal_of(137) == "SIGKILL"
    assert signal_of(130) == "SIGINT"
    assert signal_of(1) is None
    assert signal_of(None) is None
    assert signal_of(255) is None


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (RAN, Verdict(RunStatus.OK, None)),
        (Facts(exit_code=3, stage="run"), Verdict(RunStatus.RUNTIME_ERROR, None)),
        (Facts(exit_code=130, stage="run"), Verdict(RunStatus.KILLED, "SIGINT")),
        (Facts(exit_code=137, stage="run"), Verdict(RunStatus.KILLED, "SIGKILL")),
        (
            Facts(exit_code=0, failure="the engine stopped answering", stage="run"),
            Verdict(RunStatus.INTERNAL_ERROR, None, "the engine stopped answering"),
        ),
        (
            Facts(exit_code=1, runner_error="no such file"),
            Verdict(RunStatus.INTERNAL_ERROR, None, "no such file"),
        ),
        (
            Facts(exit_code=137, time_out=TimeOut("wall", 10_000), stage="run"),
            Verdict(
                RunStatus.TIMEOUT,
                "SIGKILL",
                "Stopped after 10 s, the most a run may take: look for a loop that never ends",
                "wall",
            ),
        ),
        (Facts(exit_code=137, oom=True, stage="run"), Verdict(RunStatus.MEMORY_LIMIT, "SIGKILL")),
        (
            Facts(exit_code=1, compile_failed=True, stage="compile"),
            Verdict(RunStatus.COMPILE_ERROR, None),
        ),
        (
            Facts(exit_code=137, truncated=True, stage="compile"),
            Verdict(RunStatus.COMPILE_ERROR, "SIGKILL"),
        ),
        (
            Facts(exit_code=137, truncated=True, output_limited=True, stage="run"),
            Verdict(RunStatus.OUTPUT_LIMIT, "SIGKILL"),
        ),
        (
            Facts(exit_code=None, killed_by_close=True, stage="run"),
            Verdict(RunStatus.KILLED, "SIGKILL"),
        ),
        (
            Facts(exit_code=0, mode="compile", artifacts_ready=True, stage="compile"),
            Verdict(RunStatus.OK, None),
        ),
        (
            Facts(exit_code=2, stage="compile"),
            Verdict(
                RunStatus.INTERNAL_ERROR, None, "The runner never started the program (exit code 2)"
            ),
        ),
        (
            Facts(exit_code=None),
            Verdict(
                RunStatus.INTERNAL_ERROR,
                None,
                "The runner never started the program (exit code None)",
            ),
        ),
    ],
    ids=[
        "ok",
        "exit code",
        "signal",
        "sigkill",
        "engine failure",
        "runner error",
        "timeout",
        "oom",
        "compile error",
        "compile output cut",
        "output limit",
        "closed",
        "compiled",
        "never ran",
        "never started at all",
    ],
)
def test_each_rule(facts: Facts, expected: Verdict) -> None:
    assert verdict(facts) == expected


# Every fact that decides a status on its own, as it would be seen in a run that also ran.
DECIDING = {
    "failure": {"failure": "the engine stopped answering"},
    "runner_error": {"runner_error": "the runner failed"},
    "time_out": {"time_out": TimeOut("cpu", 10_000)},
    "oom": {"oom": True},
    "compile_failed": {"compile_failed": True},
    "output_limited": {"output_limited": True, "truncated": True},
    "killed_by_close": {"killed_by_close": True},
    "signal": {"exit_code": 143},
    "exit_code": {"exit_code": 1},
}
STATUS = {
    "failure": RunStatus.INTERNAL_ERROR,
    "runner_error": RunStatus.INTERNAL_ERROR,
    "time_out": RunStatus.TIMEOUT,
    "oom": RunStatus.MEMORY_LIMIT,
    "compile_failed": RunStatus.COMPILE_ERROR,
    "output_limited": RunStatus.OUTPUT_LIMIT,
    "killed_by_close": RunStatus.KILLED,
    "signal": RunStatus.KILLED,
    "exit_code": RunStatus.RUNTIME_ERROR,
}
ORDER = list(DECIDING)
# Each fact with each weaker one (a signal and an exit code are one exit code: not a pair).
PAIRS = [
    (a, b) for i, a in enumerate(ORDER) for b in ORDER[i + 1 :] if (a, b) != ("signal", "exit_code")
]


@pytest.mark.parametrize(("stronger", "weaker"), PAIRS)
def test_precedence(stronger: str, weaker: str) -> None:
    """Of two facts, the one earlier in ORDER decides, whichever else is true."""
    facts = dataclasses.replace(RAN, **DECIDING[weaker], **DECIDING[stronger])
    assert verdict(facts).status is STATUS[stronger]


def test_the_engine_failure_is_the_message_over_the_runner_error() -> None:
    facts = dataclasses.replace(RAN, failure="engine lost", runner_error="runner failed")
    assert verdict(facts) == Verdict(RunStatus.INTERNAL_ERROR, None, "engine lost")


def test_a_timeout_beats_running_out_of_memory() -> None:
    facts = dataclasses.replace(RAN, exit_code=137, time_out=TimeOut("wall", 100), oom=True)
    assert (verdict(facts).status, verdict(facts).signal) == (RunStatus.TIMEOUT, "SIGKILL")


def test_an_output_limit_beats_a_runtime_error() -> None:
    facts = dataclasses.replace(RAN, exit_code=1, output_limited=True, truncated=True)
    assert verdict(facts).status is RunStatus.OUTPUT_LIMIT


def test_compiler_output_cut_at_the_cap_is_a_compile_error_not_an_output_limit() -> None:
    facts = Facts(exit_code=137, truncated=True, stage="compile")
    assert verdict(facts).status is RunStatus.COMPILE_ERROR
    # The same cut in the run stage is the program's output limit.
    facts = Facts(exit_code=137, truncated=True, output_limited=True, stage="run")
    assert verdict(facts).status is RunStatus.OUTPUT_LIMIT


def test_a_close_reports_sigkill_whatever_the_exit_code_or_stage() -> None:
    facts = dataclasses.replace(RAN, exit_code=None, killed_by_close=True)
    assert verdict(facts) == Verdict(RunStatus.KILLED, "SIGKILL")
    # Closed before the runner started the program: killed, not an internal error.
    assert verdict(Facts(exit_code=None, killed_by_close=True)) == Verdict(
        RunStatus.KILLED, "SIGKILL"
    )


def test_a_compile_run_without_its_artifacts_never_ran() -> None:
    facts = Facts(exit_code=0, mode="compile", stage="compile")
    assert verdict(facts).status is RunStatus.INTERNAL_ERROR
    # A failed compiler beats missing artifacts; a non-zero exit with artifacts is no success.
    assert verdict(dataclasses.replace(facts, compile_failed=True)).status is (
        RunStatus.COMPILE_ERROR
    )
    assert verdict(Facts(exit_code=1, mode="compile", artifacts_ready=True, stage="compile")) == (
        Verdict(
            RunStatus.INTERNAL_ERROR, None, "The runner never started the program (exit code 1)"
        )
    )


def test_a_program_that_never_ran_is_an_internal_error_before_its_exit_code_counts() -> None:
    assert verdict(Facts(exit_code=137, stage="compile")) == Verdict(
        RunStatus.INTERNAL_ERROR,
        "SIGKILL",
        "The runner never started the program (exit code 137)",
    )


@pytest.mark.parametrize(
    ("time_out", "stage", "message"),
    [
        (
            TimeOut("cpu", 10_000),
            "run",
            "Stopped after 10 s of CPU time: look for a loop that never ends "
            "(waiting for input uses none)",
        ),
        (
            TimeOut("idle", 300_000),
            "run",
            "Stopped after 5 min without output or input: type what it waits for sooner, "
            "or make it print as it works",
        ),
        (
            TimeOut("wall", 1_800_000),
            "run",
            "Stopped after 30 min, the most a run may take: look for a loop that never ends",
        ),
        (
            TimeOut("wall", 1500),
            "compile",
            "Stopped after compiling for 1.5 s: make the program smaller or simpler",
        ),
    ],
)
def test_a_timeout_says_which_limit_and_what_to_do(
    time_out: TimeOut, stage: StageName, message: str
) -> None:
    assert verdict(Facts(exit_code=137, time_out=time_out, stage=stage)) == Verdict(
        RunStatus.TIMEOUT, "SIGKILL", message, time_out.limit
    )
