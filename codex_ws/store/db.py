"""PostgreSQL: the connection pool and numbered migrations."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same for every process of this service.
_MIGRATION_LOCK = 0x636F646578
CONNECT_SECONDS = 5


class DatabaseUnavailable(ConnectionError):
    """PostgreSQL does not answer: it is down, restarting or out of reach (not a bad query)."""


# What a query raises when PostgreSQL is out of reach, goes away under it, or is stopping.
UNAVAILABLE = (
    DatabaseUnavailable,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files `NNNN_name.sql`, in order."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", path.name)
        if match is None:
            raise RuntimeError(f"Migration file {path.name} is not named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError("Two migration files share a number")
    return found


async def migrate(pool: asyncpg.Pool) -> list[int]:
    """Apply the migrations not applied yet, in one transaction; returns their versions.

    An advisory lock makes concurrent callers (several processes starting at once) take turns.
    """
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await connection.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version    integer PRIMARY KEY,
                   name       text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        applied = {
            row["version"]
            for row in await connection.fetch("SELECT version FROM schema_migrations")
        }
        done = []
        for migration in migrations():
            if migration.version in applied:
                continue
            log.info("applying migration %04d_%s", migration.version, migration.name)
            await connection.execute(migration.sql)
            await connection.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
            done.append(migration.version)
        return done


async def create_pool(url: str) -> asyncpg.Pool:
    """A connection pool; a clear error when PostgreSQL does not answer."""
    try:
        pool = await asyncpg.create_pool(
            url,
            min_size=1,
            max_size=10,
            command_timeout=10,
            timeout=CONNECT_SECONDS,
            connect=_connect,
        )
    except (OSError, asyncpg.PostgresError) as exc:
        raise ConnectionError(
            f"PostgreSQL not reachable at {_redact(url)}: is it running? set CODEX_DATABASE_URL "
            f"({exc.__class__.__name__}: {exc})"
        ) from exc
    assert pool is not None
    return pool


async def _connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
    """A new connection of the pool; DatabaseUnavailable when PostgreSQL does not answer."""
    try:
        return await asyncpg.connect(*args, **kwargs)
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.OperatorInterventionError) as exc:
        raise DatabaseUnavailable(
            f"PostgreSQL not answering ({exc.__class__.__name__}: {exc})"
        ) from exc


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)
