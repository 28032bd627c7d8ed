"""Live sessions: each WebSocket run, its events fanned out to watchers on any process.

Redis holds what is live: a registry entry per running session that expires unless its process
keeps it fresh, and a stream of the session's events that late joiners replay and watchers
tail. PostgreSQL holds every session for later, with its transcript. The stream and the
transcript hold the same events: those the session's byte budget keeps (domain/budget.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import redis.asyncio as redis
from redis.exceptions import RedisError

from sandbox.owner import Owner

from ..domain.budget import ENTRY_BYTES, SessionBudget, capped
from ..domain.sessions import SessionInfo
from ..domain.tokens import Identity
from .activity import Activity
from .classes import member_sql, visible_sql

log = logging.getLogger(__name__)

STORED_BYTES = 256 << 10  # the defaults of CODEX_SESSION_STORED_BYTES and ..._STDIN_BYTES
STDIN_BYTES = 64 << 10
CONTROL_EVENTS = 16  # stage, truncated and exit events: a handful per session
LIVE_TTL_SECONDS = 30
KEEPALIVE_SECONDS = 10
FINISHED_STREAM_SECONDS = 600
PUBLISH_QUEUE = 10_000
FLUSH_SECONDS = 5

Event = dict[str, Any]


class SessionUnavailable(Exception):
    """Live events cannot be read now (Redis is not answering)."""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _from_row(row: asyncpg.Record) -> SessionInfo:
    return SessionInfo(
        id=str(row["id"]),
        user_id=str(row["user_id"]) if row["user_id"] else None,
        user_name=row["user_name"],
        language=row["language"],
        code=row["code"],
        state=row["state"],
        started_at=_iso(row["started_at"]) or "",
        ended_at=_iso(row["ended_at"]),
        status=row["status"],
    )


class SessionHub:
    """Opens, finds, lists and follows sessions."""

    def __init__(
        self,
        client: redis.Redis,
        pool: asyncpg.Pool,
        *,
        owner: str,
        prefix: str = "codex",
        stored_bytes: int = STORED_BYTES,
        stdin_bytes: int = STDIN_BYTES,
        activity: Activity | None = None,
    ) -> None:
        self.redis = client
        self.activity = activity
        self.pool = pool
        self.owner = owner
        self.prefix = prefix
        self.stored_bytes = stored_bytes
        self.stdin_bytes = stdin_bytes
        # A backstop only: every entry costs more than ENTRY_BYTES of the budget, so the
        # budget stops a stream before it has this many entries.
        self.max_events = stored_bytes // ENTRY_BYTES + CONTROL_EVENTS

    def budget(self) -> SessionBudget:
        """A fresh budget for one session's stored events."""
        return SessionBudget(self.stored_bytes, self.stdin_bytes)

    def info_key(self, session_id: str) -> str:
        return f"{self.prefix}:session:{session_id}"

    def events_key(self, session_id: str) -> str:
        return f"{self.prefix}:session:{session_id}:events"

    async def open(self, info: SessionInfo) -> LiveSession:
        """Announce a new running session; its events can be published at once."""
        live = LiveSession(self, info, self.budget())
        try:
            await self.pool.execute(
                """INSERT INTO sessions (id, user_id, user_name, language, code, state, owner,
                                         started_at)
                   VALUES ($1, $2, $3, $4, $5, 'running', $6, $7)""",
                uuid.UUID(info.id),
                uuid.UUID(info.user_id) if info.user_id else None,
                info.user_name,
                info.language,
                info.code,
                self.owner,
                datetime.fromisoformat(info.started_at),
            )
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("session %s not stored at start: %s", info.id, exc)
        await live.start()
        if self.activity is not None:
            await self.activity.student(
                info.user_id, {"type": "session_started", "session": info.brief()}
            )
        return live

    async def abort_left_behind(self) -> int:
        """Mark `aborted` the sessions that processes of this host were running when they died.

        What their streams hold becomes the stored transcript, and the streams expire.
        """
        rows = await self.pool.fetch("SELECT id, owner FROM sessions WHERE state = 'running'")
        orphans = [str(row["id"]) for row in rows if _owner_is_gone(row["owner"])]
        for session_id in orphans:
            try:
                _, events = _decode(await self.redis.xrange(self.events_key(session_id)))
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.delete(self.info_key(session_id))
                    pipe.expire(self.events_key(session_id), FINISHED_STREAM_SECONDS)
                    await pipe.execute()
            except (RedisError, OSError) as exc:
                log.warning("session %s: its live events are lost: %s", session_id, exc)
                events = []
            row = await self.pool.fetchrow(
                """UPDATE sessions SET state = 'aborted', transcript = $2::jsonb
                   WHERE id = $1 AND state = 'running' RETURNING *""",
                uuid.UUID(session_id),
                json.dumps(capped(events, self.budget())),
            )
            if row is not None and self.activity is not None:
                info = _from_row(row)
                await self.activity.student(
                    info.user_id,
                    {"type": "session_ended", "session": info.brief(), "status": "aborted"},
                )
        if orphans:
            log.info("marked %d session(s) of processes that died as aborted", len(orphans))
        return len(orphans)

    async def find(self, session_id: str) -> SessionInfo | None:
        """A session, live from Redis, else from PostgreSQL."""
        try:
            raw = await self.redis.get(self.info_key(session_id))
            redis_answered = True
        except (RedisError, OSError):
            raw, redis_answered = None, False
        if raw is not None:
            return SessionInfo(**json.loads(raw))
        try:
            key = uuid.UUID(session_id)
        except ValueError:
            return None
        row = await self.pool.fetchrow("SELECT * FROM sessions WHERE id = $1", key)
        if row is None:
            return None
        info = _from_row(row)
        if info.state == "running" and redis_answered:
            info.state = "aborted"  # nobody keeps it alive any more
        return info

    async def transcript(self, session_id: str) -> list[Event]:
        """Every event so far: live from the stream, else the stored transcript."""
        try:
            _, events = _decode(await self.redis.xrange(self.events_key(session_id)))
            if events:
                return events
        except (RedisError, OSError) as exc:
            log.warning(
                "session %s: live events unreadable, using the stored ones: %s", session_id, exc
            )
        with contextlib.suppress(ValueError):
            stored = await self.pool.fetchval(
                "SELECT transcript FROM sessions WHERE id = $1", uuid.UUID(session_id)
            )
            if stored:
                return list(json.loads(stored) if isinstance(stored, str) else stored)
        return []

    async def listed(
        self,
        viewer: Identity,
        *,
        in_class: uuid.UUID | None = None,
        student: uuid.UUID | None = None,
        state: str | None = None,
        limit: int = 50,
    ) -> list[SessionInfo]:
        """The newest sessions `viewer` may see, narrowed to a class's members (while they were
        members), one student, and `running` or `ended` ones."""
        conditions = [
            visible_sql(viewer, "s.user_id", "s.started_at", "$1"),
            f"($2::uuid IS NULL OR {member_sql('$2', 's.user_id', 's.started_at')})",
            "($3::uuid IS NULL OR s.user_id = $3)",
        ]
        if state == "running":
            conditions.append("s.state = 'running'")
        elif state == "ended":
            conditions.append("s.state <> 'running'")
        rows = await self.pool.fetch(
            f"""SELECT s.* FROM sessions s WHERE {" AND ".join(conditions)}
                ORDER BY s.started_at DESC LIMIT $4""",
            viewer.user_id,
            in_class,
            student,
            limit,
        )
        sessions = await self._alive([_from_row(row) for row in rows])
        if state == "running":
            sessions = [s for s in sessions if s.state == "running"]
        return sessions

    async def latest_in_class(self, class_id: uuid.UUID) -> dict[str, SessionInfo]:
        """Each current student's newest session since joining, by student id."""
        rows = await self.pool.fetch(
            """SELECT s.* FROM class_members m
               JOIN LATERAL (
                   SELECT * FROM sessions x
                   WHERE x.user_id = m.user_id AND x.started_at >= m.joined_at
                   ORDER BY x.started_at DESC LIMIT 1) s ON true
               WHERE m.class_id = $1 AND m.left_at IS NULL""",
            class_id,
        )
        sessions = await self._alive([_from_row(row) for row in rows])
        return {s.user_id: s for s in sessions if s.user_id is not None}

    async def _alive(self, sessions: list[SessionInfo]) -> list[SessionInfo]:
        """`sessions`, with those no process keeps running any more shown `aborted`."""
        running = [s for s in sessions if s.state == "running"]
        if running:
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for session in running:
                        pipe.exists(self.info_key(session.id))
                    alive = await pipe.execute()
                for session, exists in zip(running, alive, strict=True):
                    if not exists:
                        session.state = "aborted"
            except (RedisError, OSError) as exc:
                log.warning("could not tell which running sessions are alive: %s", exc)
        return sessions

    async def follow(self, session_id: str, after: str = "0-0") -> AsyncIterator[list[Event]]:
        """Batches of events after stream id `after`, as they come, until the exit event.

        The first batch is everything so far (possibly empty): the snapshot.
        """
        key = self.events_key(session_id)
        try:
            last, batch = _decode(await self.redis.xrange(key, min="-"))
        except (RedisError, OSError) as exc:
            raise SessionUnavailable(f"Live events are unavailable: {exc}") from exc
        last = last or after
        yield batch
        if any(event["type"] == "exit" for event in batch):
            return
        quiet = 0.0
        while True:
            try:
                answer: Any = await self.redis.xread({key: last}, count=500, block=1000)
            except (RedisError, OSError) as exc:
                raise SessionUnavailable(f"Live events are unavailable: {exc}") from exc
            if not answer:
                quiet += 1
                if quiet >= LIVE_TTL_SECONDS and not await self.redis.exists(
                    self.info_key(session_id)
                ):
                    raise SessionUnavailable("The session's server went away")
                continue
            quiet = 0
            newest, batch = _decode(answer[0][1])
            last = newest or last
            yield batch
            if any(event["type"] == "exit" for event in batch):
                return


