"""A class, live, for its teachers:

- `GET /ws/classes/{id}/watch`: a snapshot of every student (online, current session, last
  verdict), then what each does as it happens, from any server process;
- `GET /ws/classes/{id}/students/{userId}/follow`: one student's current session as
  `/ws/sessions/{id}/watch` gives it, switching to each new run the student starts, and the
  code in their editor as they type (their IDE is told it is followed).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from aiohttp import web
from redis.exceptions import RedisError

from ..domain.classes import ClassInfo, Member, class_id, user_id
from ..domain.sessions import SessionInfo
from ..domain.tokens import Identity
from ..errors import Code, ServiceError
from ..store.activity import Activity, Event, Subscription
from ..store.classes import Classes
from ..store.sessions import SessionHub
from ..web.keys import ACTIVITY, CLASSES, SESSIONS
from ..web.outbox import Outbox
from ..web.shapes import class_snapshot_json, session_json
from .watching import admit, relay_session, serve_until_done

WAIT_SECONDS = 1.0
# Presence is checked again this often, so that the connections of a process that died go
# offline for the watchers too (they lapse in Redis; nobody announces it).
PRESENCE_CHECK_SECONDS = 15.0

_OUTAGE = "Live class events are unavailable (Redis is not answering); reconnect to try again"


async def _taught_class(request: web.Request, identity: Identity) -> ClassInfo:
    if not identity.is_teacher:
        raise ServiceError(Code.FORBIDDEN, "Only the class's teachers can watch it")
    return await request.app[CLASSES].teaching(identity, class_id(request.match_info["id"]))


async def watch_class(request: web.Request) -> web.WebSocketResponse:
    async def check(identity: Identity) -> ClassInfo:
        return await _taught_class(request, identity)

    watcher = await admit(request, check)
    if isinstance(watcher, web.WebSocketResponse):
        return watcher
    room = ClassRoom(request.app, watcher.connection.outbox, watcher.subject)
    return await serve_until_done(watcher.connection, room.watch())


class ClassRoom:
    """One teacher's live view of one class."""

    def __init__(self, app: web.Application, outbox: Outbox, info: ClassInfo) -> None:
        self.activity: Activity = app[ACTIVITY]
        self.classes: Classes = app[CLASSES]
        self.hub: SessionHub = app[SESSIONS]
        self.outbox = outbox
        self.info = info
        self.roster: set[str] = set()
        self.online: set[str] = set()

    async def watch(self) -> None:
        activity = self.activity
        try:
            async with activity.subscription([activity.class_channel(str(self.info.id))]) as sub:
                # Subscribed before the snapshot is read: nothing falls between the two.
                students = await self.classes.students(self.info.id)
                self.roster = {str(s.id) for s in students}
                await sub.add(activity.user_channel(s) for s in self.roster)
                await self._snapshot(students)
                await self._relay(sub)
        except (RedisError, OSError):
            self.outbox.error(ServiceError(Code.UNAVAILABLE, _OUTAGE))

    async def _snapshot(self, students: list[Member]) -> None:
        self.online = await self.activity.online_among(self.roster)
        sessions = await self.hub.latest_in_class(self.info.id)
        checks = await self.classes.last_validations(self.info.id)
        self.outbox.send(class_snapshot_json(self.info, students, self.online, sessions, checks))

    async def _relay(self, sub: Subscription) -> None:
        loop = asyncio.get_running_loop()
        next_check = loop.time() + PRESENCE_CHECK_SECONDS
        while True:
            event = await sub.next(WAIT_SECONDS)
            if event is not None:
                await self._on_event(sub, event)
            if loop.time() >= next_check:
                next_check = loop.time() + PRESENCE_CHECK_SECONDS
                await self._check_presence()

    async def _on_event(self, sub: Subscription, event: Event) -> None:
        kind = event.get("type")
        if kind == "student_joined":
            student = event.get("student") or {}
            key = str(student.get("id"))
            if key in self.roster:
                return
            self.roster.add(key)
            await sub.add([self.activity.user_channel(key)])
            if await self.activity.online_among([key]):
                self.online.add(key)
            self.outbox.send(event | {"online": key in self.online})
            return
        key = str(event.get("student"))
        if key not in self.roster:
            return  # a student who left, whose channel is being dropped
        if kind == "student_left":
            self.roster.discard(key)
            self.online.discard(key)
            await sub.remove(self.activity.user_channel(key))
        elif kind == "student_online":
            if key in self.online:
                return
            self.online.add(key)
        elif kind == "student_offline":
            if key not in self.online:
                return
            self.online.discard(key)
        self.outbox.send(event)

    async def _check_presence(self) -> None:
        now = await self.activity.online_among(self.roster)
        for key in sorted(now - self.online):
            self.outbox.send({"type": "student_online", "student": key})
        for key in sorted(self.online - now):
            self.outbox.send({"type": "student_offline", "student": key})
        self.online = now


