"""Fixtures shared by every test that talks to the real Docker engine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sandbox import (
    CheckedRun,
    Engine,
    EngineConfig,
    ExitEvent,
    LimitPolicy,
    OutputEvent,
    RunEvent,
    check_run,
)
from sandbox.container_config import OWNER_LABEL, SANDBOX_LABEL
from tests.sandbox.programs import HELLO


def checked(engine: Engine, language: str, code: str, **request: Any) -> CheckedRun:
    """A run request (args, stdin, limits) checked against `engine`'s languages and policy, as
    the web layer does."""
    return check_run(engine.languages, engine.policy, language, code, **request)


async def _open_engine(policy: LimitPolicy | None = None) -> Engine:
    engine = Engine(EngineConfig(policy=policy or LimitPolicy()))
    await engine.open()
    missing = await engine.missing_images()
    if missing:
        await engine.close()
        pytest.fail(
            f"sandbox images missing for {', '.join(missing)}: run `make images` "
            "(or `codex-ws images build`) first"
        )
    return engine


@pytest.fixture(scope="session")
async def engine() -> AsyncIterator[Engine]:
    engine = await _open_engine()
    yield engine
    await engine.close()


async def labelled_containers(engine: Engine, *, any_owner: bool = False) -> list[str]:
    """Sandbox containers of this test process (of every process with `any_owner`)."""
    labels = [f"{SANDBOX_LABEL}=1"] if any_owner else [f"{OWNER_LABEL}={engine.owner}"]
    containers = await engine.docker.containers.list(
        all=True, filters=json.dumps({"label": labels})
    )
    return [c.id for c in containers]


async def assert_nothing_left(*engines: Engine, within: float = 5.0) -> None:
    """No container with the sandbox label remains (removal runs off the request path)."""
    for engine in engines:
        await engine.settle()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within

    async def leftovers() -> list[str]:
        idle = {c for e in engines if e.pool is not None for c in e.pool.idle()}
        return [c for c in await labelled_containers(engines[0]) if c not in idle]

    while (left := await leftovers()) and loop.time() < deadline:
        await asyncio.sleep(0.1)
    assert left == [], f"sandbox containers left behind: {left}"


async def read_until(events: AsyncIterator[RunEvent], text: str, within: float = 30) -> str:
    """Output until `text` has appeared (a program's writes may arrive split or joined)."""
    seen = ""
    async with asyncio.timeout(within):
        while text not in seen:
            event = await anext(events)
            assert not isinstance(event, ExitEvent), (event, seen)
            if isinstance(event, OutputEvent):
                seen += event.data
    return seen


async def assert_canary_passes(engine: Engine, language: str = "python") -> None:
    result = await engine.execute(checked(engine, language, HELLO[language]))
    assert (result.status, result.output) == ("ok", "Hello, World!\n"), result