@dataclass
class LiveSession:
    """A running session, owned by the process that runs it."""

    hub: SessionHub
    info: SessionInfo
    budget: SessionBudget
    # The stored text of each event kept: the transcript, and what the stream gets.
    transcript: list[str] = field(default_factory=list)
    _queue: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(PUBLISH_QUEUE))
    _publisher: asyncio.Task[None] | None = None
    _keepalive: asyncio.Task[None] | None = None
    _dropped: int = 0
    _ending: bool = False

    async def start(self) -> None:
        await self._announce()
        self._publisher = asyncio.create_task(self._publish_in_order())
        self._keepalive = asyncio.create_task(self._keep_alive())

    def publish(self, event: Event) -> None:
        """Send an event to watchers (in order, never blocking the run), within the budget."""
        for kept in self.budget.admit(event):
            self.transcript.append(kept.text)
            try:
                self._queue.put_nowait(kept.text)
            except asyncio.QueueFull:
                self._dropped += 1

    async def finish(self, status: str) -> None:
        """Flush the events, mark the session finished here and in PostgreSQL."""
        self.info.state = "finished"
        self.info.status = status
        self.info.ended_at = datetime.now(UTC).isoformat()
        self._ending = True
        await self._queue.put(None)
        if self._publisher is not None:
            await asyncio.wait({self._publisher}, timeout=FLUSH_SECONDS)
        await self.abandon()
        try:
            # Not one transaction: with Redis out of memory the SET is refused, and the
            # stream must get its expiry all the same (EXPIRE needs no memory).
            async with self.hub.redis.pipeline(transaction=False) as pipe:
                pipe.expire(self.hub.events_key(self.info.id), FINISHED_STREAM_SECONDS)
                pipe.set(
                    self.hub.info_key(self.info.id),
                    json.dumps(_fields(self.info)),
                    ex=FINISHED_STREAM_SECONDS,
                )
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("session %s: could not mark it finished in Redis: %s", self.info.id, exc)
        try:
            await self.hub.pool.execute(
                """UPDATE sessions SET state = 'finished', status = $2, ended_at = now(),
                       transcript = $3::jsonb
                   WHERE id = $1""",
                uuid.UUID(self.info.id),
                status,
                "[" + ", ".join(self.transcript) + "]",
            )
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("session %s: could not store its end: %s", self.info.id, exc)
        if self.hub.activity is not None:
            await self.hub.activity.student(
                self.info.user_id,
                {"type": "session_ended", "session": self.info.brief(), "status": status},
            )

    async def abandon(self) -> None:
        """Stop publishing and keeping the session alive, without waiting for long."""
        self._ending = True
        tasks = [t for t in (self._publisher, self._keepalive) if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            # A cancel that lands inside a Redis connect may come out as a timeout the task
            # catches; `_ending` makes it stop at its next turn, and we wait only so long.
            await asyncio.wait(tasks, timeout=FLUSH_SECONDS)

    async def _announce(self) -> None:
        try:
            await self.hub.redis.set(
                self.hub.info_key(self.info.id),
                json.dumps(_fields(self.info)),
                ex=LIVE_TTL_SECONDS,
            )
        except (RedisError, OSError) as exc:
            log.warning("session %s: not announced (watching unavailable): %s", self.info.id, exc)

    async def _keep_alive(self) -> None:
        while not self._ending:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            if not self._ending:
                await self._announce()

    async def _publish_in_order(self) -> None:
        key = self.hub.events_key(self.info.id)
        while (text := await self._queue.get()) is not None:
            try:
                await self.hub.redis.xadd(
                    key, {"e": text}, maxlen=self.hub.max_events, approximate=True
                )
            except (RedisError, OSError) as exc:
                self._dropped += 1
                if self._dropped == 1:
                    log.warning("session %s: events not reaching watchers: %s", self.info.id, exc)


def _owner_is_gone(label: str) -> bool:
    owner = Owner.parse(label)
    return owner is not None and owner.is_gone()


def _decode(entries: Any) -> tuple[str | None, list[Event]]:
    """The newest stream id and the events of XRANGE / XREAD entries."""
    if not entries:
        return None, []
    newest = entries[-1][0]
    last = newest.decode() if isinstance(newest, bytes) else str(newest)
    return last, [json.loads(fields[b"e"]) for _, fields in entries]


def _fields(info: SessionInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "user_id": info.user_id,
        "user_name": info.user_name,
        "language": info.language,
        "code": info.code,
        "state": info.state,
        "started_at": info.started_at,
        "ended_at": info.ended_at,
        "status": info.status,
    }
