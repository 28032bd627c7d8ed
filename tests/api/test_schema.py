"""Garbage in over REST: schemathesis sends what docs/openapi.yaml allows, and what it does not,
to every operation of a real `codex-ws serve` (real Docker, PostgreSQL and Redis). No answer may
be a 500, and every answer must be one the document describes: its status, its content type and
its body's schema.

The server gets a PostgreSQL schema of its own (its `search_path`), so that deleting or
rewriting exercises here touches no other test's data, and a Redis prefix of its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from codex_ws.routes.docs import OPENAPI_FILE
from codex_ws.settings import DEFAULT_DATABASE_URL
from sandbox import Engine
from sandbox.container_config import OWNER_LABEL, SANDBOX_LABEL
from tests.servers import register, start_server, stop_server, wait_until_healthy

pytestmark = pytest.mark.docker

# Generated cases per operation in the fuzzing phase; the examples and coverage phases add
# their own. With 20 operations this keeps the whole run to about two minutes on two cores.
MAX_EXAMPLES = 30

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CALLERS = ("as generated", "student", "teacher")
TEACHER_CODE = "teach-" + secrets.token_hex(4)

schema = schemathesis.openapi.from_path(OPENAPI_FILE)
schema.config.generation.update(max_examples=MAX_EXAMPLES)


@dataclass(frozen=True)
class Served:
    """The server under test, with callers and path parameters that exist on it."""

    base: str
    tokens: dict[str, str]
    known: dict[str, list[str]]

    def headers(self, caller: str) -> dict[str, str] | None:
        token = self.tokens.get(caller)
        return {"Authorization": f"Bearer {token}"} if token else None


async def _one_session(http: aiohttp.ClientSession, base: str, token: str) -> str:
    """A finished WebSocket run, so that the session routes have something to show."""
    async with http.ws_connect(f"{base}/ws/run?token={token}") as ws:
        await ws.send_json({"type": "run", "language": "python", "code": "print('hi')"})
        started = json.loads((await ws.receive(timeout=30)).data)
        assert started["type"] == "started", started
        while json.loads((await ws.receive(timeout=30)).data)["type"] != "exit":
            pass
    return str(started["sessionId"])


async def _sandboxes_of(engine: Engine, pid: int) -> list[str]:
    """Sandbox containers owned by the server process `pid` of this host."""
    every = await engine.docker.containers.list(
        all=True, filters=json.dumps({"label": [f"{SANDBOX_LABEL}=1"]})
    )
    owner = f"{engine.owner.host}/{pid}:"
    return [c.id for c in every if c._container["Labels"].get(OWNER_LABEL, "").startswith(owner)]


@pytest.fixture(scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> AsyncIterator[Served]:
    search_path = f"schemathesis_{secrets.token_hex(4)}"
    database_url = os.environ.get("CODEX_DATABASE_URL") or DEFAULT_DATABASE_URL
    admin = await asyncpg.connect(database_url)
    await admin.execute(f"CREATE SCHEMA {search_path}")
    log_path: Path = tmp_path_factory.mktemp("schemathesis") / "server.log"
    env = os.environ | {
        "CODEX_ENV": "production",
        "CODEX_JWT_SECRET": secrets.token_urlsafe(32),
        "CODEX_TEACHER_CODE": TEACHER_CODE,
        "CODEX_DATABASE_URL": f"{database_url}?search_path={search_path}",
        "CODEX_REDIS_PREFIX": f"codex-test-{secrets.token_hex(4)}",
        "CODEX_RUNS_PER_MINUTE": "10000",
        "CODEX_RUNS_PER_MINUTE_ANONYMOUS": "10000",
        "CODEX_VALIDATIONS_PER_MINUTE": "10000",
        "CODEX_CONCURRENT_RUNS_PER_USER": "50",
        "CODEX_POOL": "",
        "CODEX_LOG_LEVEL": "WARNING",
    }
    with log_path.open("wb") as log:
        server, base = start_server(env, log)
    try:
        async with aiohttp.ClientSession() as http:
            await wait_until_healthy(http, base)
            tokens = {
                role: str((await register(http, base, role, TEACHER_CODE))["token"])
                for role in ("student", "teacher")
            }
            async with http.get(f"{base}/api/exercises") as response:
                exercises = (await response.json())["exercises"]
            session_id = await _one_session(http, base, tokens["student"])
        yield Served(
            base,
            tokens,
            known={
                "key": [e["slug"] for e in exercises] + [e["id"] for e in exercises],
                "id": [session_id],
            },
        )
        assert await _sandboxes_of(engine, server.pid) == [], "sandbox containers left behind"
    finally:
        stop_server(server)
        await admin.execute(f"DROP SCHEMA {search_path} CASCADE")
        await admin.close()
    logged = await asyncio.to_thread(log_path.read_text, encoding="utf-8", errors="replace")
    errors = [line for line in logged.splitlines() if " ERROR " in line]
    assert not errors, "the server logged errors:\n" + logged[-5000:]


# Cases are generated before the server exists: a drawn caller and existing path parameters
# travel in them as placeholders, which the test puts real values in before the call.
CALLER = "x-test-caller"
EXISTING = "existing:"


@schema.hook
def flatmap_case(context: schemathesis.HookContext, case: schemathesis.Case) -> Any:
    """Any case may be sent as a signed-in student or teacher, and name what exists."""
    names = sorted(set(case.path_parameters or {}) & {"key", "id"})
    return st.tuples(
        st.sampled_from(CALLERS),
        st.lists(st.none() | st.integers(0, 1000), min_size=len(names), max_size=len(names)),
    ).map(lambda drawn: _with_placeholders(case, *drawn, names))


def _with_placeholders(
    case: schemathesis.Case, caller: str, picks: list[int | None], names: list[str]
) -> schemathesis.Case:
    case.headers = {**(case.headers or {}), CALLER: caller}
    for name, pick in zip(names, picks, strict=True):
        if pick is not None:
            case.path_parameters[name] = f"{EXISTING}{pick}"
    return case


def _default_caller(case: schemathesis.Case) -> str:
    """For cases the hook does not see (examples, coverage): a teacher where a token is needed,
    so that they reach the checks behind the sign-in (a teacher may do all a student may)."""
    security = case.operation.definition.raw.get("security", [])
    return "teacher" if security and {} not in security else "as generated"


def _resolve(case: schemathesis.Case, served: Served) -> dict[str, str] | None:
    """Put real values in the placeholders; the headers to add to the request."""
    caller = (case.headers or {}).pop(CALLER, None) or _default_caller(case)
    for name, value in (case.path_parameters or {}).items():
        if isinstance(value, str) and value.startswith(EXISTING):
            known = served.known[name]
            case.path_parameters[name] = known[int(value.removeprefix(EXISTING)) % len(known)]
    return served.headers(caller)


@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_every_operation_answers_as_documented(case: schemathesis.Case, served: Served) -> None:
    headers = _resolve(case, served)
    case.call_and_validate(base_url=served.base, headers=headers, checks=CHECKS, timeout=60)
