"""What a client can make the server store has a budget: a stdin flood on `/ws/run` (no
account needed) past a session's budget reaches the program in full, while its Redis stream,
its watchers, its transcript and `GET /api/sessions/{id}` keep within the budget and say
where they were cut. And a Redis that is full is handled as one that does not answer."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest
import redis.asyncio as aioredis
from redis.exceptions import OutOfMemoryError

from codex_ws.domain.budget import ENTRY_BYTES
from codex_ws.domain.sessions import SessionInfo
from codex_ws.errors import Code, ServiceError
from codex_ws.settings import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL
from codex_ws.store.admission import Admission, Quota
from codex_ws.store.db import create_pool, migrate
from codex_ws.store.sessions import FINISHED_STREAM_SECONDS, SessionHub
from tests.servers import promoted, start_server, stop_server, wait_until_healthy

from .classroom import make_admin
from .conftest import JWT_SECRET, TEACHER_CODE, Client, SignUp
from .test_openapi import assert_matches, validator
from .test_ws_resilience import PrivateRedis

STORED = 64 << 10  # CODEX_SESSION_STORED_BYTES of the test's server
STDIN = 16 << 10  # CODEX_SESSION_STDIN_BYTES
EMOJI = "\U0001f600"  # 4 bytes of UTF-8, 12 of escaped JSON
MESSAGES = 12
PER_MESSAGE = 62_000  # 248,000 bytes of UTF-8: under the 256 KiB cap of a message as sent
CHUNK = EMOJI * PER_MESSAGE
PRINTED = 40_000  # emoji the program prints: 160 KB, under CODEX_MAX_OUTPUT_BYTES

# Reads its stdin to the end, says how much, then floods its output past the budget too.
READ_ALL = f"""import sys
data = sys.stdin.buffer.read()
print("read", len(data), flush=True)
print("{EMOJI}" * {PRINTED}, flush=True)
"""
DATA_TYPES = ("stdout", "stderr", "stdin")


def database_url() -> str:
    return os.environ.get("CODEX_DATABASE_URL") or DEFAULT_DATABASE_URL


def redis_url() -> str:
    return os.environ.get("CODEX_REDIS_URL") or DEFAULT_REDIS_URL


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str]]:
    """A `codex-ws serve` with small session budgets; its base URL and Redis prefix."""
    prefix = f"codex-budget-{secrets.token_hex(4)}"
    env = os.environ | {
        "CODEX_ENV": "test",
        "CODEX_JWT_SECRET": JWT_SECRET,
        "CODEX_TEACHER_CODE": TEACHER_CODE,
        "CODEX_LOG_LEVEL": "WARNING",
        "CODEX_POOL": "",
        "CODEX_REDIS_PREFIX": prefix,
        "CODEX_SESSION_STORED_BYTES": str(STORED),
        "CODEX_SESSION_STDIN_BYTES": str(STDIN),
    }
    process, base = start_server(env)
    try:
        yield base, prefix
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
async def http(server: tuple[str, str]) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        await wait_until_healthy(session, server[0])
        yield session


async def receive(ws: aiohttp.ClientWebSocketResponse, within: float = 60) -> dict[str, Any]:
    async with asyncio.timeout(within):
        message = await ws.receive()
    assert message.type == aiohttp.WSMsgType.TEXT, (message, ws.close_code)
    return json.loads(message.data)  # type: ignore[no-any-return]


async def watch(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    """The events a watcher gets: its snapshot's, then each one until the close after `exit`."""
    snapshot = await receive(ws)
    assert snapshot["type"] == "snapshot", snapshot
    events: list[dict[str, Any]] = list(snapshot["events"])
    while not events or events[-1]["type"] != "exit":
        events.append(await receive(ws))
    return events


def stored_cost(events: list[dict[str, Any]], types: tuple[str, ...] = DATA_TYPES) -> int:
    """What the events of `types` count against a budget: their JSON text plus each entry."""
    return sum(len(json.dumps(e)) + ENTRY_BYTES for e in events if e["type"] in types)


def marks(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "truncated"]


@dataclass
class Flood:
    """What the flooding client and a teacher watching it saw."""

    session_id: str
    output: str
    ended: dict[str, Any]
    watched: list[dict[str, Any]]


async def flood(http: aiohttp.ClientSession, base: str, token: str) -> Flood:
    """An anonymous run of READ_ALL, flooded with stdin, watched by the teacher of `token`."""
    message = json.dumps({"type": "stdin", "data": CHUNK}, ensure_ascii=False)
    assert len(message.encode()) < 256 << 10  # as sent; escaped by the server, it triples
    async with http.ws_connect(f"{base}/ws/run", max_msg_size=0) as run:
        await run.send_json({"type": "run", "language": "python", "code": READ_ALL})
        started = await receive(run)
        assert started["type"] == "started", started
        session_id = started["sessionId"]
        async with http.ws_connect(
            f"{base}/ws/sessions/{session_id}/watch?token={token}", max_msg_size=0
        ) as watcher:
            watching = asyncio.create_task(watch(watcher))
            for _ in range(MESSAGES):
                await run.send_str(message)
            await run.send_json({"type": "eof"})
            output = ""
            while (event := await receive(run))["type"] != "exit":
                assert event["type"] in ("stdout", "stderr"), event
                output += event["data"]
            return Flood(session_id, output, event, await asyncio.wait_for(watching, 60))


