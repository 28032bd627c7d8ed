"""The history of runs: every execution, REST and WebSocket alike, per user."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from sandbox import Result

from ..domain.tokens import Identity
from .classes import visible_sql

log = logging.getLogger(__name__)

Source = Literal["rest", "ws"]
STORED_OUTPUT_CHARS = 64 * 1024


@dataclass(frozen=True, slots=True)
class Execution:
    """One recorded run."""

    id: uuid.UUID
    source: Source
    language: str
    code: str
    status: str
    exit_code: int | None
    signal: str | None
    timed_out: bool
    truncated: bool
    duration_ms: int
    output: str
    error: str
    created_at: datetime


class History:
    """The executions table."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def record(
        self,
        result: Result,
        *,
        code: str,
        source: Source,
        user_id: uuid.UUID | None,
        client_ip: str | None,
    ) -> None:
        await self.pool.execute(
            """INSERT INTO executions (id, user_id, source, language, code, status, exit_code,
                   signal, timed_out, truncated, duration_ms, output, error, client_ip)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)""",
            uuid.UUID(result.run_id),
            user_id,
            source,
            result.language,
            code,
            str(result.status),
            result.exit_code,
            result.signal,
            result.timed_out,
            result.truncated,
            result.duration_ms,
            result.output[:STORED_OUTPUT_CHARS],
            result.error[:STORED_OUTPUT_CHARS],
            client_ip,
        )

    async def record_quietly(self, result: Result, **details: Any) -> None:
        """Record, but never fail the caller: the run already happened and was answered."""
        try:
            await self.record(result, **details)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("could not record execution %s: %s", result.run_id, exc)

    async def recent(self, user_id: uuid.UUID, limit: int, viewer: Identity) -> list[Execution]:
        """`user_id`'s newest runs that `viewer` may see (see store/classes.py)."""
        rows = await self.pool.fetch(
            f"""SELECT x.id, x.source, x.language, x.code, x.status, x.exit_code, x.signal,
                       x.timed_out, x.truncated, x.duration_ms, x.output, x.error, x.created_at
                FROM executions x
                WHERE x.user_id = $1 AND {visible_sql(viewer, "x.user_id", "x.created_at", "$3")}
                ORDER BY x.created_at DESC LIMIT $2""",
            user_id,
            limit,
            viewer.user_id,
        )
        return [Execution(**dict(row)) for row in rows]
