"""The wire shapes of the contract: every JSON object the service sends, built here only.

docs/openapi.yaml names each one; a change here is a change of the contract.
"""

from __future__ import annotations

from datetime import datetime
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

from ..domain.classes import (
    Assignment,
    ClassInfo,
    LastValidation,
    Member,
    Person,
    ProgressCell,
)
from ..domain.exercises import Exercise
from ..domain.grading import CaseVerdict, Verdict
from ..domain.sessions import SessionInfo
from ..domain.snippets import Snippet
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


def person_json(person: Person) -> Json:
    return {"id": str(person.id), "name": person.name, "email": person.email}


def class_json(info: ClassInfo) -> Json:
    """A class as its teachers see it."""
    return {
        "id": str(info.id),
        "name": info.name,
        "joinCode": info.join_code,
        "teachers": [person_json(t) for t in info.teachers],
        "createdAt": info.created_at.isoformat(),
        "studentCount": info.student_count,
    }


def joined_class_json(info: ClassInfo) -> Json:
    """A class as its students see it: no join code, no teachers' emails."""
    return {
        "id": str(info.id),
        "name": info.name,
        "teachers": [{"id": str(t.id), "name": t.name} for t in info.teachers],
        "joinedAt": info.joined_at.isoformat() if info.joined_at else None,
    }


def member_json(member: Member) -> Json:
    return {
        "id": str(member.id),
        "name": member.name,
        "email": member.email,
        "joinedAt": member.joined_at.isoformat(),
    }


def assignment_json(assignment: Assignment) -> Json:
    return {
        "id": str(assignment.exercise_id),
        "slug": assignment.slug,
        "title": assignment.title,
        "difficulty": assignment.difficulty,
        "dueAt": assignment.due_at.isoformat() if assignment.due_at else None,
    }


def progress_json(
    students: list[Member], exercises: list[Assignment], cells: list[ProgressCell]
) -> Json:
    return {
        "students": [person_json(Person(s.id, s.name, s.email)) for s in students],
        "exercises": [assignment_json(a) for a in exercises],
        "cells": [
            {
                "student": str(cell.student),
                "exercise": str(cell.exercise),
                "attempts": cell.attempts,
                "solved": cell.solved,
                "lastStatus": cell.last_status,
                "lastAt": cell.last_at.isoformat(),
            }
            for cell in cells
        ],
    }


def last_verdict_json(session: SessionInfo | None, check: LastValidation | None) -> Json | None:
    """The newest of a student's ended run and exercise check."""
    ended = session if session is not None and session.ended_at else None
    ended_at = datetime.fromisoformat(ended.ended_at) if ended and ended.ended_at else None
    if check is not None and (ended_at is None or check.at >= ended_at):
        return {
            "kind": "validation",
            "status": check.status,
            "at": check.at.isoformat(),
            "exercise": {"id": str(check.exercise_id), "slug": check.slug, "title": check.title},
            "passed": check.passed,
            "total": check.total,
        }
    if ended is not None:
        return {"kind": "run", "status": ended.status, "at": ended.ended_at}
    return None


def class_snapshot_json(
    info: ClassInfo,
    students: list[Member],
    online: set[str],
    sessions: dict[str, SessionInfo],
    checks: dict[Any, LastValidation],
) -> Json:
    """The first message of a class's watch: each student's state now."""
    roster = []
    for student in students:
        key = str(student.id)
        session = sessions.get(key)
        roster.append(
            {
                "id": key,
                "name": student.name,
                "online": key in online,
                "session": session.brief() if session else None,
                "lastVerdict": last_verdict_json(session, checks.get(student.id)),
            }
        )
    return {
        "type": "snapshot",
        "class": {"id": str(info.id), "name": info.name},
        "students": roster,
    }


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


def snippet_json(snippet: Snippet, url: str) -> Json:
    return {
        "id": snippet.id,
        "language": snippet.language,
        "code": snippet.code,
        "createdAt": snippet.created_at.isoformat(),
        "url": url,
    }
