"""User accounts: registration and sign-in against PostgreSQL, passwords under bcrypt.

bcrypt runs on threads of its own with a bounded queue (`PasswordWork`), so that a flood of
sign-ins can neither block the event loop nor take the threads runs and everything else use.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import asyncpg
import bcrypt

from ..domain.users import Role, User
from ..errors import Code, ServiceError

BCRYPT_ROUNDS = 12
MAX_PASSWORD_BYTES = 72  # bcrypt's own limit
BUSY_RETRY_SECONDS = 1

T = TypeVar("T")


def _user(row: asyncpg.Record) -> User:
    return User(
        row["id"],
        row["email"],
        row["name"],
        row["role"],
        row["created_at"],
        row["token_generation"],
    )


# Compared against when the email is unknown, so that both failures cost one bcrypt check of
# the same cost (BCRYPT_ROUNDS) and take as long: the time of a sign-in tells nothing about
# whether an account exists. The hash of a random password nobody kept.
DUMMY_HASH = b"$2b$12$G5K49IAqAo97DsGXZ.lS9ewkyChhmEB5awUXkZIGnCFSKvW7h0OKC"


class PasswordWork:
    """bcrypt on `threads` threads of its own; `queue` more wait, and past that `busy`."""

    def __init__(self, threads: int = 2, queue: int = 16) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="bcrypt")
        self._limit = threads + queue
        self._pending = 0
        self._lock = threading.Lock()  # released from the worker threads

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        with self._lock:
            if self._pending >= self._limit:
                raise ServiceError(
                    Code.BUSY,
                    "Too many sign-ins and sign-ups are being checked at once; "
                    f"try again in {BUSY_RETRY_SECONDS} s",
                    retry_after=BUSY_RETRY_SECONDS,
                )
            self._pending += 1
        try:
            future = self._executor.submit(work, *args)
        except BaseException:
            self._finished()
            raise
        future.add_done_callback(self._finished)
        # Cancelled while it waits (the client left): it leaves the queue.
        return await asyncio.wrap_future(future)

    def _finished(self, _: Future[Any] | None = None) -> None:
        with self._lock:
            self._pending -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


async def hash_password(password: str, work: PasswordWork | None = None) -> str:
    salt = bcrypt.gensalt(BCRYPT_ROUNDS)
    if work is None:
        hashed = await asyncio.to_thread(bcrypt.hashpw, password.encode(), salt)
    else:
        hashed = await work.run(bcrypt.hashpw, password.encode(), salt)
    return hashed.decode()


async def check_password(
    password: str, hashed: str | bytes, work: PasswordWork | None = None
) -> bool:
    secret = password.encode()
    too_long = len(secret) > MAX_PASSWORD_BYTES
    if too_long:
        # Registration refuses these, so none can match (and bcrypt refuses to check one).
        # Checked against the dummy all the same, so that this answer takes as long.
        secret, hashed = secret[:MAX_PASSWORD_BYTES], DUMMY_HASH
    stored = hashed.encode() if isinstance(hashed, str) else hashed
    if work is None:
        matches = await asyncio.to_thread(bcrypt.checkpw, secret, stored)
    else:
        matches = await work.run(bcrypt.checkpw, secret, stored)
    return matches and not too_long


class Accounts:
    """The users table."""

    def __init__(self, pool: asyncpg.Pool, passwords: PasswordWork | None = None) -> None:
        self.pool = pool
        self.passwords = passwords or PasswordWork()

    async def register(self, email: str, password: str, name: str, role: Role) -> User:
        """A new account; `conflict` when the email is taken (in any letter case)."""
        hashed = await hash_password(password, self.passwords)
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
        matches = await check_password(
            password, row["password_hash"] if row else DUMMY_HASH, self.passwords
        )
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
        if not await check_password(current, stored, self.passwords):
            raise ServiceError(Code.FORBIDDEN, "The current password is not right: type it again")
        row = await self.pool.fetchrow(
            """UPDATE users SET password_hash = $2, token_generation = token_generation + 1
               WHERE id = $1
               RETURNING id, email, name, role, created_at, token_generation""",
            user_id,
            await hash_password(new, self.passwords),
        )
        if row is None:
            raise ServiceError(Code.UNAUTHORIZED, "This account no longer exists: sign in again")
        return _user(row)

    async def find_by_email(self, email: str) -> User | None:
        if "\x00" in email:
            return None
        row = await self.pool.fetchrow(
            """SELECT id, email, name, role, created_at, token_generation
               FROM users WHERE lower(email) = lower($1)""",
            email,
        )
        return _user(row) if row else None

    async def set_role(self, email: str, role: Role) -> User:
        """Give the account `role`. Its tokens, which carry the old role, stop working: the
        account signs in again. `not_found` for an unknown email."""
        row = await self.pool.fetchrow(
            """UPDATE users SET role = $2, token_generation = token_generation + 1
               WHERE lower(email) = lower($1)
               RETURNING id, email, name, role, created_at, token_generation""",
            email,
            role,
        )
        if row is None:
            raise ServiceError(Code.NOT_FOUND, f"No account has the email {email}")
        return _user(row)
