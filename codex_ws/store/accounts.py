"""User accounts: registration and sign-in against PostgreSQL, passwords under bcrypt."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import bcrypt

from ..domain.users import Role, User
from ..errors import Code, ServiceError

BCRYPT_ROUNDS = 12
MAX_PASSWORD_BYTES = 72  # bcrypt's own limit


def _user(row: asyncpg.Record) -> User:
    return User(
        row["id"],
        row["email"],
        row["name"],
        row["role"],
        row["created_at"],
        row["token_generation"],
    )


# Compared against when the email is unknown, so both failures cost one bcrypt check.
_DUMMY_HASH = bcrypt.hashpw(b"not a password", bcrypt.gensalt(4))


async def hash_password(password: str) -> str:
    hashed = await asyncio.to_thread(
        bcrypt.hashpw, password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS)
    )
    return hashed.decode()


async def check_password(password: str, hashed: str | bytes) -> bool:
    secret = password.encode()
    if len(secret) > MAX_PASSWORD_BYTES:
        # Registration refuses these, so none can match (and bcrypt refuses to check one).
        return False
    stored = hashed.encode() if isinstance(hashed, str) else hashed
    return await asyncio.to_thread(bcrypt.checkpw, secret, stored)


class Accounts:
    """The users table."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def register(self, email: str, password: str, name: str, role: Role) -> User:
        """A new account; `conflict` when the email is taken (in any letter case)."""
        hashed = await hash_password(password)
        try:
            row = await self.pool.fetchrow(
                """INSERT INTO users (email, name, role, password_hash)
                   VALUES ($1, $2, $3, $4)
                   RETURNING id, email, name, role, created_at, token_generation""",
                email,
                name,
                role,
                hashed,
            )
        except asyncpg.UniqueViolationError:
            raise ServiceError(
                Code.CONFLICT, f"An account with the email {email} already exists"
            ) from None
        assert row is not None
        return _user(row)

    async def authenticate(self, email: str, password: str) -> User:
        """The account with these credentials; the same `unauthorized` whatever was wrong."""
        # No stored email holds a NUL (PostgreSQL's text cannot), so none can match.
        row = None
        if "\x00" not in email:
            row = await self.pool.fetchrow(
                """SELECT id, email, name, role, created_at, token_generation, password_hash
                   FROM users WHERE lower(email) = lower($1)""",
                email,
            )
        matches = await check_password(password, row["password_hash"] if row else _DUMMY_HASH)
        if row is None or not matches:
            raise ServiceError(Code.UNAUTHORIZED, "Wrong email or password")
        return _user(row)

    async def get(self, user_id: uuid.UUID) -> User | None:
        row = await self.pool.fetchrow(
            "SELECT id, email, name, role, created_at, token_generation FROM users WHERE id = $1",
            user_id,
        )
        return _user(row) if row else None

    async def change_password(self, user_id: uuid.UUID, current: str, new: str) -> User:
        """Check `current`, store `new` and move the account to its next token generation, so
        that every token issued before stops working. `forbidden` when `current` is wrong."""
        stored = await self.pool.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)
        if stored is None:
            raise ServiceError(Code.UNAUTHORIZED, "This account no longer exists: sign in again")
        if not await check_password(current, stored):
            raise ServiceError(Code.FORBIDDEN, "The current password is not right: type it again")
        row = await self.pool.fetchrow(
            """UPDATE users SET password_hash = $2, token_generation = token_generation + 1
               WHERE id = $1
               RETURNING id, email, name, role, created_at, token_generation""",
            user_id,
            await hash_password(new),
        )
        if row is None:
            raise ServiceError(Code.UNAUTHORIZED, "This account no longer exists: sign in again")
        return _user(row)
