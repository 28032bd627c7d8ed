"""Classes in PostgreSQL: teachers, membership periods, assignments and progress.

A teacher sees a student's work only from the periods the student spent in a class the teacher
teaches: `taught_sql` is that rule as SQL, for every query that shows someone's work.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from ..domain.classes import (
    MAX_CLASSES_PER_TEACHER,
    MAX_EXERCISES,
    MAX_STUDENTS,
    MAX_TEACHERS,
    Assignment,
    ClassInfo,
    LastValidation,
    Member,
    Person,
    ProgressCell,
    new_join_code,
    normal_join_code,
)
from ..domain.tokens import Identity
from ..errors import Code, ServiceError

Connection = asyncpg.Connection | PoolConnectionProxy


def taught_sql(teacher: str, user: str, at: str, in_class: str | None = None) -> str:
    """SQL that is true when the row of `user` made at `at` falls in a period that user spent
    in a class `teacher` teaches (in class `in_class`, when given). Arguments are SQL
    expressions: `$1`, `s.user_id`, `s.started_at`."""
    only = f"AND m.class_id = {in_class}" if in_class else ""
    return f"""EXISTS (
        SELECT 1 FROM class_members m JOIN class_teachers t ON t.class_id = m.class_id
        WHERE t.user_id = {teacher} AND m.user_id = {user} {only}
          AND {at} >= m.joined_at AND (m.left_at IS NULL OR {at} < m.left_at))"""


def member_sql(in_class: str, user: str, at: str) -> str:
    """SQL that is true when `user` was a member of `in_class` at `at`."""
    return f"""EXISTS (
        SELECT 1 FROM class_members m
        WHERE m.class_id = {in_class} AND m.user_id = {user}
          AND {at} >= m.joined_at AND (m.left_at IS NULL OR {at} < m.left_at))"""


def visible_sql(viewer: Identity, user: str, at: str, viewer_param: str) -> str:
    """SQL that is true for the rows `viewer` may see: an admin every row, anyone their own
    (`viewer_param` holds their id), a teacher also their students' work (see `taught_sql`)."""
    if viewer.is_admin:
        return f"{viewer_param}::uuid IS NOT NULL"
    own = f"{user} = {viewer_param}"
    if viewer.is_teacher:
        return f"({own} OR {taught_sql(viewer_param, user, at)})"
    return own


_TEACHERS = """COALESCE((
    SELECT json_agg(json_build_object('id', u.id, 'name', u.name, 'email', u.email)
                    ORDER BY t.added_at)
    FROM class_teachers t JOIN users u ON u.id = t.user_id WHERE t.class_id = c.id), '[]')"""
_STUDENT_COUNT = """(SELECT count(*) FROM class_members m
                     WHERE m.class_id = c.id AND m.left_at IS NULL)"""
_CLASS_COLUMNS = f"c.id, c.name, c.join_code, c.created_at, {_TEACHERS} AS teachers, " + (
    f"{_STUDENT_COUNT} AS student_count"
)


def _class(row: asyncpg.Record, joined_at: datetime | None = None) -> ClassInfo:
    teachers = row["teachers"]
    if isinstance(teachers, str):
        teachers = json.loads(teachers)
    return ClassInfo(
        id=row["id"],
        name=row["name"],
        join_code=row["join_code"],
        created_at=row["created_at"],
        teachers=tuple(Person(uuid.UUID(t["id"]), t["name"], t["email"]) for t in teachers),
        student_count=row["student_count"],
        joined_at=joined_at,
    )