async def check_stream(prefix: str, session_id: str, watched: list[dict[str, Any]]) -> None:
    """The Redis stream holds what watchers got; its entries and memory within the budget."""
    store = aioredis.Redis.from_url(redis_url())
    try:
        key = f"{prefix}:session:{session_id}:events"
        texts = [fields[b"e"] for _, fields in await store.xrange(key)]
        streamed = [json.loads(text) for text in texts]
        assert streamed == watched
        data = [t for t, e in zip(texts, streamed, strict=True) if e["type"] in DATA_TYPES]
        assert sum(len(t) + ENTRY_BYTES for t in data) <= STORED
        assert sum(len(t) for t in texts) <= STORED + 1024  # with the stage, marks and exit
        # Redis's own cost: a third more at worst for the allocator, a few KB for the stream.
        memory = await store.memory_usage(key, samples=0)
        assert memory is not None and memory <= STORED * 1.35 + 8192, memory
        assert 0 < await store.ttl(key) <= FINISHED_STREAM_SECONDS
    finally:
        await store.aclose()


async def check_transcript(session_id: str, watched: list[dict[str, Any]]) -> None:
    """PostgreSQL's transcript holds what watchers got."""
    database = await asyncpg.connect(database_url())
    try:
        for _ in range(100):
            row = await database.fetchrow(
                "SELECT state, transcript::text AS transcript FROM sessions WHERE id = $1",
                uuid.UUID(session_id),
            )
            if row is not None and row["state"] == "finished":
                break
            await asyncio.sleep(0.1)
        assert row is not None and row["state"] == "finished"
        assert json.loads(row["transcript"]) == watched
        assert len(row["transcript"]) <= STORED + 1024
    finally:
        await database.close()


async def check_pages(
    http: aiohttp.ClientSession, url: str, token: str, watched: list[dict[str, Any]]
) -> None:
    """`GET /api/sessions/{id}` within the budget, and page by page the same events."""
    headers = {"Authorization": f"Bearer {token}"}
    async with http.get(url, headers=headers) as response:
        assert response.status == 200
        raw = await response.read()
    assert len(raw) <= STORED + 2048, len(raw)  # the events, the code and the session's fields
    whole = json.loads(raw)
    assert (whole["events"], whole["more"], whole["nextAfter"]) == (watched, False, None)
    assert_matches(whole, "/api/sessions/{id}", "get", 200)

    paged: list[dict[str, Any]] = []
    after: int | None = 0
    while after is not None:
        async with http.get(f"{url}?after={after}&limit=2", headers=headers) as response:
            body = await response.json()
        assert response.status == 200, body
        assert 1 <= len(body["events"]) <= 2
        assert body["more"] is (body["nextAfter"] is not None)
        paged += body["events"]
        after = body["nextAfter"]
    assert paged == watched

    for query in ("after=-1", "limit=0", "limit=5001", "after=x"):
        async with http.get(f"{url}?{query}", headers=headers) as bad:
            assert bad.status == 400
            assert (await bad.json())["code"] == "invalid_request"


@pytest.mark.docker
async def test_a_stdin_flood_is_read_in_full_and_stored_within_the_budget(
    server: tuple[str, str], http: aiohttp.ClientSession
) -> None:
    base, prefix = server
    admin = await promoted(http, base, TEACHER_CODE)  # the run is anonymous
    seen = await flood(http, base, admin["token"])

    # The program read every byte, and its client got all its output.
    sent = MESSAGES * PER_MESSAGE * 4
    assert seen.ended["status"] == "ok", (seen.ended, seen.output[:200])
    assert seen.output == f"read {sent}\n" + EMOJI * PRINTED + "\n"

    # Watchers: the first part of each stream, one mark per stream cut, and the exit.
    watched = seen.watched
    assert marks(watched) == [
        {"type": "truncated", "stream": "stdin", "limitBytes": STDIN},
        {"type": "truncated", "stream": "stdout", "limitBytes": STORED},
    ]
    assert watched[-1]["type"] == "exit"
    documented = validator({"$ref": "#/components/schemas/WsWatchServerMessage"})
    for event in watched:
        assert not list(documented.iter_errors(event)), event
    typed = "".join(e["data"] for e in watched if e["type"] == "stdin")
    assert typed and CHUNK.startswith(typed)
    shown = "".join(e["data"] for e in watched if e["type"] == "stdout")
    assert shown.startswith(f"read {sent}\n{EMOJI}")
    assert stored_cost(watched, ("stdin",)) <= STDIN
    assert stored_cost(watched) <= STORED

    await check_stream(prefix, seen.session_id, watched)
    await check_transcript(seen.session_id, watched)
    await check_pages(http, f"{base}/api/sessions/{seen.session_id}", admin["token"], watched)


