"""What a verdict tells of hidden test cases: whether each passed, nothing else; and the hidden
cases run only once every public one is over."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from codex_ws.domain.exercises import Exercise
from codex_ws.domain.exercises import TestCase as Case
from codex_ws.domain.grading import HIDDEN_FAILED, CaseVerdict, Verdict, grade
from codex_ws.web.shapes import verdict_json
from sandbox import CheckedRun, Engine, RunStatus

PUBLIC = Case("1\n", "1\n")
HIDDEN = Case("secret input\n", "42\n", hidden=True)


def _verdict(*cases: tuple[Case, str], compile_failed: bool = False) -> Verdict:
    return Verdict(
        tuple(
            CaseVerdict(i, case, status, actual="out", stderr="err", duration_ms=1234)
            for i, (case, status) in enumerate(cases)
        ),
        "",
        compile_failed=compile_failed,
    )


def test_a_hidden_case_says_only_whether_it_passed() -> None:
    body = verdict_json(_verdict((PUBLIC, "accepted"), (HIDDEN, "timeout"), (HIDDEN, "accepted")))
    public, failed, passed = body["results"]
    assert failed == {"index": 1, "hidden": True, "passed": False}
    assert passed == {"index": 2, "hidden": True, "passed": True}
    assert public["durationMs"] == 1234 and public["status"] == "accepted"


def test_the_overall_status_never_names_how_a_hidden_case_failed() -> None:
    for status in ("timeout", "runtime_error", "memory_limit", "wrong_answer", "output_limit"):
        body = verdict_json(_verdict((PUBLIC, "accepted"), (HIDDEN, status)))
        assert (body["passed"], body["status"], body["passedCount"]) == (False, HIDDEN_FAILED, 1)
        assert "secret" not in str(body) and "1234" not in str(body["results"][1:])


def test_a_public_failure_and_a_failed_compile_are_named() -> None:
    public_failed = _verdict((HIDDEN, "timeout"), (PUBLIC, "wrong_answer"))
    assert verdict_json(public_failed)["status"] == "wrong_answer"
    # A compile does not read any case's input: its status is every case's.
    broken = _verdict((PUBLIC, "compile_error"), (HIDDEN, "compile_error"), compile_failed=True)
    assert verdict_json(broken)["status"] == "compile_error"
    passed = _verdict((PUBLIC, "accepted"), (HIDDEN, "accepted"))
    assert verdict_json(passed)["status"] == "accepted"


@dataclass
class _Build:
    ok: bool = True
    compile_output: str = ""
    status: RunStatus = RunStatus.OK


@dataclass
class _Run:
    stdin: bytes

    def with_stdin(self, stdin: bytes) -> _Run:
        return _Run(stdin)


@dataclass
class _Result:
    output: str
    status: RunStatus = RunStatus.OK
    error: str = ""
    duration_ms: int = 5


@dataclass
class _Engine:
    """Records when each case ran."""

    log: list[tuple[str, str]] = field(default_factory=list)

    async def build(self, checked: Any) -> _Build:
        return _Build()

    async def execute(self, checked: _Run, *, build: Any = None) -> _Result:
        name = checked.stdin.decode().strip()
        self.log.append(("start", name))
        await asyncio.sleep(0.01 if name.startswith("public") else 0)
        self.log.append(("end", name))
        return _Result(output=checked.stdin.decode())


@asynccontextmanager
async def _slot() -> AsyncIterator[None]:
    yield


async def test_hidden_cases_start_only_after_every_public_case_ended() -> None:
    # Interleaved, as a teacher may write them.
    cases = tuple(
        Case(f"{kind}{i}\n", f"{kind}{i}\n", hidden=kind == "hidden")
        for i in range(3)
        for kind in ("hidden", "public")
    )
    exercise = Exercise(uuid.uuid4(), "x", "X", "easy", "", "", {}, cases)
    engine = _Engine()
    verdict = await grade(
        cast(Engine, engine),
        exercise,
        cast(CheckedRun, _Run(b"")),
        container_slot=_slot,
        time_budget=10,
    )
    assert verdict.passed and [c.index for c in verdict.cases] == list(range(6))
    last_public_end = max(i for i, (what, name) in enumerate(engine.log) if name[:6] == "public")
    first_hidden = min(i for i, (what, name) in enumerate(engine.log) if name[:6] == "hidden")
    assert last_public_end < first_hidden, engine.log