class Classes:
    """The classes, class_teachers, class_members and class_exercises tables."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # -- classes ---------------------------------------------------------------------------

    async def create(self, name: str, teacher: uuid.UUID) -> ClassInfo:
        async with self.pool.acquire() as connection, connection.transaction():
            taught = await connection.fetchval(
                "SELECT count(*) FROM class_teachers WHERE user_id = $1", teacher
            )
            if taught >= MAX_CLASSES_PER_TEACHER:
                raise ServiceError(
                    Code.CONFLICT,
                    f"A teacher can teach at most {MAX_CLASSES_PER_TEACHER} classes; "
                    "delete one you no longer use first",
                )
            class_id = await connection.fetchval(
                """INSERT INTO classes (name, join_code, created_by) VALUES ($1, $2, $3)
                   RETURNING id""",
                name,
                await self._unused_code(connection),
                teacher,
            )
            await connection.execute(
                "INSERT INTO class_teachers (class_id, user_id) VALUES ($1, $2)", class_id, teacher
            )
        return await self.get(class_id)

    async def get(self, class_id: uuid.UUID) -> ClassInfo:
        row = await self.pool.fetchrow(
            f"SELECT {_CLASS_COLUMNS} FROM classes c WHERE c.id = $1", class_id
        )
        if row is None:
            raise ServiceError(Code.NOT_FOUND, f"No class {class_id}")
        return _class(row)

    async def taught_by(self, teacher: uuid.UUID) -> list[ClassInfo]:
        rows = await self.pool.fetch(
            f"""SELECT {_CLASS_COLUMNS} FROM classes c
                JOIN class_teachers t ON t.class_id = c.id AND t.user_id = $1
                ORDER BY c.created_at""",
            teacher,
        )
        return [_class(row) for row in rows]

    async def every(self, limit: int = 500) -> list[ClassInfo]:
        rows = await self.pool.fetch(
            f"SELECT {_CLASS_COLUMNS} FROM classes c ORDER BY c.created_at LIMIT $1", limit
        )
        return [_class(row) for row in rows]

    async def joined_by(self, student: uuid.UUID) -> list[ClassInfo]:
        rows = await self.pool.fetch(
            f"""SELECT {_CLASS_COLUMNS}, m.joined_at FROM classes c
                JOIN class_members m ON m.class_id = c.id
                WHERE m.user_id = $1 AND m.left_at IS NULL
                ORDER BY m.joined_at""",
            student,
        )
        return [_class(row, row["joined_at"]) for row in rows]

    async def teaching(self, identity: Identity, class_id: uuid.UUID) -> ClassInfo:
        """The class, if `identity` teaches it (or is an admin): `not_found` when there is no
        such class, `forbidden` when it is another teacher's."""
        info = await self.get(class_id)
        if identity.is_admin or any(t.id == identity.user_id for t in info.teachers):
            return info
        raise ServiceError(Code.FORBIDDEN, "Only the class's teachers can do this")

    async def rotate_code(self, class_id: uuid.UUID) -> str:
        async with self.pool.acquire() as connection:
            code = await self._unused_code(connection)
            await connection.execute(
                "UPDATE classes SET join_code = $2 WHERE id = $1", class_id, code
            )
        return code

    async def add_teacher(self, class_id: uuid.UUID, teacher: uuid.UUID) -> None:
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT 1 FROM classes WHERE id = $1 FOR UPDATE", class_id)
            count = await connection.fetchval(
                "SELECT count(*) FROM class_teachers WHERE class_id = $1", class_id
            )
            if count >= MAX_TEACHERS:
                raise ServiceError(
                    Code.CONFLICT, f"A class can have at most {MAX_TEACHERS} teachers"
                )
            await connection.execute(
                """INSERT INTO class_teachers (class_id, user_id) VALUES ($1, $2)
                   ON CONFLICT DO NOTHING""",
                class_id,
                teacher,
            )

    @staticmethod
    async def _unused_code(connection: Connection) -> str:
        while True:
            code = new_join_code()
            taken = await connection.fetchval("SELECT 1 FROM classes WHERE join_code = $1", code)
            if not taken:
                return code

    # -- students --------------------------------------------------------------------------

    async def join(self, code: str, student: uuid.UUID) -> ClassInfo:
        """Join the class with this code (joining again changes nothing)."""
        code = normal_join_code(code)
        async with self.pool.acquire() as connection, connection.transaction():
            class_id = await connection.fetchval(
                "SELECT id FROM classes WHERE join_code = $1 FOR UPDATE", code
            )
            if class_id is None:
                raise ServiceError(
                    Code.NOT_FOUND,
                    "No class has this join code: check it with your teacher "
                    "(codes change when a teacher makes a new one)",
                )
            member = await connection.fetchval(
                """SELECT 1 FROM class_members
                   WHERE class_id = $1 AND user_id = $2 AND left_at IS NULL""",
                class_id,
                student,
            )
            if not member:
                count = await connection.fetchval(
                    """SELECT count(*) FROM class_members
                       WHERE class_id = $1 AND left_at IS NULL""",
                    class_id,
                )
                if count >= MAX_STUDENTS:
                    raise ServiceError(
                        Code.CONFLICT,
                        f"This class is full ({MAX_STUDENTS} students): ask your teacher",
                    )
                await connection.execute(
                    "INSERT INTO class_members (class_id, user_id) VALUES ($1, $2)",
                    class_id,
                    student,
                )
        return await self.get(class_id)

    async def remove_student(self, class_id: uuid.UUID, student: uuid.UUID) -> None:
        """End the student's membership; what they did while a member stays visible."""
        ended = await self.pool.fetchval(
            """UPDATE class_members SET left_at = clock_timestamp()
               WHERE class_id = $1 AND user_id = $2 AND left_at IS NULL
               RETURNING user_id""",
            class_id,
            student,
        )
        if ended is None:
            raise ServiceError(Code.NOT_FOUND, f"No student {student} in this class")

    async def students(self, class_id: uuid.UUID) -> list[Member]:
        rows = await self.pool.fetch(
            """SELECT u.id, u.name, u.email, m.joined_at FROM class_members m
               JOIN users u ON u.id = m.user_id
               WHERE m.class_id = $1 AND m.left_at IS NULL
               ORDER BY lower(u.name), u.id""",
            class_id,
        )
        return [Member(r["id"], r["name"], r["email"], r["joined_at"]) for r in rows]

    async def is_member(self, class_id: uuid.UUID, student: uuid.UUID) -> bool:
        return bool(
            await self.pool.fetchval(
                """SELECT 1 FROM class_members
                   WHERE class_id = $1 AND user_id = $2 AND left_at IS NULL""",
                class_id,
                student,
            )
        )

    async def teacher_sees(self, teacher: uuid.UUID, student: uuid.UUID, at: datetime) -> bool:
        """Whether `teacher` may see what `student` did at `at`."""
        return bool(
            await self.pool.fetchval(
                f"SELECT {taught_sql('$1', '$2', '$3::timestamptz')}", teacher, student, at
            )
        )

    async def teaches_student(self, teacher: uuid.UUID, student: uuid.UUID) -> bool:
        """Whether `student` is (or was) in a class `teacher` teaches."""
        return bool(
            await self.pool.fetchval(
                """SELECT 1 FROM class_members m
                   JOIN class_teachers t ON t.class_id = m.class_id
                   WHERE t.user_id = $1 AND m.user_id = $2 LIMIT 1""",
                teacher,
                student,
            )
        )

    # -- exercises and progress ------------------------------------------------------------

    async def assign(
        self, class_id: uuid.UUID, exercise: uuid.UUID, due_at: datetime | None
    ) -> None:
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT 1 FROM classes WHERE id = $1 FOR UPDATE", class_id)
            count = await connection.fetchval(
                "SELECT count(*) FROM class_exercises WHERE class_id = $1", class_id
            )
            if count >= MAX_EXERCISES:
                raise ServiceError(
                    Code.CONFLICT, f"A class can have at most {MAX_EXERCISES} exercises assigned"
                )
            await connection.execute(
                """INSERT INTO class_exercises (class_id, exercise_id, due_at) VALUES ($1, $2, $3)
                   ON CONFLICT (class_id, exercise_id) DO UPDATE SET due_at = EXCLUDED.due_at""",
                class_id,
                exercise,
                due_at,
            )

    async def unassign(self, class_id: uuid.UUID, exercise: uuid.UUID) -> None:
        removed = await self.pool.fetchval(
            """DELETE FROM class_exercises WHERE class_id = $1 AND exercise_id = $2
               RETURNING exercise_id""",
            class_id,
            exercise,
        )
        if removed is None:
            raise ServiceError(Code.NOT_FOUND, "That exercise is not assigned to this class")

    async def assignments(self, class_id: uuid.UUID) -> list[Assignment]:
        rows = await self.pool.fetch(
            """SELECT e.id, e.slug, e.title, e.difficulty, a.due_at FROM class_exercises a
               JOIN exercises e ON e.id = a.exercise_id
               WHERE a.class_id = $1
               ORDER BY a.due_at NULLS LAST, a.assigned_at, e.slug""",
            class_id,
        )
        return [
            Assignment(r["id"], r["slug"], r["title"], r["difficulty"], r["due_at"]) for r in rows
        ]

    async def progress(self, class_id: uuid.UUID) -> list[ProgressCell]:
        """Each current student's submissions to each assigned exercise, made while a member."""
        rows = await self.pool.fetch(
            f"""SELECT s.user_id, s.exercise_id, count(*) AS attempts, bool_or(s.passed) AS solved,
                       (array_agg(s.status ORDER BY s.created_at DESC))[1] AS last_status,
                       max(s.created_at) AS last_at
                FROM submissions s
                JOIN class_exercises a ON a.exercise_id = s.exercise_id AND a.class_id = $1
                JOIN class_members cur ON cur.class_id = $1 AND cur.user_id = s.user_id
                                          AND cur.left_at IS NULL
                WHERE {member_sql("$1", "s.user_id", "s.created_at")}
                GROUP BY s.user_id, s.exercise_id""",
            class_id,
        )
        return [
            ProgressCell(
                r["user_id"],
                r["exercise_id"],
                r["attempts"],
                r["solved"],
                r["last_status"],
                r["last_at"],
            )
            for r in rows
        ]

    async def last_validations(self, class_id: uuid.UUID) -> dict[uuid.UUID, LastValidation]:
        """Each current student's newest exercise check since joining."""
        rows = await self.pool.fetch(
            """SELECT m.user_id, x.exercise_id, e.slug, e.title, x.status, x.passed_count,
                      x.total, x.created_at
               FROM class_members m
               JOIN LATERAL (
                   SELECT * FROM submissions s
                   WHERE s.user_id = m.user_id AND s.created_at >= m.joined_at
                   ORDER BY s.created_at DESC LIMIT 1) x ON true
               JOIN exercises e ON e.id = x.exercise_id
               WHERE m.class_id = $1 AND m.left_at IS NULL""",
            class_id,
        )
        return {
            r["user_id"]: LastValidation(
                r["exercise_id"],
                r["slug"],
                r["title"],
                r["status"],
                r["passed_count"],
                r["total"],
                r["created_at"],
            )
            for r in rows
        }
