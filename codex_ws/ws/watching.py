"""What every read-only watching socket shares: letting a signed-in caller in (a token in the
query, or a first `auth` message) when a check passes, serving only `ping` until the watching
task ends, and relaying one session: its snapshot, then its events until `exit`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiohttp import web

from ..domain.sessions import SessionInfo
from ..domain.tokens import Identity
from ..errors import Code, ServiceError
from ..store.sessions import SessionHub, SessionUnavailable
from ..web.auth import optional_identity
from ..web.outbox import Outbox
from ..web.shapes import snapshot_json
from .connection import Connection, check_origin, refuse

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Watcher(Generic[T]):
    connection: Connection
    identity: Identity
    subject: T  # what the check found: the session or class watched


async def admit(
    request: web.Request, check: Callable[[Identity], Awaitable[T]]
) -> Watcher[T] | web.WebSocketResponse:
    """The watcher, if signed in and `check` lets them in (it raises the refusal); else the
    refused socket, to be returned as it is."""
    try:
        check_origin(request)
        identity = optional_identity(request, allow_query=True)
        if identity is not None:
            subject = await check(identity)
    except ServiceError as exc:
        return await refuse(request, exc)
    connection = await Connection.accept(request)
    if identity is None:
        try:
            identity, _ = await connection.authenticate(request.app, required=True)
            assert identity is not None
            subject = await check(identity)
        except Exception as exc:
            await connection.refuse(exc)
            return connection.ws
    return Watcher(connection, identity, subject)


def _read_only(kind: str) -> ServiceError:
    return ServiceError(Code.READ_ONLY, "Watching is read-only: only 'ping' is accepted")


async def serve_until_done(
    connection: Connection, watching: Coroutine[Any, Any, None]
) -> web.WebSocketResponse:
    """Run `watching` and answer pings until it ends or the client leaves; then close."""
    task = asyncio.create_task(watching)
    try:
        await connection.serve({}, unknown=_read_only, until=task)
    finally:
        task.cancel()
        try:
            await asyncio.gather(task, return_exceptions=True)
        finally:
            await connection.close()
    return connection.ws


async def relay_session(hub: SessionHub, outbox: Outbox, session: SessionInfo) -> None:
    """Snapshot, then every event as it comes, until `exit`."""
    first = True
    try:
        async for batch in hub.follow(session.id):
            if first:
                first = False
                events = batch
                if not events and session.state != "running":
                    events = await hub.transcript(session.id)
                if session.state == "running" and any(e["type"] == "exit" for e in events):
                    session.state = "finished"  # its end is being stored this very moment
                outbox.send(snapshot_json(session, events))
                if session.state != "running" and not batch:
                    break
            else:
                for event in batch:
                    outbox.send(event)
    except SessionUnavailable as exc:
        outbox.error(ServiceError(Code.UNAVAILABLE, f"{exc}; reconnect to try again"))
