"""What students do, as it happens, for the teachers watching their classes from any process.

Each account has a Redis pub/sub channel of its activity (`session_started`, `session_ended`,
`validated`, `student_online`, `student_offline`) and each class one of its roster changes
(`student_joined`, `student_left`). A class watcher subscribes to its class and to each of its
students. Presence is a sorted set per account of its open IDE connections, each with the time it
lapses unless refreshed, so that a process that dies takes its connections offline by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

import redis.asyncio as redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Event = dict[str, Any]

PRESENCE_TTL_SECONDS = 45
PRESENCE_REFRESH_SECONDS = 15


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

    # -- presence --------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def online(self, user_id: str) -> AsyncIterator[None]:
        """The account is online while this is entered (one IDE connection of it)."""
        connection = uuid.uuid4().hex
        key = self._presence_key(user_id)
        if await self._refresh(key, connection) == 1:
            await self.student(user_id, {"type": "student_online"})
        refresher = asyncio.create_task(self._keep_fresh(key, connection))
        try:
            yield
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            if await self._leave(key, connection) == 0:
                await self.student(user_id, {"type": "student_offline"})

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
