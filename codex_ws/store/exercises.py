"""Exercises and their test cases in PostgreSQL, and the seeded set shipped with the server."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import yaml
from asyncpg.pool import PoolConnectionProxy

from ..domain.exercises import Exercise, ExerciseDraft, TestCase, parse_draft
from ..errors import Code, ServiceError

log = logging.getLogger(__name__)

SEED_DIR = Path(__file__).parent / "exercise_seed"


def _load_seed(folder: Path) -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text()) for path in sorted(folder.glob("*.yaml"))]


def _exercise(row: asyncpg.Record, cases: tuple[TestCase, ...] = ()) -> Exercise:
    starter = row["starter_code"]
    return Exercise(
        id=row["id"],
        slug=row["slug"],
        title=row["title"],
        difficulty=row["difficulty"],
        summary=row["summary"],
        description=row["description"],
        starter_code=json.loads(starter) if isinstance(starter, str) else dict(starter),
        cases=cases,
    )


_COLUMNS = "id, slug, title, difficulty, summary, description, starter_code"


class Exercises:
    """The exercises, test_cases and submissions tables."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def all(self) -> list[Exercise]:
        rows = await self.pool.fetch(
            f"""SELECT {_COLUMNS} FROM exercises
                ORDER BY array_position(ARRAY['easy','medium','hard'], difficulty), created_at,
                         slug"""
        )
        return [_exercise(row) for row in rows]

    async def find(self, key: str) -> Exercise:
        """An exercise by id or slug, with its test cases; `not_found` otherwise."""
        if "\x00" in key:  # no slug has one, and PostgreSQL's text cannot hold one
            raise ServiceError(Code.NOT_FOUND, f"No exercise {key!r}")
        try:
            exercise_id: uuid.UUID | None = uuid.UUID(key)
        except ValueError:
            exercise_id = None
        row = await self.pool.fetchrow(
            f"SELECT {_COLUMNS} FROM exercises WHERE id = $1 OR slug = $2", exercise_id, key
        )
        if row is None:
            raise ServiceError(Code.NOT_FOUND, f"No exercise {key!r}")
        cases = await self.pool.fetch(
            """SELECT input, expected_output, hidden FROM test_cases
               WHERE exercise_id = $1 ORDER BY position""",
            row["id"],
        )
        return _exercise(
            row, tuple(TestCase(c["input"], c["expected_output"], c["hidden"]) for c in cases)
        )

    async def create(self, draft: ExerciseDraft, author: uuid.UUID | None) -> Exercise:
        async with self.pool.acquire() as connection, connection.transaction():
            try:
                row = await connection.fetchrow(
                    f"""INSERT INTO exercises (slug, title, difficulty, summary, description,
                                               starter_code, created_by)
                        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) RETURNING {_COLUMNS}""",
                    draft.slug,
                    draft.title,
                    draft.difficulty,
                    draft.summary,
                    draft.description,
                    json.dumps(draft.starter_code),
                    author,
                )
            except asyncpg.UniqueViolationError:
                raise ServiceError(
                    Code.CONFLICT, f"An exercise with slug {draft.slug!r} exists"
                ) from None
            assert row is not None
            await self._write_cases(connection, row["id"], draft.cases)
        return _exercise(row, draft.cases)

    async def update(self, key: str, draft: ExerciseDraft) -> Exercise:
        current = await self.find(key)
        async with self.pool.acquire() as connection, connection.transaction():
            try:
                row = await connection.fetchrow(
                    f"""UPDATE exercises SET slug = $2, title = $3, difficulty = $4, summary = $5,
                            description = $6, starter_code = $7::jsonb, updated_at = now()
                        WHERE id = $1 RETURNING {_COLUMNS}""",
                    current.id,
                    draft.slug,
                    draft.title,
                    draft.difficulty,
                    draft.summary,
                    draft.description,
                    json.dumps(draft.starter_code),
                )
            except asyncpg.UniqueViolationError:
                raise ServiceError(
                    Code.CONFLICT, f"An exercise with slug {draft.slug!r} exists"
                ) from None
            assert row is not None
            await connection.execute("DELETE FROM test_cases WHERE exercise_id = $1", current.id)
            await self._write_cases(connection, current.id, draft.cases)
        return _exercise(row, draft.cases)

    async def delete(self, key: str) -> None:
        current = await self.find(key)
        await self.pool.execute("DELETE FROM exercises WHERE id = $1", current.id)

    async def solved_by(self, user_id: uuid.UUID) -> set[uuid.UUID]:
        rows = await self.pool.fetch(
            "SELECT DISTINCT exercise_id FROM submissions WHERE user_id = $1 AND passed", user_id
        )
        return {row["exercise_id"] for row in rows}

    async def record_submission(
        self,
        *,
        exercise_id: uuid.UUID,
        user_id: uuid.UUID,
        language: str,
        code: str,
        status: str,
        passed_count: int,
        total: int,
    ) -> None:
        await self.pool.execute(
            """INSERT INTO submissions (exercise_id, user_id, language, code, status, passed,
                                        passed_count, total)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
            exercise_id,
            user_id,
            language,
            code,
            status,
            passed_count == total,
            passed_count,
            total,
        )

    async def seed(self, languages: tuple[str, ...], folder: Path = SEED_DIR) -> int:
        """Add the shipped exercises that are not in the database yet (by slug)."""
        added = 0
        for data in await asyncio.to_thread(_load_seed, folder):
            draft = parse_draft(data, languages)
            exists = await self.pool.fetchval("SELECT 1 FROM exercises WHERE slug = $1", draft.slug)
            if exists:
                continue
            try:
                await self.create(draft, None)
                added += 1
            except ServiceError as exc:  # another process seeded it a moment ago
                if exc.code != "conflict":
                    raise
        if added:
            log.info("seeded %d exercise(s)", added)
        return added

    @staticmethod
    async def _write_cases(
        connection: PoolConnectionProxy[asyncpg.Record],
        exercise_id: uuid.UUID,
        cases: tuple[TestCase, ...],
    ) -> None:
        await connection.executemany(
            """INSERT INTO test_cases (exercise_id, position, input, expected_output, hidden)
               VALUES ($1, $2, $3, $4, $5)""",
            [(exercise_id, i, c.input, c.output, c.hidden) for i, c in enumerate(cases)],
        )
