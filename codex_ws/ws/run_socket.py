"""`GET /ws/run`: run programs live. Output streams out as it is produced; stdin streams in.

One program at a time per connection; the connection's handlers act on its current run.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox import SIGNALS, CheckedRun

from ..domain.tokens import Identity
from ..errors import Code, ServiceError
from ..store.activity import Activity, DraftSharer
from ..web.auth import optional_identity
from ..web.keys import ACTIVITY, MAILBOX, SETTINGS
from ..web.outbox import Outbox
from ..web.run_request import Caller, RunServices, caller_of, parse_run
from .connection import Connection, Handler, Message, check_origin, no_fields, refuse
from .live_run import LiveRun


@dataclass(frozen=True, slots=True)
class Stdin:
    data: str


@dataclass(frozen=True, slots=True)
class Draft:
    language: str
    code: str


def _stdin(message: Message) -> Stdin:
    data = message.get("data")
    if not isinstance(data, str):
        raise ServiceError(Code.INVALID_REQUEST, "'data' must be a string")
    return Stdin(data)


def _signal(message: Message) -> str:
    name = message.get("signal")
    if name not in SIGNALS:
        raise ServiceError(Code.INVALID_REQUEST, f"'signal' must be one of {', '.join(SIGNALS)}")
    return str(name)


def _unknown(kind: str) -> ServiceError:
    return ServiceError(Code.INVALID_MESSAGE, f"Unknown message type {kind!r}")


class RunSocket:
    """The state of one `/ws/run` connection: who it is, and the program it runs now."""

    def __init__(
        self, connection: Connection, services: RunServices, caller: Caller, activity: Activity
    ) -> None:
        self.connection = connection
        self.services = services
        self.caller = caller
        self._current: LiveRun | None = None
        self.handlers: dict[str, Handler[Any]] = {
            "run": Handler(self._parse_run, self._run),
            "stdin": Handler(_stdin, self._stdin),
            "eof": Handler(no_fields, self._eof),
            "signal": Handler(_signal, self._signal),
            "code": Handler(self._parse_draft, self._share_draft),
        }
        identity = caller.identity
        self._drafts = (
            DraftSharer(activity, str(identity.user_id)) if identity is not None else None
        )

    async def close(self) -> None:
        """The client left: a run that exited finishes its bookkeeping, one still going ends."""
        if self._drafts is not None:
            await self._drafts.close()
        current = self._current
        if current is not None:
            await (current.settle() if current.exited else current.stop())

    async def _current_run(self) -> LiveRun | None:
        """The connection's run while it goes on (one that exited is settled first)."""
        current = self._current
        if current is not None and (current.exited or current.done):
            await current.settle()
            current = self._current = None
        return current

    async def _running(self, kind: str) -> LiveRun:
        """The run a `kind` message is for."""
        current = await self._current_run()
        if current is None:
            raise ServiceError(Code.INVALID_REQUEST, f"No program is running to receive '{kind}'")
        return current

    def _parse_run(self, message: Message) -> CheckedRun:
        return parse_run(self.services.engine, message)

    async def _run(self, checked: CheckedRun) -> None:
        if await self._current_run() is not None:
            raise ServiceError(
                Code.ALREADY_RUNNING,
                "A program is already running: stop it or wait for its exit, then run again",
            )
        live = LiveRun(self.services, self.connection.outbox, self.caller, checked)
        await live.start()
        self._current = live

    def _parse_draft(self, message: Message) -> Draft:
        engine = self.services.engine
        language, code = message.get("language"), message.get("code")
        if not isinstance(language, str) or not isinstance(code, str):
            raise ServiceError(Code.INVALID_REQUEST, "'language' and 'code' must be strings")
        spec = engine.languages.get(language)
        engine.policy.check_payload(code, ())
        return Draft(spec.id, code)

    async def _share_draft(self, draft: Draft) -> None:
        """The editor's code, for the teachers following the student (anonymous: nobody)."""
        if self._drafts is not None:
            self._drafts.offer(draft.language, draft.code)

    async def _stdin(self, message: Stdin) -> None:
        await (await self._running("stdin")).stdin(message.data)

    async def _eof(self, _: None) -> None:
        await (await self._running("eof")).eof()

    async def _signal(self, name: str) -> None:
        await (await self._running("signal")).signal(name)


async def run_socket(request: web.Request) -> web.WebSocketResponse:
    try:
        check_origin(request)
        identity = optional_identity(request, allow_query=True)
    except ServiceError as exc:  # a page of another site, or a bad token
        return await refuse(request, exc)
    connection = await Connection.accept(request)
    first = None
    try:
        if identity is None:
            anonymous = request.app[SETTINGS].allow_anonymous
            identity, first = await connection.authenticate(request.app, required=not anonymous)
        caller = caller_of(request, identity)
    except Exception as exc:  # a bad token, or anonymous runs switched off
        await connection.refuse(exc)
        return connection.ws
    socket = RunSocket(connection, RunServices.of(request.app), caller, request.app[ACTIVITY])
    try:
        async with _present(request.app, identity, connection.outbox):
            await connection.serve(socket.handlers, unknown=_unknown, first=first)
    finally:
        try:
            await socket.close()
        finally:
            await connection.close()
    return connection.ws


@contextlib.asynccontextmanager
async def _present(
    app: web.Application, identity: Identity | None, outbox: Outbox
) -> AsyncIterator[None]:
    """A signed-in IDE connection: its account is online for the teachers of its classes, and
    it is told how many of them follow it (`watched`) now and whenever that changes."""
    if identity is None:
        yield
        return
    user = str(identity.user_id)
    activity = app[ACTIVITY]
    with app[MAILBOX].listening(user, outbox.send):
        async with activity.online(user):
            watchers = await activity.watchers(user)
            if watchers:
                outbox.send({"type": "watched", "watchers": watchers})
            yield


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/ws/run", run_socket)
