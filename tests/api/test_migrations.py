"""Numbered migrations: applied once, safe to run twice and from two processes at once."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from codex_ws.settings import DEFAULT_DATABASE_URL
from codex_ws.store.db import create_pool, migrate, migrations


async def test_migrations_are_numbered_and_ordered() -> None:
    versions = [m.version for m in migrations()]
    assert versions == sorted(versions) and versions[0] == 1


async def test_migrate_is_idempotent_and_safe_concurrently() -> None:
    """Two processes migrate an empty schema at once: one applies everything, once."""
    schema = f"migrate_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(DEFAULT_DATABASE_URL)
    await admin.execute(f"CREATE SCHEMA {schema}")
    pools = [
        await asyncpg.create_pool(
            DEFAULT_DATABASE_URL, min_size=1, max_size=2, server_settings={"search_path": schema}
        )
        for _ in range(2)
    ]
    try:
        results = await asyncio.gather(*(migrate(pool) for pool in pools))
        every = [m.version for m in migrations()]
        assert sorted(results, key=len) == [[], every]
        assert await migrate(pools[0]) == []
        assert await pools[1].fetchval("SELECT count(*) FROM schema_migrations") == len(every)
    finally:
        for pool in pools:
            await pool.close()
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


async def test_an_unreachable_database_names_the_fix() -> None:
    try:
        await create_pool("postgresql://codex:secret@127.0.0.1:1/codex")
    except ConnectionError as exc:
        assert "PostgreSQL not reachable at postgresql://codex:***@127.0.0.1:1/codex" in str(exc)
        assert "secret" not in str(exc)
    else:
        raise AssertionError("expected a ConnectionError")
