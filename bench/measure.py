"""The measurements. Each returns plain figures; report.py turns them into tables."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from sandbox.languages import LanguageSpec

from .baseline import docker_run, docker_run_argv, frame_for
from .servers import Docker, Server

EXPECTED = "Hello, World!\n"

HELLO = {
    "python": "print('Hello, World!')\n",
    "javascript": "console.log('Hello, World!');\n",
    "java": (
        "public class Main {\n"
        "    public static void main(String[] args) {\n"
        '        System.out.println("Hello, World!");\n'
        "    }\n"
        "}\n"
    ),
    "csharp": (
        "using System;\n\n"
        "class Program {\n"
        "    static void Main() {\n"
        '        Console.WriteLine("Hello, World!");\n'
        "    }\n"
        "}\n"
    ),
}

ECHO = (
    "while True:\n"
    "    try:\n"
    "        line = input()\n"
    "    except EOFError:\n"
    "        break\n"
    "    print(line)\n"
)

# Blocked on stdin until the client sends eof, then exits 0.
HOLD = "import sys\nprint('ready')\nsys.stdin.readline()\nprint('bye')\n"


@dataclass
class Samples:
    """Durations in seconds, and what went wrong (not counted in the durations)."""

    values: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # The server's own `durationMs` of each run (the program's run stage), in seconds.
    program: list[float] = field(default_factory=list)

    def add(self, seconds: float, error: str | None, program_ms: int | None = None) -> None:
        if error is None:
            self.values.append(seconds)
            if program_ms is not None:
                self.program.append(program_ms / 1000)
        else:
            self.errors.append(error)


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# -- 1. hello world: REST with and without the pool, and docker run ---------------------------


async def rest_once(
    http: aiohttp.ClientSession, server: Server, language: str
) -> tuple[str | None, int | None]:
    """One POST /api/execute of the hello world: (the error, or None when it printed it;
    the server's durationMs)."""
    payload = {"language": language, "code": HELLO[language]}
    async with http.post(f"{server.url}/api/execute", json=payload) as response:
        body: dict[str, Any] = await response.json(content_type=None)
    if response.status != 200:
        return f"HTTP {response.status} {body.get('code')}: {body.get('error')}", None
    if body.get("status") != "ok" or body.get("output") != EXPECTED:
        return f"{body.get('status')}: {body.get('output')!r} {body.get('error')!r}", None
    return None, body.get("durationMs")


async def rest_latency(
    http: aiohttp.ClientSession,
    docker: Docker,
    server: Server,
    language: str,
    *,
    samples: int,
    warmup: int,
) -> Samples:
    """Sequential runs, each on an idle server (warm pools full, nothing being removed)."""
    result = Samples()
    for index in range(warmup + samples):
        await server.wait_idle(docker)
        started = time.perf_counter()
        program_ms = None
        try:
            error, program_ms = await rest_once(http, server, language)
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"{exc.__class__.__name__}: {exc}"
        if index >= warmup:
            result.add(time.perf_counter() - started, error, program_ms)
    return result


async def docker_run_latency(spec: LanguageSpec, *, samples: int, warmup: int) -> Samples:
    argv, _ = docker_run_argv(spec, f"{spec.image}:latest")
    result = Samples()
    for index in range(warmup + samples):
        seconds, code, stdout = await docker_run(argv, frame_for(spec, HELLO[spec.id]))
        ok = code == 0 and stdout.startswith(EXPECTED.encode())
        if index >= warmup:
            result.add(seconds, None if ok else f"exit {code}: {stdout[:80]!r}")
    return result


# -- 2. sustained executions per second ------------------------------------------------------


@dataclass
class Throughput:
    concurrency: int
    seconds: float
    completed: int
    latencies: list[float]
    errors: list[str]

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0


async def throughput(
    http: aiohttp.ClientSession,
    docker: Docker,
    server: Server,
    *,
    concurrency: int,
    duration: float,
) -> Throughput:
    """`concurrency` clients running python hello world back to back for `duration` seconds;
    runs still going at the end are waited for and counted, over the time they took."""
    await server.wait_idle(docker, within=60)
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    deadline = started + duration

    async def client() -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                error, _ = await rest_once(http, server, "python")
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"{exc.__class__.__name__}: {exc}"
            if error is None:
                latencies.append(time.perf_counter() - began)
            else:
                errors.append(error)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return Throughput(concurrency, elapsed, len(latencies), latencies, errors)


# -- 3. WebSocket: first stdout byte, echo round trip ----------------------------------------


async def _next(ws: aiohttp.ClientWebSocketResponse, seconds: float = 30) -> dict[str, Any]:
    message = await ws.receive(timeout=seconds)
    if message.type != aiohttp.WSMsgType.TEXT:
        raise ConnectionError(f"socket closed ({message.type.name}, {ws.close_code})")
    data: dict[str, Any] = message.json()
    if data.get("type") == "error":
        raise RuntimeError(f"{data.get('code')}: {data.get('message')}")
    return data


@dataclass
class FirstByte:
    started: Samples = field(default_factory=Samples)
    first_stdout: Samples = field(default_factory=Samples)


async def ws_first_byte(
    http: aiohttp.ClientSession, docker: Docker, server: Server, *, samples: int, warmup: int
) -> FirstByte:
    """From sending `run` (print('x'), socket already open) to `started` and to the first
    `stdout` message."""
    result = FirstByte()
    for index in range(warmup + samples):
        await server.wait_idle(docker)
        to_started = to_stdout = 0.0
        error = None
        try:
            async with http.ws_connect(server.ws_url) as ws:
                began = time.perf_counter()
                await ws.send_json({"type": "run", "language": "python", "code": "print('x')\n"})
                while True:
                    message = await _next(ws)
                    now = time.perf_counter() - began
                    if message["type"] == "started":
                        to_started = now
                    elif message["type"] == "stdout" and not to_stdout:
                        to_stdout = now
                    elif message["type"] == "exit":
                        if message["status"] != "ok" or not to_stdout:
                            error = f"exit {message['status']} without stdout"
                        break
        except (aiohttp.ClientError, ConnectionError, RuntimeError, TimeoutError) as exc:
            error = f"{exc.__class__.__name__}: {exc}"
        if index >= warmup:
            result.started.add(to_started, error)
            result.first_stdout.add(to_stdout, error)
    return result


async def ws_echo(
    http: aiohttp.ClientSession, docker: Docker, server: Server, *, round_trips: int, warmup: int
) -> Samples:
    """One live python echo loop: send a line as `stdin`, wait until it is back on `stdout`."""
    result = Samples()
    await server.wait_idle(docker)
    async with http.ws_connect(server.ws_url) as ws:
        await ws.send_json({"type": "run", "language": "python", "code": ECHO})
        while (await _next(ws))["type"] != "started":
            pass
        for index in range(warmup + round_trips):
            line = f"line {index}\n"
            began = time.perf_counter()
            await ws.send_json({"type": "stdin", "data": line})
            received = ""
            error = None
            while not received.endswith(line):
                message = await _next(ws)
                if message["type"] == "stdout":
                    received += message["data"]
                elif message["type"] == "exit":
                    error = f"the echo loop ended: {message['status']}"
                    break
            if index >= warmup:
                result.add(time.perf_counter() - began, error)
            if error:
                return result
        await ws.send_json({"type": "eof"})
        while (message := await _next(ws))["type"] != "exit":
            pass
        if message["status"] != "ok":
            result.errors.append(f"echo loop ended {message['status']}")
    return result


# -- 4. live interactive sessions held at once -----------------------------------------------


def mem_available_kib() -> int:
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    raise RuntimeError("no MemAvailable in /proc/meminfo")


class Live:
    """One socket with a run blocked on input(); a reader task keeps it answered (pings)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.stdout = ""
        self.ready = asyncio.Event()
        self.exit: dict[str, Any] | None = None
        self.error: str | None = None
        self.ended = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = message.json()
                if data["type"] == "stdout":
                    self.stdout += data["data"]
                    if "ready\n" in self.stdout:
                        self.ready.set()
                elif data["type"] == "exit":
                    self.exit = data
                    break
                elif data["type"] == "error":
                    self.error = f"{data['code']}: {data['message']}"
                    break
        finally:
            if self.error is None and self.exit is None:
                self.error = f"closed ({self.ws.close_code})"
            self.ready.set()
            self.ended.set()

    async def close(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        await self.ws.close()


@dataclass
class Sessions:
    wanted: int
    held: int
    seconds_to_hold: float
    containers_running: int
    mem_kib_per_session: float | None
    server_rss_kib_per_session: float | None
    exited_ok: int
    errors: list[str]


async def sessions(
    http: aiohttp.ClientSession,
    docker: Docker,
    server: Server,
    *,
    count: int,
    ramp: int,
    hold_ms: int,
    patience: float,
) -> Sessions:
    """Open `count` sockets, each running a python program blocked on stdin (at most `ramp`
    being started at once); count those that hold at the same time, the memory they take;
    then send eof to each and check that every one exits ok."""
    await server.wait_idle(docker, within=60)
    mem_before, rss_before = mem_available_kib(), server.rss_kib()
    gate = asyncio.Semaphore(ramp)
    errors: list[str] = []

    async def open_one() -> Live | None:
        async with gate:
            try:
                ws = await http.ws_connect(server.ws_url)
            except aiohttp.ClientError as exc:
                errors.append(f"connect: {exc}")
                return None
            live = Live(ws)
            await ws.send_json(
                {
                    "type": "run",
                    "language": "python",
                    "code": HOLD,
                    "limits": {"timeoutMs": hold_ms},
                }
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(live.ready.wait(), patience)
            return live

    began = time.perf_counter()
    opened = [live for live in await asyncio.gather(*(open_one() for _ in range(count))) if live]
    seconds_to_hold = time.perf_counter() - began
    await asyncio.sleep(2)
    held = [live for live in opened if live.ready.is_set() and live.error is None and not live.exit]
    mem_during, rss_during = mem_available_kib(), server.rss_kib()
    errors += [live.error or "not ready in time" for live in opened if live not in held]

    containers = await docker.containers(f"codex.owner={server.owner}")
    running = sum(1 for c in containers if c.get("State") == "running")
    for live in held:
        await live.ws.send_json({"type": "eof"})
    if held:
        waits = [asyncio.create_task(live.ended.wait()) for live in held]
        _, pending = await asyncio.wait(waits, timeout=patience)
        for task in pending:
            task.cancel()
    exited_ok = sum(
        1
        for live in held
        if live.exit and live.exit["status"] == "ok" and live.stdout.endswith("bye\n")
    )
    errors += [
        f"after eof: {live.exit['status'] if live.exit else live.error or 'no exit'}"
        for live in held
        if not (live.exit and live.exit["status"] == "ok")
    ]
    await asyncio.gather(*(live.close() for live in opened))
    return Sessions(
        wanted=count,
        held=len(held),
        seconds_to_hold=seconds_to_hold,
        containers_running=running,
        mem_kib_per_session=(mem_before - mem_during) / len(held) if held else None,
        server_rss_kib_per_session=(rss_during - rss_before) / len(held) if held else None,
        exited_ok=exited_ok,
        errors=errors,
    )


# -- 5. idle WebSocket connections -------------------------------------------------------------


@dataclass
class IdleSockets:
    wanted: int
    open: int
    rss_before_kib: int
    rss_after_kib: int

    @property
    def kib_per_socket(self) -> float | None:
        return (self.rss_after_kib - self.rss_before_kib) / self.open if self.open else None


async def idle_sockets(
    http: aiohttp.ClientSession, server: Server, *, count: int, ramp: int = 50
) -> IdleSockets:
    """Server VmRSS before and with `count` open /ws/run sockets that send nothing."""

    async def connect_some(how_many: int) -> list[Live]:
        gate = asyncio.Semaphore(ramp)

        async def one() -> Live | None:
            async with gate:
                try:
                    return Live(await http.ws_connect(server.ws_url))
                except aiohttp.ClientError:
                    return None

        return [live for live in await asyncio.gather(*(one() for _ in range(how_many))) if live]

    # Whatever the first sockets allocate once (and never again) is not per socket.
    warm = await connect_some(20)
    await asyncio.gather(*(live.close() for live in warm))
    await asyncio.sleep(1)
    before = server.rss_kib()
    sockets = await connect_some(count)
    await asyncio.sleep(2)
    after = server.rss_kib()
    still_open = sum(1 for live in sockets if not live.ws.closed and not live.ended.is_set())
    await asyncio.gather(*(live.close() for live in sockets))
    return IdleSockets(count, still_open, before, after)
