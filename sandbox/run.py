"""One program in one fresh container: events out, stdin in, signals, a deadline, an output cap."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import signal as signals
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiodocker
from aiodocker.stream import Stream

from ._attach import close_stdin
from ._event_buffer import EventBuffer
from .errors import InvalidRequest, engine_gone
from .events import ExitEvent, RunEvent, RunStatus, StageEvent, StageName
from .framing import Marker, MarkerScanner, Mode
from .languages import LanguageSpec
from .limits import Limits

log = logging.getLogger(__name__)

ALLOWED_SIGNALS = ("SIGINT", "SIGTERM", "SIGKILL")
STDOUT, STDERR = 1, 2
MAX_ARTIFACT_BYTES = 24 << 20


def signal_of(exit_code: int | None) -> str | None:
    """The signal behind an exit code of 128+N (how the container's init reports a killed child)."""
    if exit_code is None or not 128 < exit_code < 128 + 65:
        return None
    try:
        return signals.Signals(exit_code - 128).name
    except ValueError:
        return None


def _exit_report(argument: str) -> tuple[int, int] | None:
    """(exit code, signal number) from the runner's `exit <code> <signal> <cpu> <rss>`."""
    parts = argument.split()
    try:
        code, signal_number = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None
    return code, signal_number


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
        # The language's warm runtime ran the program (rather than a fresh process).
        self.served_warm = False
        self._compiles = compiles
        self.limits = limits
        self.container_id = container_id
        self._container = docker.containers.container(container_id)
        self._stream = stream
        self._on_close = on_close
        self._loop = asyncio.get_running_loop()
        self._scanner = MarkerScanner(nonce)
        self._buffer = EventBuffer()
        self._decoders = {
            STDOUT: codecs.getincrementaldecoder("utf-8")(errors="replace"),
            STDERR: codecs.getincrementaldecoder("utf-8")(errors="replace"),
        }
        self._stage: StageName | None = None
        self._held_stdout = bytearray()
        self._artifacts = bytearray()
        self._artifacts_ready = False
        self._stdout_scanner = MarkerScanner(nonce)
        self._stdout_ended = False
        self._reported: tuple[int, int] | None = None
        self._output_bytes = 0
        self._compile_bytes = 0
        self._truncated = False
        self._output_limited = False
        self._timed_out = False
        self._compile_failed = False
        self._runner_error = ""
        self._stdin_closed = False
        self._closed = False
        self._started_at = self._loop.time()
        self._run_started_at: float | None = None
        self._exit: ExitEvent | None = None
        self._finished = asyncio.Event()
        # Set at the runner's first marker (or the end): the container's init is up by then.
        self._runner_spoke = asyncio.Event()
        self._consumed = False
        first_deadline = limits.compile_timeout_ms if compiles else limits.timeout_ms
        self._watchdog = asyncio.create_task(self._expire_after(first_deadline / 1000))
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
        return bytes(self._artifacts) if self._artifacts_ready else b""

    async def write_stdin(self, data: bytes) -> None:
        """Send bytes to the program's stdin; dropped once the program is gone or stdin closed."""
        if self._stdin_closed or self._exit is not None or not data:
            return
        with contextlib.suppress(ConnectionError, RuntimeError, AssertionError):
            await self._stream.write_in(data)

    async def close_stdin(self) -> None:
        """Give the program EOF on stdin."""
        if self._stdin_closed:
            return
        self._stdin_closed = True
        close_stdin(self._stream)

    async def send_signal(self, name: str) -> None:
        """Deliver SIGINT, SIGTERM or SIGKILL to the program."""
        if name not in ALLOWED_SIGNALS:
            raise InvalidRequest(
                f"Unsupported signal {name!r}; use one of {', '.join(ALLOWED_SIGNALS)}"
            )
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
        tasks = [t for t in (self._watchdog, self._killer, self._pump) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._exit is None:
            self._finish(self._verdict(None, oom=False, killed_by_close=True))
        await self._stream.close()

    @property
    def _running(self) -> bool:
        return self._stage == "run"

    # -- reading the container -----------------------------------------------------------

    async def _read_until_exit(self) -> None:
        try:
            while (message := await self._stream.read_out()) is not None:
                self._on_output(message.stream, message.data)
            self._on_eof()
            exit_code, oom = await self._exit_status()
            self._finish(self._verdict(exit_code, oom))
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
            self._finish(self._verdict(None, oom=False, failure=failure))

    async def _exit_status(self) -> tuple[int | None, bool]:
        waited: dict[str, Any] = await self._container.wait()
        state: dict[str, Any] = (await self._container.show()).get("State", {})
        code = state.get("ExitCode", waited.get("StatusCode"))
        return (int(code) if code is not None else None), bool(state.get("OOMKilled"))

    def _on_output(self, fd: int, data: bytes) -> None:
        if self._exit is not None:
            return  # what orphans print after the program ended belongs to nobody
        if fd == STDOUT and self.mode == "compile":
            if len(self._artifacts) + len(data) > MAX_ARTIFACT_BYTES:
                self._runner_error = "The compiled program is too large"
                self._kill_soon()
            else:
                self._artifacts += data
            return
        if fd == STDOUT and not self._running:
            # The runner's markers travel on stderr; hold stdout back until the program runs
            # so that output never precedes the stage it belongs to.
            self._held_stdout += data
            return
        scanner = self._stdout_scanner if fd == STDOUT else self._scanner
        for item in scanner.feed(data):
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
        report = self._reported
        if report is None or not self._stdout_ended or self._exit is not None:
            return
        code, signal_number = report
        if signal_number == signals.SIGKILL or self._timed_out or self._output_limited:
            return
        self._on_eof()
        self._finish(self._verdict(code if signal_number == 0 else 128 + signal_number, False))

    def _on_marker(self, marker: Marker) -> None:
        self._runner_spoke.set()
        if marker.event == "compile":
            self._stage = "compile"
            self.served_warm = marker.argument == "warm"
            self._buffer.put(StageEvent("compile"))
        elif marker.event == "run":
            if self._compiles:
                self._buffer.put(StageEvent("run"))
            self._stage = "run"
            self.served_warm = marker.argument == "warm"
            self._run_started_at = self._loop.time()
            self._rearm_watchdog(self.limits.timeout_ms / 1000)
            held, self._held_stdout = bytes(self._held_stdout), bytearray()
            if held:
                # Through the scanner: a fast program's end marker may be in it already.
                self._on_output(STDOUT, held)
        elif marker.event == "compile_error":
            self._compile_failed = True
        elif marker.event == "artifacts":
            self._artifacts_ready = True
        elif marker.event == "end":
            self._stdout_ended = True
        elif marker.event == "exit":
            self._reported = _exit_report(marker.argument)
        elif marker.event == "error":
            self._runner_error = marker.argument or "the runner failed"
        else:
            log.warning("run %s: unknown runner marker %r", self.id, marker.event)

    def _on_eof(self) -> None:
        stdout_tail = self._stdout_scanner.rest()
        if stdout_tail:
            self._emit_output(STDOUT, stdout_tail)
        rest = self._scanner.rest()
        if rest:
            if self._stage == "run":
                self._emit_output(STDERR, rest)
            else:
                self._emit_compile_output(rest)
        if self._held_stdout:  # the program never ran: no marker can be in it
            self._emit_output(STDOUT, bytes(self._held_stdout))
            self._held_stdout.clear()
        for fd, decoder in self._decoders.items():
            tail = decoder.decode(b"", final=True)
            if tail:
                self._buffer.put_output(
                    "stdout" if fd == STDOUT else "stderr", self._stage or "run", tail
                )

    def _emit_output(self, fd: int, data: bytes) -> None:
        if self._output_limited:
            return
        room = self.limits.output_bytes - self._output_bytes
        if len(data) > room:
            data = data[:room]
            self._output_limited = self._truncated = True
            self._kill_soon()
        self._output_bytes += len(data)
        text = self._decoders[fd].decode(data)
        self._buffer.put_output("stdout" if fd == STDOUT else "stderr", "run", text)

    def _emit_compile_output(self, data: bytes) -> None:
        if self._truncated:
            return
        room = self.limits.output_bytes - self._compile_bytes
        if len(data) > room:
            data = data[:room]
            self._truncated = True
            self._kill_soon()
        self._compile_bytes += len(data)
        self._buffer.put_output("stderr", "compile", self._decoders[STDERR].decode(data))

    # -- ending it -----------------------------------------------------------------------

    def _verdict(
        self,
        exit_code: int | None,
        oom: bool,
        *,
        failure: str = "",
        killed_by_close: bool = False,
    ) -> ExitEvent:
        signal = signal_of(exit_code)
        message = failure or self._runner_error
        if message:
            status = RunStatus.INTERNAL_ERROR
        elif self._timed_out:
            status = RunStatus.TIMEOUT
        elif oom:
            status = RunStatus.MEMORY_LIMIT
        elif self._compile_failed or (self._truncated and self._stage == "compile"):
            status = RunStatus.COMPILE_ERROR
        elif self._output_limited:
            status = RunStatus.OUTPUT_LIMIT
        elif killed_by_close:
            status, signal = RunStatus.KILLED, "SIGKILL"
        elif self.mode == "compile" and self._artifacts_ready and exit_code == 0:
            status = RunStatus.OK
        elif self._stage != "run":
            status = RunStatus.INTERNAL_ERROR
            message = f"The runner never started the program (exit code {exit_code})"
        elif signal:
            status = RunStatus.KILLED
        elif exit_code:
            status = RunStatus.RUNTIME_ERROR
        else:
            status = RunStatus.OK
        since = self._run_started_at or self._started_at
        return ExitEvent(
            status=status,
            exit_code=exit_code,
            signal=signal,
            timed_out=self._timed_out,
            truncated=self._truncated,
            duration_ms=round((self._loop.time() - since) * 1000),
            message=message,
        )

    def _finish(self, exit_event: ExitEvent) -> None:
        if self._exit is not None:
            return
        self._exit = exit_event
        self._watchdog.cancel()
        self._buffer.put(exit_event)
        self._finished.set()
        self._runner_spoke.set()

    def _rearm_watchdog(self, seconds: float) -> None:
        self._watchdog.cancel()
        self._watchdog = asyncio.create_task(self._expire_after(seconds))

    async def _expire_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._timed_out = True
        await self._kill_quietly()

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
