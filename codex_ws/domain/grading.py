"""Checking a solution against an exercise's test cases: compile once, run each case in its own
container, compare outputs line by line with trailing whitespace ignored."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from sandbox import CheckedRun, Engine, Result, RunStatus

from .exercises import Exercise, TestCase

ContainerSlot = Callable[[], AbstractAsyncContextManager[None]]
CASES_AT_ONCE = 2
# The verdict's status when only hidden cases failed: how they failed is not said.
HIDDEN_FAILED = "hidden_failed"


def containers_at_once(exercise: Exercise) -> int:
    """The most containers a validation of `exercise` has at once (its compile runs alone)."""
    return max(1, min(CASES_AT_ONCE, len(exercise.cases)))


def runs_counted(exercise: Exercise) -> int:
    """What a validation counts against the runs a minute: its compile, and each case."""
    return 1 + len(exercise.cases)


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def same_output(expected: str, actual: str) -> bool:
    """Equal line by line, ignoring trailing whitespace and trailing blank lines."""
    return _lines(expected) == _lines(actual)


@dataclass(frozen=True, slots=True)
class CaseVerdict:
    index: int
    case: TestCase
    status: str
    actual: str = ""
    stderr: str = ""
    duration_ms: int = 0

    @property
    def passed(self) -> bool:
        return self.status == "accepted"


@dataclass(frozen=True, slots=True)
class Verdict:
    cases: tuple[CaseVerdict, ...]
    compile_output: str
    compile_failed: bool = False

    @property
    def passed_count(self) -> int:
        return sum(case.passed for case in self.cases)

    @property
    def passed(self) -> bool:
        return self.passed_count == len(self.cases)

    @property
    def status(self) -> str:
        """`accepted`, or the status of the first case that was not."""
        return next((c.status for c in self.cases if not c.passed), "accepted")

    @property
    def shown_status(self) -> str:
        """The status the student is told: `accepted`; that of a failed compile (the same for
        every case); that of the first public case that failed; else `hidden_failed`. How a
        hidden case failed depends on its input, so it is never said."""
        if self.passed or self.compile_failed:
            return self.status
        public = (c.status for c in self.cases if not c.passed and not c.case.hidden)
        return next(public, HIDDEN_FAILED)


def _case_verdict(index: int, case: TestCase, result: Result) -> CaseVerdict:
    if result.status is RunStatus.OK:
        status = "accepted" if same_output(case.output, result.output) else "wrong_answer"
    else:
        status = str(result.status)
    return CaseVerdict(index, case, status, result.output, result.error, result.duration_ms)


async def grade(
    engine: Engine,
    exercise: Exercise,
    checked: CheckedRun,
    *,
    container_slot: ContainerSlot,
    time_budget: float,
    cases_at_once: int = CASES_AT_ONCE,
) -> Verdict:
    """Compile once, then run every case (`cases_at_once` at a time) within `time_budget`
    seconds."""
    cases = exercise.cases
    async with container_slot():
        build = await engine.build(checked)
    if not build.ok:
        status = str(build.status)
        return Verdict(
            tuple(CaseVerdict(i, case, status) for i, case in enumerate(cases)),
            build.compile_output,
            compile_failed=True,
        )

    gate = asyncio.Semaphore(cases_at_once)

    async def run_case(index: int, case: TestCase) -> CaseVerdict:
        async with gate, container_slot():
            result = await engine.execute(checked.with_stdin(case.input.encode()), build=build)
        return _case_verdict(index, case, result)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + time_budget
    verdicts: dict[int, CaseVerdict] = {}
    # The public cases first, the hidden ones once they are all over: what the student sees of
    # a public case (its output, its time) cannot then depend on a hidden one beside it.
    for hidden in (False, True):
        batch = [(i, case) for i, case in enumerate(cases) if case.hidden == hidden]
        if batch:
            verdicts |= await _run_batch(batch, run_case, max(0.0, deadline - loop.time()))
    return Verdict(tuple(verdicts[i] for i in range(len(cases))), build.compile_output)


async def _run_batch(
    batch: list[tuple[int, TestCase]],
    run_case: Callable[[int, TestCase], Coroutine[Any, Any, CaseVerdict]],
    time_budget: float,
) -> dict[int, CaseVerdict]:
    """Run cases at once (`run_case` limits how many); those still going after `time_budget`
    seconds are `timeout`."""
    tasks = [asyncio.create_task(run_case(i, case)) for i, case in batch]
    try:
        done, pending = await asyncio.wait(tasks, timeout=time_budget)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    verdicts = {}
    for (index, case), task in zip(batch, tasks, strict=True):
        if task in done and task.exception() is None:
            verdicts[index] = task.result()
        elif task in pending:
            verdicts[index] = CaseVerdict(index, case, "timeout")
        else:
            error = task.exception()
            assert error is not None
            raise error
    return verdicts
