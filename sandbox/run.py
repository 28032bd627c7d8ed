"""One program in one fresh container: events out, stdin in, signals, time limits, an output
cap."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal as signals
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiodocker
from aiodocker.stream import Stream

from ._event_buffer import EventBuffer
from .docker_stream import close_stdin
from .errors import InvalidRequest, engine_gone
from .events import SIGNALS, ExitEvent, RunEvent, StageEvent, StageName, TimeLimit
from .events import Stream as StreamName
from .framing import Marker, MarkerScanner, Mode
from .languages import LanguageSpec
from .limits import Limits
from .run_output import STDERR, STDOUT, RunOutput
from .verdict import Facts, TimeOut, verdict

log = logging.getLogger(__name__)


def _exit_report(argument: str) -> tuple[int, int] | None:
    """(exit code, signal number) from the runner's `exit <code> <signal> <cpu> <rss>`."""
    parts = argument.split()
    try:
        code, signal_number = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None
    return code, signal_number


@dataclass(slots=True)
class RunnerReport:
    """What the runner in the container has said so far, through its markers."""

    stage: StageName | None = None
    # The language's warm runtime ran the program (rather than a fresh process).
    warm: bool = False
    compile_failed: bool = False
    artifacts_ready: bool = False
    # The program's stdout is over (the runner's `end` on stdout).
    stdout_ended: bool = False
    # (exit code, signal number) as the runner saw the program end.
    exit: tuple[int, int] | None = None
    # What failed, in the runner or in the engine's reading of it.
    error: str = ""


class Deadline:
    """The run's time limits, and the clock its duration is told by.

    The first limit is the compile stage's (or the run's, with nothing to compile), on the wall
    clock. The run stage, once it starts, gets its own and its duration counts from then on: a
    wall-clock limit and, for a live run, an idle limit (no output and no input for that long).
    A live run's CPU limit is the runner's, which says when it is spent (`cpu_spent`).
    """

    def __init__(self, ms: int, on_expiry: Callable[[], Awaitable[None]]) -> None:
        self._loop = asyncio.get_running_loop()
        self._on_expiry = on_expiry
        self._started_at = self._loop.time()
        self._run_started_at: float | None = None
        self._active_at = self._started_at
        self.expired: TimeOut | None = None
        self.watchdog = asyncio.create_task(self._expire_after(ms))
        self.idle_watch: asyncio.Task[None] | None = None

    @property
    def tasks(self) -> list[asyncio.Task[None]]:
        return [t for t in (self.watchdog, self.idle_watch) if t is not None]

    def start_run(self, wall_ms: int, idle_ms: int | None = None) -> None:
        self._run_started_at = self._active_at = self._loop.time()
        self.cancel()
        self.watchdog = asyncio.create_task(self._expire_after(wall_ms))
        if idle_ms is not None:
            self.idle_watch = asyncio.create_task(self._expire_when_idle(idle_ms))

    def touch(self) -> None:
        """Output or input: the idle clock starts again."""
        self._active_at = self._loop.time()

    def cpu_spent(self, ms: int) -> None:
        """The runner stopped the program for its CPU time (it kills it itself)."""
        if self.expired is None:
            self.expired = TimeOut("cpu", ms)

    def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()

    def duration_ms(self) -> int:
        since = self._run_started_at or self._started_at
        return round((self._loop.time() - since) * 1000)

    async def _expire_after(self, ms: int) -> None:
        await asyncio.sleep(ms / 1000)
        await self._expire("wall", ms)

    async def _expire_when_idle(self, ms: int) -> None:
        left = ms / 1000
        while left > 0:  # the clock moves on with each output or input
            await asyncio.sleep(left)
            left = self._active_at + ms / 1000 - self._loop.time()
        await self._expire("idle", ms)

    async def _expire(self, limit: TimeLimit, ms: int) -> None:
        if self.expired is None:
            self.expired = TimeOut(limit, ms)
            await self._on_expiry()


