"""What students do, as it happens, for the teachers watching their classes from any process.

Each account has a Redis pub/sub channel of its activity (`session_started`, `session_ended`,
`validated`, `student_online`, `student_offline`, and `code`: what its editor holds, while a
teacher follows it) and each class one of its roster changes (`student_joined`,
`student_left`). A class watcher subscribes to its class and to each of its students. Presence
and followers are sorted sets per account, of its open IDE connections and of the teachers'
follow sockets, each member scored with the time it lapses unless refreshed, so that a process
that dies takes its members away by itself. An account's IDE connections hear how many
teachers follow it through its notice channel, which one subscription per process (`Mailbox`)
hands out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Event = dict[str, Any]

PRESENCE_TTL_SECONDS = 45
PRESENCE_REFRESH_SECONDS = 15
DRAFT_SECONDS = 3600
DRAFT_INTERVAL_SECONDS = 0.25
MAILBOX_RETRY_SECONDS = 2.0


class Activity:
    """Publishes activity and presence; opens subscriptions to it."""

    def __init__(self, client: redis.Redis, prefix: str = "codex") -> None:
        self.redis = client
        self.prefix = prefix

    def user_channel(self, user_id: str) -> str:
        return f"{self.prefix}:activity:user:{user_id}"

    def class_channel(self, class_id: str) -> str:
        return f"{self.prefix}:activity:class:{class_id}"

    def _presence_key(self, user_id: str) -> str:
        return f"{self.prefix}:presence:{user_id}"

    async def publish(self, channel: str, event: Event) -> None:
        """Tell the watchers of `channel`; activity is never worth failing a run over."""
        try:
            await self.redis.publish(channel, json.dumps(event))
        except (RedisError, OSError) as exc:
            log.warning("activity not published on %s: %s", channel, exc)

    async def student(self, user_id: str | None, event: Event) -> None:
        if user_id is not None:
            await self.publish(self.user_channel(user_id), {**event, "student": user_id})

    # -- presence and watchers -------------------------------------------------------------

    def online(self, user_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        """The account is online while this is entered (one IDE connection of it)."""
        return self._member(
            self._presence_key(user_id),
            first=lambda: self.student(user_id, {"type": "student_online"}),
            changed=None,
            last=lambda: self.student(user_id, {"type": "student_offline"}),
        )

    def watching(
        self, user_id: str, teacher_id: str
    ) -> contextlib.AbstractAsyncContextManager[None]:
        """`teacher_id` follows the account while this is entered (one follow socket of theirs);
        its IDE is told how many teachers do."""

        async def tell() -> None:
            await self.publish(
                self.notice_channel(user_id),
                {"type": "watched", "watchers": await self.watchers(user_id)},
            )

        return self._member(
            self._watchers_key(user_id), first=None, changed=tell, last=None, owner=teacher_id
        )

    async def watchers(self, user_id: str) -> int:
        """How many teachers follow the account now (a teacher with several sockets counts once)."""
        try:
            members = await self.redis.zrangebyscore(
                self._watchers_key(user_id), time.time(), "+inf"
            )
        except (RedisError, OSError):
            return 0
        return len(
            {
                _text(member).partition(" ")[0]
                for member in members
                if isinstance(member, bytes | str)
            }
        )

    def notice_channel(self, user_id: str) -> str:
        """What the account's own IDE connections are told, on whichever process they are."""
        return f"{self.prefix}:notice:{user_id}"

    def _watchers_key(self, user_id: str) -> str:
        return f"{self.prefix}:watchers:{user_id}"

    @contextlib.asynccontextmanager
    async def _member(
        self,
        key: str,
        *,
        first: Callable[[], Awaitable[None]] | None,
        changed: Callable[[], Awaitable[None]] | None,
        last: Callable[[], Awaitable[None]] | None,
        owner: str = "",
    ) -> AsyncIterator[None]:
        """One member of the lapsing set `key` while entered (`owner` and a random id),
        refreshed until it leaves."""
        connection = f"{owner} {uuid.uuid4().hex}".strip()
        count = await self._refresh(key, connection)
        if count == 1 and first is not None:
            await first()
        if changed is not None:
            await changed()
        refresher = asyncio.create_task(self._keep_fresh(key, connection))
        try:
            yield
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            left = await self._leave(key, connection)
            if left == 0 and last is not None:
                await last()
            if changed is not None:
                await changed()

    # -- what a student is typing ----------------------------------------------------------

    async def share_draft(self, user_id: str, language: str, code: str) -> None:
        """The code in the student's editor now, for the teachers following them."""
        draft = {"type": "code", "language": language, "code": code, "at": _now_iso()}
        try:
            await self.redis.set(self._draft_key(user_id), json.dumps(draft), ex=DRAFT_SECONDS)
        except (RedisError, OSError) as exc:
            log.warning("draft not kept: %s", exc)
        await self.student(user_id, draft)

    async def draft(self, user_id: str) -> Event | None:
        """The newest code the student's editor shared (within the last hour)."""
        try:
            raw = await self.redis.get(self._draft_key(user_id))
        except (RedisError, OSError):
            return None
        return json.loads(raw) if raw else None

    def _draft_key(self, user_id: str) -> str:
        return f"{self.prefix}:draft:{user_id}"

    async def online_among(self, user_ids: Iterable[str]) -> set[str]:
        """Which of these accounts have an IDE connection open now."""
        ids = list(user_ids)
        if not ids:
            return set()
        now = time.time()
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for user_id in ids:
                    pipe.zcount(self._presence_key(user_id), now, "+inf")
                counts = await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("presence unreadable: %s", exc)
            return set()
        return {user_id for user_id, count in zip(ids, counts, strict=True) if count}

    async def _refresh(self, key: str, connection: str) -> int:
        """Mark the connection live for another while; the number of live connections (0 when
        Redis does not answer)."""
        now = time.time()
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(key, "-inf", now)
                pipe.zadd(key, {connection: now + PRESENCE_TTL_SECONDS})
                pipe.zcard(key)
                pipe.expire(key, PRESENCE_TTL_SECONDS)
                answers = await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("presence not recorded: %s", exc)
            return 0
        return int(answers[2])

    async def _leave(self, key: str, connection: str) -> int:
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zrem(key, connection)
                pipe.zremrangebyscore(key, "-inf", time.time())
                pipe.zcard(key)
                answers = await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("presence not cleared (it lapses by itself): %s", exc)
            return -1
        return int(answers[2])

    async def _keep_fresh(self, key: str, connection: str) -> None:
        while True:
            await asyncio.sleep(PRESENCE_REFRESH_SECONDS)
            await self._refresh(key, connection)

    # -- subscribing -----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscription(self, channels: Iterable[str]) -> AsyncIterator[Subscription]:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        subscription = Subscription(pubsub)
        try:
            await subscription.add(channels)
            yield subscription
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]


