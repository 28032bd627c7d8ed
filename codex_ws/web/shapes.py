"""The wire shapes of the contract: every JSON object the service sends, built here only.

docs/openapi.yaml names each one; a change here is a change of the contract.
"""

from __future__ import annotations

from typing import Any

from sandbox import (
    Engine,
    ExitEvent,
    LanguageSpec,
    OutputEvent,
    Result,
    RunEvent,
    RunStatus,
    StageEvent,
)

from ..domain.exercises import Exercise
from ..domain.grading import CaseVerdict, Verdict
from ..domain.sessions import SessionInfo
from ..domain.users import User
from ..errors import ServiceError
from ..store.history import Execution

Json = dict[str, Any]

PONG: Json = {"type": "pong"}


def error_message(error: ServiceError) -> Json:
    """A WebSocket `error` message: the code, what went wrong, and when to retry if it helps."""
    message: Json = {"type": "error", "code": str(error.code), "message": error.message}
    if error.retry_after is not None:
        message["retryAfter"] = error.retry_after
    return message


def user_json(user: User) -> Json:
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "createdAt": user.created_at.isoformat(),
    }


def signed_in_json(token: str, user: User) -> Json:
    return {"token": token, "user": user_json(user)}


def language_json(engine: Engine, spec: LanguageSpec) -> Json:
    return {
        "id": spec.id,
        "name": spec.name,
        "version": engine.version_of(spec),
        "aliases": list(spec.aliases),
        "compiled": spec.compiled,
        "limits": {
            "timeoutMs": min(spec.timeout_ms, engine.policy.max_timeout_ms),
            "memoryMb": min(spec.memory_mb, engine.policy.max_memory_mb),
        },
    }


def result_json(result: Result) -> Json:
    """What `POST /api/execute` answers."""
    return {
        "success": result.success,
        "output": result.output,
        "error": result.error,
        "exitCode": result.exit_code,
        "status": str(result.status),
        "signal": result.signal,
        "timedOut": result.timed_out,
        "truncated": result.truncated,
        "compileOutput": result.compile_output,
        "durationMs": result.duration_ms,
        "language": result.language,
        "version": result.version,
        "executionId": result.run_id,
        "limit": result.limit,
    }


def execution_json(execution: Execution) -> Json:
    return {
        "id": str(execution.id),
        "source": execution.source,
        "language": execution.language,
        "code": execution.code,
        "status": execution.status,
        "success": execution.status == RunStatus.OK,
        "exitCode": execution.exit_code,
        "signal": execution.signal,
        "timedOut": execution.timed_out,
        "truncated": execution.truncated,
        "durationMs": execution.duration_ms,
        "output": execution.output,
        "error": execution.error,
        "createdAt": execution.created_at.isoformat(),
    }


def event_json(event: RunEvent) -> Json:
    """The WebSocket message of an engine event (and the event watchers and transcripts get)."""
    if isinstance(event, OutputEvent):
        return {"type": event.stream, "data": event.data}
    if isinstance(event, StageEvent):
        return {"type": "stage", "stage": event.stage}
    return exit_json(event)


def exit_json(event: ExitEvent) -> Json:
    message: Json = {
        "type": "exit",
        "status": str(event.status),
        "exitCode": event.exit_code,
        "signal": event.signal,
        "timedOut": event.timed_out,
        "truncated": event.truncated,
        "durationMs": event.duration_ms,
        "limit": event.limit,
    }
    if event.status in (RunStatus.INTERNAL_ERROR, RunStatus.TIMEOUT) and event.message:
        # What failed, or which limit stopped it; and what to do.
        message["message"] = event.message
    return message


def queued_json(position: int) -> Json:
    """A run waits for a sandbox: `position` 1 is the next to get one."""
    return {"type": "queued", "position": position}


def started_json(session_id: str, language: str, version: str) -> Json:
    return {"type": "started", "sessionId": session_id, "language": language, "version": version}


def stdin_json(data: str) -> Json:
    """What watchers see of what the student typed.

    A session's `truncated` event is made where its budget is kept: domain/budget.py.
    """
    return {"type": "stdin", "data": data}


def session_json(session: SessionInfo, *, with_code: bool = False) -> Json:
    data: Json = {
        "id": session.id,
        "userId": session.user_id,
        "userName": session.user_name,
        "language": session.language,
        "state": session.state,
        "startedAt": session.started_at,
        "endedAt": session.ended_at,
        "status": session.status,
    }
    if with_code:
        data["code"] = session.code
    return data


def snapshot_json(session: SessionInfo, events: list[Json]) -> Json:
    """The first message a watcher gets: the session so far."""
    snapshot = session_json(session, with_code=True)
    del snapshot["endedAt"], snapshot["status"]
    return {"type": "snapshot", "session": snapshot, "events": events}


def exercise_summary_json(exercise: Exercise) -> Json:
    return {
        "id": str(exercise.id),
        "slug": exercise.slug,
        "title": exercise.title,
        "difficulty": exercise.difficulty,
        "summary": exercise.summary,
        "languages": sorted(exercise.starter_code),
    }


def exercise_json(exercise: Exercise) -> Json:
    """An exercise with what a student sees of its cases: the examples, never the hidden ones."""
    return {
        **exercise_summary_json(exercise),
        "description": exercise.description,
        "starterCode": exercise.starter_code,
        "examples": [
            {"input": case.input, "output": case.output}
            for case in exercise.cases
            if not case.hidden
        ],
    }


def case_json(case: CaseVerdict) -> Json:
    """A case's verdict; of a hidden case, only whether it passed: its status, output and time
    depend on its input, and a submission could spell the input out in them."""
    verdict: Json = {"index": case.index, "hidden": case.case.hidden, "passed": case.passed}
    if not case.case.hidden:
        verdict |= {
            "status": case.status,
            "input": case.case.input,
            "expected": case.case.output,
            "actual": case.actual,
            "stderr": case.stderr,
            "durationMs": case.duration_ms,
        }
    return verdict


def verdict_json(verdict: Verdict) -> Json:
    return {
        "passed": verdict.passed,
        "status": verdict.shown_status,
        "total": len(verdict.cases),
        "passedCount": verdict.passed_count,
        "compileOutput": verdict.compile_output,
        "results": [case_json(case) for case in verdict.cases],
    }