async def test_a_long_transcript_is_answered_a_page_at_a_time(
    client: Client, sign_up: SignUp
) -> None:
    """Pages stop at `limit` events or at 256 KiB of their text, and together hold them all."""
    admin = await make_admin(client, sign_up)  # the session is anonymous
    events = [{"type": "stdout", "data": f"{i:05} " + "x" * 994} for i in range(600)]
    events.append(
        {
            "type": "exit",
            "status": "ok",
            "exitCode": 0,
            "signal": None,
            "timedOut": False,
            "truncated": False,
            "durationMs": 12,
        }
    )
    session_id = uuid.uuid4()
    database = await asyncpg.connect(database_url())
    try:
        await database.execute(
            """INSERT INTO sessions (id, user_name, language, code, state, status, owner,
                                     transcript, ended_at)
               VALUES ($1, 'anonymous', 'python', 'print()', 'finished', 'ok', 'test', $2,
                       now())""",
            session_id,
            json.dumps(events),
        )
    finally:
        await database.close()
    url = f"/api/sessions/{session_id}"

    pages: list[list[dict[str, Any]]] = []
    after: int | None = 0
    while after is not None:
        response = await client.get(f"{url}?after={after}", headers=admin.headers)
        raw = await response.read()
        assert response.status == 200, raw[:200]
        assert len(raw) <= (256 << 10) + 1024
        body = json.loads(raw)
        assert_matches(body, "/api/sessions/{id}", "get", 200)
        pages.append(body["events"])
        after = body["nextAfter"]
    assert [e for page in pages for e in page] == events
    assert len(pages) == 3  # about 250 events of 1 KiB each fill 256 KiB

    response = await client.get(f"{url}?after=598&limit=2", headers=admin.headers)
    body = await response.json()
    assert (body["events"], body["more"], body["nextAfter"]) == (events[598:600], True, 600)
    response = await client.get(f"{url}?after=601", headers=admin.headers)
    body = await response.json()
    assert (body["events"], body["more"], body["nextAfter"]) == ([], False, None)


async def fill(store: aioredis.Redis) -> None:
    """Cap the Redis at what it holds now, and fill it until it refuses writes."""
    used = (await store.info("memory"))["used_memory"]
    await store.config_set("maxmemory", used + (256 << 10))
    await store.config_set("maxmemory-policy", "noeviction")
    for index in range(1000):
        try:
            await store.set(f"filler:{index}", "x" * (64 << 10))
        except OutOfMemoryError:
            return
    raise AssertionError("Redis never filled up")


async def test_a_full_redis_is_handled_as_one_that_does_not_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With `noeviction`, a full Redis refuses writes. The limits still hold, in Redis (a script
    that has begun writing is let finish, and removing a lease needs no memory); a session's
    events no longer reach its stream, but its transcript is stored in full, and its stream
    gets its expiry."""
    caplog.set_level(logging.WARNING)
    private = PrivateRedis()
    private.start()
    store = aioredis.Redis.from_url(private.url)
    pool = await create_pool(database_url())
    try:
        await migrate(pool)
        prefix = f"codex-full-{secrets.token_hex(4)}"
        hub = SessionHub(store, pool, owner="test", prefix=prefix, stored_bytes=4096)
        session = await hub.open(
            SessionInfo(
                id=str(uuid.uuid4()),
                user_id=None,
                user_name="anonymous",
                language="python",
                code="print(input())",
                state="running",
                started_at=datetime.now(UTC).isoformat(),
            )
        )
        session.publish({"type": "stdout", "data": "before\n"})
        key = hub.events_key(session.info.id)
        for _ in range(100):
            if await store.xlen(key):
                break
            await asyncio.sleep(0.05)
        assert await store.xlen(key) == 1

        await fill(store)
        admission = Admission(
            store, max_containers=4, queue_wait_seconds=1, lease_seconds=60, owner="test",
            prefix=prefix,
        )  # fmt: skip
        quota = Quota("ip:192.0.2.1", per_minute=10, concurrent=1)
        leases = f"{prefix}:active:{quota.key}"
        async with admission.run(quota):
            assert await store.zcard(leases) == 1  # shared with every process
            with pytest.raises(ServiceError) as refused:
                async with admission.run(quota):
                    pass
            assert refused.value.code is Code.RATE_LIMITED
        assert await store.zcard(leases) == 0
        assert await store.zcard(f"{prefix}:rate:{quota.key}") == 2
        with pytest.raises(OutOfMemoryError):
            await store.set("one-more", "x")  # still full

        session.publish({"type": "stdin", "data": "after\n"})
        session.publish({"type": "exit", "status": "ok"})
        await session.finish("ok")
        assert "events not reaching watchers: command not allowed when used memory" in caplog.text
        assert 0 < await store.ttl(key) <= FINISHED_STREAM_SECONDS  # EXPIRE needs no memory
        stored = await pool.fetchval(
            "SELECT transcript::text FROM sessions WHERE id = $1", uuid.UUID(session.info.id)
        )
        assert json.loads(stored) == [
            {"type": "stdout", "data": "before\n"},
            {"type": "stdin", "data": "after\n"},
            {"type": "exit", "status": "ok"},
        ]
    finally:
        await pool.close()
        await store.aclose()
        private.remove()
