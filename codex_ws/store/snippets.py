"""Share links in PostgreSQL: written once, read by anyone with the id."""

from __future__ import annotations

import uuid

import asyncpg

from ..domain.snippets import Snippet, is_snippet_id, new_snippet_id


class Snippets:
    """The snippets table."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(
        self, language: str, code: str, user_id: uuid.UUID | None, client_ip: str | None
    ) -> Snippet:
        while True:
            row = await self.pool.fetchrow(
                """INSERT INTO snippets (id, language, code, user_id, client_ip)
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING
                   RETURNING id, language, code, created_at""",
                new_snippet_id(),
                language,
                code,
                user_id,
                client_ip,
            )
            if row is not None:  # else 72 random bits met an id taken: draw again
                return Snippet(row["id"], row["language"], row["code"], row["created_at"])

    async def find(self, snippet_id: str) -> Snippet | None:
        if not is_snippet_id(snippet_id):
            return None
        row = await self.pool.fetchrow(
            "SELECT id, language, code, created_at FROM snippets WHERE id = $1", snippet_id
        )
        return Snippet(row["id"], row["language"], row["code"], row["created_at"]) if row else None
