"""`GET /ws/run`: run programs live. Output streams out as it is produced; stdin streams in.

The handler is the only reader of the socket; an Outbox is its only writer; a pump task per run
turns the engine's events into messages for the client, the watchers and the history.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from sandbox import (
    ExitEvent,
    OutputEvent,
    Result,
    RunEvent,
    RunStatus,
    SandboxError,
    StageEvent,
)
from sandbox.result import collect

from . import body
from .auth import optional_identity
from .errors import ApiError
from .keys import ADMISSION, DRAIN, ENGINE, HISTORY, PUMPS, SESSIONS
from .outbox import Outbox
from .runs import RunRequest, parse_run, quota_for
from .sessions import SessionInfo
from .tokens import Identity
from .ws_connection import accept, close_code_for, open_socket, refuse

log = logging.getLogger(__name__)

SIGNALS = ("SIGINT", "SIGTERM", "SIGKILL")


def event_message(event: RunEvent) -> dict[str, Any]:
    """The wire form of an engine event."""
    if isinstance(event, OutputEvent):
        return {"type": event.stream, "data": event.data}
    if isinstance(event, StageEvent):
        return {"type": "stage", "stage": event.stage}
    message = {
        "type": "exit",
        "status": str(event.status),
        "exitCode": event.exit_code,
        "signal": event.signal,
        "timedOut": event.timed_out,
        "truncated": event.truncated,
        "durationMs": event.duration_ms,
    }
    if event.status is RunStatus.INTERNAL_ERROR and event.message:
        message["message"] = event.message  # what failed, and what to do
    return message


class LiveRun:
    """One run on a connection: its admission, container, session and pump, ended together."""

    def __init__(
        self,
        request: web.Request,
        outbox: Outbox,
        identity: Identity | None,
        run_request: RunRequest,
    ) -> None:
        self.request = request
        self.outbox = outbox
        self.identity = identity
        self.run_request = run_request
        self._pump: asyncio.Task[None] | None = None
        self.exited = False

    @property
    def done(self) -> bool:
        return self._pump is not None and self._pump.done()

    async def settle(self) -> None:
        """Wait for the bookkeeping after the exit (it takes milliseconds).

        Shielded: a handler cancelled while it waits must not cut the bookkeeping short.
        """
        if self._pump is not None:
            await asyncio.shield(asyncio.gather(self._pump, return_exceptions=True))

    async def start(self) -> None:
        """Admit, start the container, announce the session; the pump then runs it to the end."""
        app = self.request.app
        spec = self.run_request.spec
        stack = AsyncExitStack()
        try:
            await stack.enter_async_context(
                app[ADMISSION].run(quota_for(self.request, self.identity))
            )
            app[DRAIN].admit()
            run = await app[ENGINE].start(
                spec.id, self.run_request.code, self.run_request.args, self.run_request.limits
            )
            stack.push_async_callback(run.close)
        except BaseException:
            await stack.aclose()
            raise
        self.run = run
        self.session = await app[SESSIONS].open(
            SessionInfo(
                id=run.id,
                user_id=str(self.identity.user_id) if self.identity else None,
                user_name=self.identity.name if self.identity else "anonymous",
                language=spec.id,
                code=self.run_request.code,
                state="running",
                started_at=datetime.now(UTC).isoformat(),
            )
        )
        self.outbox.send(
            {"type": "started", "sessionId": run.id, "language": spec.id, "version": run.version}
        )
        self._pump = asyncio.create_task(self._pump_to_the_end(stack))
        # The app owns every pump, so a run's bookkeeping finishes even if its socket is gone.
        pumps = app[PUMPS]
        pumps.add(self._pump)
        self._pump.add_done_callback(pumps.discard)
        self._pump.add_done_callback(_report_failure)
        app[DRAIN].track(self._pump)

    async def stdin(self, data: str) -> None:
        self.session.publish({"type": "stdin", "data": data})
        await self.run.write_stdin(data.encode())

    async def eof(self) -> None:
        await self.run.close_stdin()

    async def signal(self, name: str) -> None:
        await self.run.send_signal(name)

    async def stop(self) -> None:
        """The client went away or the server stops: end the run and wait for the cleanup."""
        if self._pump is not None:
            self._pump.cancel()
        await self.settle()

    async def _pump_to_the_end(self, stack: AsyncExitStack) -> None:
        result: Result | None = None
        try:
            result = await collect(self.run, self._relay)
        except Exception:
            log.exception("run %s: relaying its events failed", self.run.id)
        finally:
            # Also when cancelled: the container goes, the slot is freed, watchers see the end.
            await stack.aclose()
            if result is not None:
                await self.request.app[HISTORY].record_quietly(
                    result,
                    code=self.run_request.code,
                    source="ws",
                    user_id=self.identity.user_id if self.identity else None,
                    client_ip=self.request.remote,
                )
            elif not self.exited:
                # Ended from outside (the client left, or the server stops): say how.
                message = event_message(await self.run.wait())
                self.outbox.send(message)
                self.session.publish(message)
            await self.session.finish(str(result.status) if result else "killed")

    def _relay(self, event: RunEvent) -> None:
        self.exited = isinstance(event, ExitEvent)
        message = event_message(event)
        self.outbox.send(message)
        self.session.publish(message)


def _report_failure(pump: asyncio.Task[None]) -> None:
    if not pump.cancelled() and pump.exception() is not None:
        log.error("a run's bookkeeping failed", exc_info=pump.exception())


async def run_socket(request: web.Request) -> web.WebSocketResponse:
    try:
        identity = optional_identity(request, allow_query=True)
        quota_for(request, identity)  # anonymous runs may be switched off
    except ApiError as exc:
        ws = await open_socket(request)
        return await refuse(ws, close_code_for(exc), exc.message)
    outbox = await accept(request)
    ws = outbox.ws
    current: LiveRun | None = None
    try:
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                current = await _handle(request, outbox, identity, current, message.data)
            elif message.type == WSMsgType.BINARY:
                outbox.error("invalid_message", "Binary frames are not understood: send JSON text")
            elif message.type == WSMsgType.ERROR:
                break
            if current is not None and current.done:
                current = None
    finally:
        try:
            if current is not None:
                await (current.settle() if current.exited else current.stop())
            await outbox.flush_and_stop()
        finally:
            # Also when the connection is lost meanwhile: aiohttp then cancels this handler,
            # and a writer left waiting would be destroyed while pending.
            await outbox.stop()
            await ws.close()
    return ws


async def _handle(
    request: web.Request,
    outbox: Outbox,
    identity: Identity | None,
    current: LiveRun | None,
    text: str,
) -> LiveRun | None:
    """One client message; returns the connection's current run."""
    if current is not None and current.exited:
        await current.settle()
        current = None
    try:
        message = body.parse_json(text, "The message")
    except ApiError as exc:
        outbox.error(exc.code, exc.message)
        return current
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        outbox.error("invalid_message", "Messages must be JSON objects with a string 'type'")
        return current
    try:
        return await _dispatch(request, outbox, identity, current, message)
    except (ApiError, SandboxError) as exc:
        outbox.error(exc.code, exc.message)
        return current


