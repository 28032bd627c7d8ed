"""Exercises and their test cases as teachers write them, checked."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..errors import Code, ServiceError
from .text import without_nul

DIFFICULTIES = ("easy", "medium", "hard")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class TestCase:
    input: str
    output: str
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class Exercise:
    id: uuid.UUID
    slug: str
    title: str
    difficulty: str
    summary: str
    description: str
    starter_code: dict[str, str]
    cases: tuple[TestCase, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ExerciseDraft:
    """What a teacher (or the seed) writes: an exercise before it has an id."""

    slug: str
    title: str
    difficulty: str
    summary: str
    description: str
    starter_code: dict[str, str]
    cases: tuple[TestCase, ...]


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "exercise"


def parse_draft(data: dict[str, Any], languages: tuple[str, ...]) -> ExerciseDraft:
    """An exercise from a JSON body (or a seed file); `invalid_request` names what is wrong."""

    def text(name: str, *, required: bool = True, max_length: int = 20_000) -> str:
        value = data.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            raise ServiceError(Code.INVALID_REQUEST, f"'{name}' must be a non-empty string")
        if len(value) > max_length:
            raise ServiceError(
                Code.INVALID_REQUEST, f"'{name}' is longer than {max_length} characters"
            )
        return without_nul(value, name)

    title = text("title", max_length=200)
    slug = data.get("slug") or slugify(title)
    if not isinstance(slug, str) or not _SLUG.match(slug) or len(slug) > 80:
        raise ServiceError(
            Code.INVALID_REQUEST, "'slug' must be lowercase letters, digits and hyphens"
        )
    difficulty = data.get("difficulty", "easy")
    if difficulty not in DIFFICULTIES:
        raise ServiceError(
            Code.INVALID_REQUEST, f"'difficulty' must be one of {', '.join(DIFFICULTIES)}"
        )
    starter = data.get("starterCode", data.get("starter", {}))
    if not isinstance(starter, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in starter.items()
    ):
        raise ServiceError(Code.INVALID_REQUEST, "'starterCode' must map language ids to code")
    unknown = sorted(set(starter) - set(languages))
    if unknown:
        raise ServiceError(
            Code.INVALID_REQUEST, f"'starterCode' has unknown languages: {', '.join(unknown)}"
        )
    for language, code in starter.items():
        without_nul(code, f"starterCode.{language}")
    raw_cases = data.get("cases")
    if not isinstance(raw_cases, list) or not raw_cases or len(raw_cases) > 50:
        raise ServiceError(Code.INVALID_REQUEST, "'cases' must be a list of 1 to 50 test cases")
    cases = []
    for index, case in enumerate(raw_cases):
        if (
            not isinstance(case, dict)
            or not isinstance(case.get("input", ""), str)
            or not isinstance(case.get("output"), str)
            or not isinstance(case.get("hidden", False), bool)
        ):
            raise ServiceError(
                Code.INVALID_REQUEST,
                f"cases[{index}] must be {{'input': str, 'output': str, 'hidden'?: bool}}",
            )
        given = without_nul(case.get("input", ""), f"cases[{index}].input")
        expected = without_nul(case["output"], f"cases[{index}].output")
        cases.append(TestCase(given, expected, case.get("hidden", False)))
    return ExerciseDraft(
        slug=slug,
        title=title,
        difficulty=difficulty,
        summary=text("summary", required=False, max_length=500),
        description=text("description", required=False, max_length=50_000),
        starter_code=dict(starter),
        cases=tuple(cases),
    )