class Subscription:
    """Channels listened to; `next()` gives their events in order."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def add(self, channels: Iterable[str]) -> None:
        wanted = list(channels)
        if wanted:
            await self._pubsub.subscribe(*wanted)

    async def remove(self, channel: str) -> None:
        await self._pubsub.unsubscribe(channel)

    async def next(self, wait_seconds: float) -> Event | None:
        """The next event, or None when none came within `wait_seconds`."""
        if not self._pubsub.subscribed:
            await asyncio.sleep(wait_seconds)
            return None
        message = await self._pubsub.get_message(
            ignore_subscribe_messages=True, timeout=wait_seconds
        )
        if message is None or message.get("type") != "message":
            return None
        try:
            event = json.loads(message["data"])
        except (ValueError, TypeError):
            return None
        return event if isinstance(event, dict) else None


class DraftSharer:
    """One IDE connection's editor, shared at most every `DRAFT_INTERVAL_SECONDS`: of the code
    offered meanwhile only the newest goes."""

    def __init__(self, activity: Activity, user_id: str) -> None:
        self.activity = activity
        self.user_id = user_id
        self._pending: tuple[str, str] | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()
        self._last = -DRAFT_INTERVAL_SECONDS

    def offer(self, language: str, code: str) -> None:
        self._pending = (language, code)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._share())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _share(self) -> None:
        while self._pending is not None:
            wait = self._last + DRAFT_INTERVAL_SECONDS - self._loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            language, code = self._pending
            self._pending = None
            self._last = self._loop.time()
            await self.activity.share_draft(self.user_id, language, code)


class Mailbox:
    """This process's one subscription to the notices of every account (`notice:*`), handed
    to the account's IDE connections here: a connection costs no Redis connection of its own."""

    def __init__(self, activity: Activity) -> None:
        self.activity = activity
        self._listeners: dict[str, set[Callable[[Event], None]]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @contextlib.contextmanager
    def listening(self, user_id: str, listener: Callable[[Event], None]) -> Iterator[None]:
        listeners = self._listeners.setdefault(user_id, set())
        listeners.add(listener)
        try:
            yield
        finally:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[user_id]

    async def _listen(self) -> None:
        prefix = self.activity.notice_channel("")
        while True:
            try:
                pubsub = self.activity.redis.pubsub(ignore_subscribe_messages=True)
                try:
                    await pubsub.psubscribe(prefix + "*")
                    while True:
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=1.0
                        )
                        if message is not None and message.get("type") == "pmessage":
                            self._deliver(message["channel"], message["data"], prefix)
                finally:
                    with contextlib.suppress(RedisError, OSError):
                        await pubsub.aclose()  # type: ignore[no-untyped-call]
            except (RedisError, OSError) as exc:
                log.warning("notices to IDE connections paused (Redis): %s", exc)
                await asyncio.sleep(MAILBOX_RETRY_SECONDS)

    def _deliver(self, channel: bytes | str, data: bytes | str, prefix: str) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        listeners = self._listeners.get(name.removeprefix(prefix))
        if not listeners:
            return
        try:
            event = json.loads(data)
        except ValueError:
            return
        if isinstance(event, dict):
            for listener in list(listeners):
                listener(event)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()