async def _dispatch(
    request: web.Request,
    outbox: Outbox,
    identity: Identity | None,
    current: LiveRun | None,
    message: dict[str, Any],
) -> LiveRun | None:
    kind = message["type"]
    if kind == "ping":
        outbox.send({"type": "pong"})
    elif kind == "run":
        if current is not None:
            raise ApiError("busy", "A program is already running: stop it or wait for its exit")
        live = LiveRun(request, outbox, identity, parse_run(request, message))
        await live.start()
        return live
    elif kind in ("stdin", "eof", "signal"):
        if current is None:
            raise ApiError("invalid_request", f"No program is running to receive '{kind}'")
        await _control(current, kind, message)
    else:
        raise ApiError("invalid_message", f"Unknown message type {kind!r}")
    return current


async def _control(current: LiveRun, kind: str, message: dict[str, Any]) -> None:
    if kind == "stdin":
        data = message.get("data")
        if not isinstance(data, str):
            raise ApiError("invalid_request", "'data' must be a string")
        await current.stdin(data)
    elif kind == "eof":
        await current.eof()
    else:
        name = message.get("signal")
        if name not in SIGNALS:
            raise ApiError("invalid_request", f"'signal' must be one of {', '.join(SIGNALS)}")
        await current.signal(name)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/ws/run", run_socket)
