"""One run on a `/ws/run` connection: its admission, container, session and pump, ended
together. The pump turns the engine's events into messages for the client, the watchers and the
history; the drain owns it, so its bookkeeping finishes even when the socket is gone."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from datetime import UTC, datetime

from sandbox import CheckedRun, ExitEvent, Result, Run, RunEvent
from sandbox.result import collect

from ..domain.sessions import SessionInfo
from ..store.sessions import LiveSession
from ..web.outbox import Outbox
from ..web.run_request import Caller, RunServices
from ..web.shapes import event_json, exit_json, queued_json, started_json, stdin_json

log = logging.getLogger(__name__)


class LiveRun:
    """A run started from a socket, live until its exit has been relayed and recorded."""

    def __init__(
        self, services: RunServices, outbox: Outbox, caller: Caller, checked: CheckedRun
    ) -> None:
        self.services = services
        self.outbox = outbox
        self.caller = caller
        self.checked = checked
        self.exited = False
        self._pump: asyncio.Task[None] | None = None
        self._run: Run | None = None
        self._session: LiveSession | None = None

    @property
    def done(self) -> bool:
        return self._pump is not None and self._pump.done()

    async def start(self) -> None:
        """Admit (telling the client its place in line while it waits for a sandbox), start the
        container, announce the session; the pump then runs it to the end."""
        services = self.services
        stack = AsyncExitStack()
        try:
            await stack.enter_async_context(services.admission.run(self.caller.quota, self._queued))
            services.drain.admit()
            run = await services.engine.start(self.checked)
            stack.push_async_callback(run.close)
        except BaseException:
            await stack.aclose()
            raise
        identity = self.caller.identity
        language = self.checked.spec.id
        self._run = run
        self._session = session = await services.sessions.open(
            SessionInfo(
                id=run.id,
                user_id=str(identity.user_id) if identity else None,
                user_name=identity.name if identity else "anonymous",
                language=language,
                code=self.checked.code,
                state="running",
                started_at=datetime.now(UTC).isoformat(),
            )
        )
        self.outbox.send(started_json(run.id, language, run.version))
        self._pump = asyncio.create_task(self._pump_to_the_end(run, session, stack))
        self._pump.add_done_callback(_report_failure)
        services.drain.track(self._pump)

    async def stdin(self, data: str) -> None:
        run, session = self._started()
        session.publish(stdin_json(data))
        await run.write_stdin(data.encode())

    async def eof(self) -> None:
        await self._started()[0].close_stdin()

    async def signal(self, name: str) -> None:
        await self._started()[0].send_signal(name)

    async def settle(self) -> None:
        """Wait for the bookkeeping after the exit (it takes milliseconds).

        Shielded: a handler cancelled while it waits must not cut the bookkeeping short.
        """
        if self._pump is not None:
            await asyncio.shield(asyncio.gather(self._pump, return_exceptions=True))

    async def stop(self) -> None:
        """The client went away or the server stops: end the run and wait for the cleanup."""
        if self._pump is not None:
            self._pump.cancel()
        await self.settle()

    def _queued(self, position: int) -> None:
        self.outbox.send(queued_json(position))

    def _started(self) -> tuple[Run, LiveSession]:
        assert self._run is not None and self._session is not None, "start() first"
        return self._run, self._session

    async def _pump_to_the_end(self, run: Run, session: LiveSession, stack: AsyncExitStack) -> None:
        def relay(event: RunEvent) -> None:
            self.exited = isinstance(event, ExitEvent)
            message = event_json(event)
            self.outbox.send(message)
            session.publish(message)

        result: Result | None = None
        try:
            result = await collect(run, relay)
        except Exception:
            log.exception("run %s: relaying its events failed", run.id)
        finally:
            # Also when cancelled: the container goes, the slot is freed, watchers see the end.
            await stack.aclose()
            if result is not None:
                await self.services.history.record_quietly(
                    result,
                    code=self.checked.code,
                    source="ws",
                    user_id=self.caller.user_id,
                    client_ip=self.caller.address,
                )
            elif not self.exited:
                # Ended from outside (the client left, or the server stops): say how.
                message = exit_json(await run.wait())
                self.outbox.send(message)
                session.publish(message)
            await session.finish(str(result.status) if result else "killed")


def _report_failure(pump: asyncio.Task[None]) -> None:
    if not pump.cancelled() and pump.exception() is not None:
        log.error("a run's bookkeeping failed", exc_info=pump.exception())
