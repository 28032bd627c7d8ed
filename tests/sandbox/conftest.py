"""Every engine test runs twice: with fresh containers, and with warm pools."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox import Engine, EngineConfig, LimitPolicy

WARM = {"python": 2, "javascript": 1, "java": 1, "csharp": 1}


@pytest.fixture(scope="session", params=["fresh", "pooled"])
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[Engine]:
    sizes = WARM if request.param == "pooled" else {}
    async with Engine(EngineConfig(pool_sizes=sizes)) as engine:
        if engine.pool is not None:
            await engine.pool.wait_until_full()
        yield engine


@pytest.fixture(scope="session")
async def small_output_engine(engine: Engine) -> AsyncIterator[Engine]:
    """An engine whose output cap is small, so floods hit it quickly (pooled like `engine`)."""
    sizes = WARM if engine.pool is not None else {}
    policy = LimitPolicy(output_bytes=8 * 1024)
    async with Engine(EngineConfig(policy=policy, pool_sizes=sizes)) as small:
        yield small