async def follow_student(request: web.Request) -> web.WebSocketResponse:
    async def check(identity: Identity) -> tuple[ClassInfo, Member]:
        info = await _taught_class(request, identity)
        student = user_id(request.match_info["userId"])
        for member in await request.app[CLASSES].students(info.id):
            if member.id == student:
                return info, member
        raise ServiceError(Code.NOT_FOUND, f"No student {student} in this class")

    watcher = await admit(request, check)
    if isinstance(watcher, web.WebSocketResponse):
        return watcher
    info, student = watcher.subject
    following = _follow(request.app, watcher.connection.outbox, watcher.identity, info, student)
    return await serve_until_done(watcher.connection, following)


async def _follow(
    app: web.Application, outbox: Outbox, identity: Identity, info: ClassInfo, student: Member
) -> None:
    """The student's newest session, then each one they start after it."""
    activity, hub = app[ACTIVITY], app[SESSIONS]
    relay: asyncio.Task[None] | None = None
    try:
        async with (
            activity.subscription([activity.user_channel(str(student.id))]) as sub,
            activity.watching(str(student.id), str(identity.user_id)),
        ):
            newest = await hub.listed(identity, in_class=info.id, student=student.id, limit=1)
            current: SessionInfo | None = newest[0] if newest else None
            if current is not None:
                relay = asyncio.create_task(relay_session(hub, outbox, current))
            else:
                outbox.send(
                    {
                        "type": "waiting",
                        "student": {"id": str(student.id), "name": student.name},
                    }
                )
            draft = await activity.draft(str(student.id))
            if draft is not None:
                outbox.send(_code(draft))
            while True:
                event = await sub.next(WAIT_SECONDS)
                if event is not None and event.get("type") == "code":
                    outbox.send(_code(event))
                    continue
                started = _started_session(event)
                if started is None or (current is not None and started == current.id):
                    continue
                session = await hub.find(started)
                if session is None:
                    continue
                await _stop(relay)
                current = session
                outbox.send({"type": "switched", "session": session_json(session, with_code=True)})
                relay = asyncio.create_task(relay_session(hub, outbox, session))
    except (RedisError, OSError):
        outbox.error(ServiceError(Code.UNAVAILABLE, _OUTAGE))
    finally:
        await _stop(relay)


def _code(event: Event) -> Event:
    """What the student's editor holds, as the follower gets it."""
    return {
        "type": "code",
        "language": event.get("language"),
        "code": event.get("code"),
        "at": event.get("at"),
    }


def _started_session(event: Event | None) -> str | None:
    if event is None or event.get("type") != "session_started":
        return None
    session = event.get("session")
    if not isinstance(session, dict):
        return None
    try:
        return str(uuid.UUID(str(session.get("id"))))
    except ValueError:
        return None


async def _stop(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/ws/classes/{id}/watch", watch_class)
    app.router.add_get("/ws/classes/{id}/students/{userId}/follow", follow_student)