class Run:
    """A started run. Iterate `events()` once; always `close()` it (it is idempotent)."""

    def __init__(
        self,
        *,
        docker: aiodocker.Docker,
        container_id: str,
        stream: Stream,
        spec: LanguageSpec,
        limits: Limits,
        run_id: str,
        nonce: str,
        version: str,
        on_close: Callable[[str], None],
        mode: Mode = "run",
        compiles: bool = False,
    ) -> None:
        self.id = run_id
        self.spec = spec
        self.version = version
        self.mode = mode
        self.limits = limits
        self.container_id = container_id
        self._compiles = compiles
        self._container = docker.containers.container(container_id)
        self._stream = stream
        self._on_close = on_close
        self._scanners = {STDOUT: MarkerScanner(nonce), STDERR: MarkerScanner(nonce)}
        self._report = RunnerReport()
        self._output = RunOutput(limits.output_bytes)
        self._buffer = EventBuffer()
        self._stdin_closed = False
        self._closed = False
        self._consumed = False
        self._exit: ExitEvent | None = None
        self._finished = asyncio.Event()
        # Set at the runner's first marker (or the end): the container's init is up by then.
        self._runner_spoke = asyncio.Event()
        # Until the runner starts the program (a live run's limits count from then on).
        first_deadline = limits.compile_timeout_ms if compiles else limits.timeout_ms
        self._deadline = Deadline(first_deadline, self._kill_quietly)
        self._killer: asyncio.Task[None] | None = None
        self._pump = asyncio.create_task(self._read_until_exit())

    # -- the caller's side ---------------------------------------------------------------

    async def events(self) -> AsyncIterator[RunEvent]:
        """Output, stages, then exactly one ExitEvent."""
        if self._consumed:
            raise RuntimeError("Run.events() can be iterated only once")
        self._consumed = True
        while True:
            event = await self._buffer.get()
            yield event
            if isinstance(event, ExitEvent):
                return

    @property
    def served_warm(self) -> bool:
        """The language's warm runtime ran the program (rather than a fresh process)."""
        return self._report.warm

    @property
    def finished(self) -> bool:
        return self._exit is not None

    async def wait(self) -> ExitEvent:
        """How the run ended, once it has."""
        await self._finished.wait()
        assert self._exit is not None
        return self._exit

    @property
    def artifacts(self) -> bytes:
        """What a compile-mode run wrote to stdout: the compiled files, framed."""
        return self._output.artifacts if self._report.artifacts_ready else b""

    async def write_stdin(self, data: bytes) -> None:
        """Send bytes to the program's stdin; dropped once the program is gone or stdin closed."""
        if self._stdin_closed or self._exit is not None or not data:
            return
        self._deadline.touch()
        with contextlib.suppress(ConnectionError, RuntimeError, AssertionError):
            await self._stream.write_in(data)

    async def close_stdin(self) -> None:
        """Give the program EOF on stdin."""
        if self._stdin_closed:
            return
        self._stdin_closed = True
        self._deadline.touch()
        close_stdin(self._stream)

    async def send_signal(self, name: str) -> None:
        """Deliver SIGINT, SIGTERM or SIGKILL to the program."""
        if name not in SIGNALS:
            raise InvalidRequest(f"Unsupported signal {name!r}; use one of {', '.join(SIGNALS)}")
        if name != "SIGKILL":
            # Docker's init drops a signal that arrives before it has set up forwarding (the
            # kernel ignores a signal with the default action for a PID namespace's init), and
            # a run is handed over as soon as its frame is written, which can be earlier.
            # Once the runner has written a marker, its init forwards signals. SIGKILL cannot
            # be ignored and kills the whole container at any time.
            await self._runner_spoke.wait()
        if self._exit is None:
            await self._kill(name)

    async def close(self) -> None:
        """End the run if it is still going and remove its container (in the background)."""
        if self._closed:
            return
        self._closed = True
        # Removal is scheduled first, so even a cancelled close() leaves no container behind.
        self._on_close(self.container_id)
        tasks = [t for t in (*self._deadline.tasks, self._killer, self._pump) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._exit is None:
            self._finish(None, killed_by_close=True)
        await self._stream.close()

    @property
    def _running(self) -> bool:
        return self._report.stage == "run"

    @property
    def _run_wall_ms(self) -> int:
        """The run stage's wall-clock limit: a live run's wall limit, else its time limit."""
        return self.limits.wall_ms if self.limits.wall_ms is not None else self.limits.timeout_ms

    # -- reading the container -----------------------------------------------------------

    async def _read_until_exit(self) -> None:
        try:
            while (message := await self._stream.read_out()) is not None:
                self._on_output(message.stream, message.data)
            self._on_eof()
            exit_code, oom = await self._exit_status()
            self._finish(exit_code, oom=oom)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("run %s: the sandbox failed: %s", self.id, exc)
            if engine_gone(exc):
                failure = (
                    "The Docker engine stopped answering while the program ran (is dockerd "
                    "restarting?), so the program was lost: run it again in a few seconds "
                    f"({exc.__class__.__name__}: {exc})"
                )
            else:
                failure = f"The sandbox failed while running: {exc}"
            self._finish(None, failure=failure)

    async def _exit_status(self) -> tuple[int | None, bool]:
        waited: dict[str, Any] = await self._container.wait()
        state: dict[str, Any] = (await self._container.show()).get("State", {})
        code = state.get("ExitCode", waited.get("StatusCode"))
        return (int(code) if code is not None else None), bool(state.get("OOMKilled"))

    def _on_output(self, fd: int, data: bytes) -> None:
        if self._exit is not None:
            return  # what orphans print after the program ended belongs to nobody
        if fd == STDOUT and self.mode == "compile":
            if not self._output.add_artifacts(data):
                self._report.error = "The compiled program is too large"
                self._kill_soon()
            return
        if fd == STDOUT and not self._running:
            # The runner's markers travel on stderr; hold stdout back until the program runs
            # so that output never precedes the stage it belongs to.
            self._output.hold_stdout(data)
            return
        for item in self._scanners[fd].feed(data):
            if isinstance(item, Marker):
                self._on_marker(item)
            elif fd == STDOUT:
                self._emit_output(STDOUT, item)
            elif self._running:
                self._emit_output(STDERR, item)
            else:
                self._emit_compile_output(item)
        self._finish_if_reported()

    def _finish_if_reported(self) -> None:
        """Answer as soon as the runner has reported the end on both streams.

        Only a program that was not SIGKILLed: that could be the OOM killer, which only
        Docker can tell; those runs (and every kill by the engine) wait for the container.
        """
        report = self._report.exit
        if report is None or not self._report.stdout_ended or self._exit is not None:
            return
        code, signal_number = report
        if signal_number == signals.SIGKILL or self._deadline.expired or self._output.limited:
            return
        self._on_eof()
        self._finish(code if signal_number == 0 else 128 + signal_number)

    def _on_marker(self, marker: Marker) -> None:
        self._runner_spoke.set()
        report = self._report
        if marker.event == "compile":
            if report.stage != "compile":  # a declined warm compile is followed by a fresh one
                self._buffer.put(StageEvent("compile"))
            report.stage = "compile"
            report.warm = marker.argument == "warm"
        elif marker.event == "run":
            if self._compiles:
                self._buffer.put(StageEvent("run"))
            report.stage = "run"
            report.warm = marker.argument == "warm"
            self._deadline.start_run(self._run_wall_ms, self.limits.idle_ms)
            held = self._output.take_held_stdout()
            if held:
                # Through the scanner: a fast program's end marker may be in it already.
                self._on_output(STDOUT, held)
        elif marker.event == "compile_error":
            report.compile_failed = True
        elif marker.event == "artifacts":
            report.artifacts_ready = True
        elif marker.event == "end":
            report.stdout_ended = True
        elif marker.event == "exit":
            report.exit = _exit_report(marker.argument)
        elif marker.event == "limit" and marker.argument == "cpu":
            self._deadline.cpu_spent(self.limits.timeout_ms)
        elif marker.event == "error":
            report.error = marker.argument or "the runner failed"
        else:
            log.warning("run %s: unknown runner marker %r", self.id, marker.event)

    def _on_eof(self) -> None:
        stdout_tail = self._scanners[STDOUT].rest()
        if stdout_tail:
            self._emit_output(STDOUT, stdout_tail)
        rest = self._scanners[STDERR].rest()
        if rest:
            if self._running:
                self._emit_output(STDERR, rest)
            else:
                self._emit_compile_output(rest)
        held = self._output.take_held_stdout()
        if held:  # the program never ran: no marker can be in it
            self._emit_output(STDOUT, held)
        for fd, tail in self._output.tails():
            self._buffer.put_output(_stream(fd), self._report.stage or "run", tail)

    def _emit_output(self, fd: int, data: bytes) -> None:
        text = self._output.run_text(fd, data)
        if text is None:
            return
        if self._output.limited:
            self._kill_soon()
        self._deadline.touch()
        self._buffer.put_output(_stream(fd), "run", text)

    def _emit_compile_output(self, data: bytes) -> None:
        text = self._output.compile_text(data)
        if text is None:
            return
        if self._output.truncated:
            self._kill_soon()
        self._buffer.put_output("stderr", "compile", text)

    # -- ending it -----------------------------------------------------------------------

    def _finish(
        self,
        exit_code: int | None,
        *,
        oom: bool = False,
        failure: str = "",
        killed_by_close: bool = False,
    ) -> None:
        if self._exit is not None:
            return
        ended = verdict(
            Facts(
                exit_code=exit_code,
                oom=oom,
                failure=failure,
                runner_error=self._report.error,
                time_out=self._deadline.expired,
                compile_failed=self._report.compile_failed,
                truncated=self._output.truncated,
                output_limited=self._output.limited,
                killed_by_close=killed_by_close,
                mode=self.mode,
                artifacts_ready=self._report.artifacts_ready,
                stage=self._report.stage,
            )
        )
        self._exit = ExitEvent(
            status=ended.status,
            exit_code=exit_code,
            signal=ended.signal,
            timed_out=self._deadline.expired is not None,
            truncated=self._output.truncated,
            duration_ms=self._deadline.duration_ms(),
            message=ended.message,
            limit=ended.limit,
        )
        self._deadline.cancel()
        self._buffer.put(self._exit)
        self._finished.set()
        self._runner_spoke.set()

    def _kill_soon(self) -> None:
        if self._killer is None:
            self._killer = asyncio.create_task(self._kill_quietly())

    async def _kill_quietly(self) -> None:
        try:
            await self._kill("SIGKILL")
        except Exception as exc:  # the pump sees the engine's failure and reports it
            log.warning("run %s: could not kill the container: %s", self.id, exc)

    async def _kill(self, signal: str) -> None:
        try:
            await self._container.kill(signal=signal)
        except aiodocker.DockerError as exc:
            # 404: already removed; 409: not running any more. Both mean it has ended.
            if exc.status not in (404, 409):
                raise


def _stream(fd: int) -> StreamName:
    return "stdout" if fd == STDOUT else "stderr"
