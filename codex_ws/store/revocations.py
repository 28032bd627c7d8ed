"""Which tokens no longer work, kept in PostgreSQL: each account's token generation (a password
change moves to the next one, and every token of an earlier one stops working) and the tokens
signed out one by one, until they would have expired anyway.

Every request with a token asks; the answers are cached for a few seconds per process, so a
revocation made on another process takes effect there within `CACHE_SECONDS`. When PostgreSQL
does not answer, the last answer known here is used, or the token is taken as valid (its
signature and expiry are still checked): everything else a token unlocks needs PostgreSQL too,
and runs go on without it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from ..domain.tokens import Identity
from .db import UNAVAILABLE

log = logging.getLogger(__name__)

CACHE_SECONDS = 5.0
CACHE_ENTRIES = 10_000
# Expired rows removed at each sign-out, at most (the rest go at the next ones).
PRUNE_ROWS = 1000


@dataclass(frozen=True, slots=True)
class _Known:
    revoked: bool
    at: float


class Revocations:
    """Signing tokens out, and telling whether one was."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._cache: OrderedDict[tuple[uuid.UUID, str | None, int], _Known] = OrderedDict()
        self._database_down = False

    async def is_revoked(self, identity: Identity) -> bool:
        """Whether the token `identity` came from was signed out, belongs to an earlier token
        generation of its account (a password changed since), or to an account that is gone."""
        key = (identity.user_id, identity.token_id, identity.generation)
        now = time.monotonic()
        known = self._cache.get(key)
        if known is not None and now - known.at < CACHE_SECONDS:
            return known.revoked
        try:
            row = await self.pool.fetchrow(
                """SELECT u.token_generation,
                          EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = $2) AS signed_out
                   FROM users u WHERE u.id = $1""",
                identity.user_id,
                identity.token_id or "",
            )
        except (*UNAVAILABLE, TimeoutError) as exc:  # down, or not answering a query
            if not self._database_down:
                log.warning(
                    "PostgreSQL not answering (%s): tokens are checked against the revocations "
                    "this process knows until it is back",
                    exc,
                )
                self._database_down = True
            return known.revoked if known is not None else False
        if self._database_down:
            log.info("PostgreSQL answers again: token revocations are checked again")
            self._database_down = False
        revoked = row is None or row["signed_out"] or row["token_generation"] != identity.generation
        self._remember(key, revoked, now)
        return revoked

    async def sign_out(self, identity: Identity) -> None:
        """Revoke this one token; a token without an id (issued before tokens had one) can only
        be revoked with every other of its account, by moving the account to its next
        generation."""
        if identity.token_id is None:
            await self.pool.execute(
                "UPDATE users SET token_generation = token_generation + 1 WHERE id = $1",
                identity.user_id,
            )
        else:
            async with self.pool.acquire() as connection, connection.transaction():
                await connection.execute(
                    """DELETE FROM revoked_tokens WHERE jti IN (
                           SELECT jti FROM revoked_tokens WHERE expires_at < now() LIMIT $1)""",
                    PRUNE_ROWS,
                )
                await connection.execute(
                    """INSERT INTO revoked_tokens (jti, user_id, expires_at) VALUES ($1, $2, $3)
                       ON CONFLICT (jti) DO NOTHING""",
                    identity.token_id,
                    identity.user_id,
                    datetime.fromtimestamp(identity.expires_at, UTC),
                )
        self.forget(identity.user_id)

    def forget(self, user_id: uuid.UUID) -> None:
        """Drop what this process knows of an account's tokens (they changed here)."""
        for key in [key for key in self._cache if key[0] == user_id]:
            del self._cache[key]

    def _remember(self, key: tuple[uuid.UUID, str | None, int], revoked: bool, now: float) -> None:
        self._cache[key] = _Known(revoked, now)
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
