"""Classes: a name, the teachers who run it, the students who joined with its code, and the
exercises assigned to it."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from ..errors import Code, ServiceError

# Join codes are read aloud and typed from a projector: no 0/O, 1/I/L.
JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8
MAX_NAME_LENGTH = 100
# A class's roster, teachers and assignments are bounded like everything a client stores.
MAX_STUDENTS = 500
MAX_TEACHERS = 20
MAX_EXERCISES = 200
MAX_CLASSES_PER_TEACHER = 100


@dataclass(frozen=True, slots=True)
class Person:
    id: uuid.UUID
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Member:
    id: uuid.UUID
    name: str
    email: str
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class Assignment:
    exercise_id: uuid.UUID
    slug: str
    title: str
    difficulty: str
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class ClassInfo:
    id: uuid.UUID
    name: str
    join_code: str
    created_at: datetime
    teachers: tuple[Person, ...]
    student_count: int = 0
    # For a student's own list: when they joined.
    joined_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProgressCell:
    student: uuid.UUID
    exercise: uuid.UUID
    attempts: int
    solved: bool
    last_status: str
    last_at: datetime


@dataclass(frozen=True, slots=True)
class LastValidation:
    """A student's newest check of an exercise against its test cases."""

    exercise_id: uuid.UUID
    slug: str
    title: str
    status: str
    passed: int
    total: int
    at: datetime


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normal_join_code(typed: str) -> str:
    """A code as typed (any case, spaces or dashes between its letters) as it is stored."""
    return "".join(c for c in typed.upper() if c not in " -\t")


def class_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise ServiceError(Code.INVALID_REQUEST, "'name' must not be empty")
    if len(name) > MAX_NAME_LENGTH or "\x00" in name:
        raise ServiceError(
            Code.INVALID_REQUEST,
            f"'name' must be at most {MAX_NAME_LENGTH} characters, without NUL characters",
        )
    return name


def class_id(raw: str) -> uuid.UUID:
    """The id in a path; `not_found` for anything that is not one (no class has it)."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ServiceError(Code.NOT_FOUND, f"No class {raw!r}") from None


def user_id(raw: str, what: str = "student") -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ServiceError(Code.NOT_FOUND, f"No {what} {raw!r}") from None
