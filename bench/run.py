"""`make bench`: start two servers (warm pools on, and off), measure, print and write the tables.

Talks only to 127.0.0.1 and the local Docker socket; stops its servers whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import traceback
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import aiohttp

from codex_ws.settings import DEFAULT_POOL
from sandbox.languages import LanguageRegistry

from . import cost, measure, report
from .servers import Docker, Server, make_log_dir, parse_pool, raise_fd_limit

T = TypeVar("T")

LANGUAGES = ("python", "javascript", "java", "csharp")
PHASES = ("latency", "throughput", "websocket", "sessions", "idle", "cost")
RESULTS = Path(__file__).resolve().parent / "results.md"
HOLD_MS = 600_000  # the wall-clock limit of a held session: longer than the phase can take


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    add = parser.add_argument
    add("--samples", type=int, default=30, help="samples per server latency cell (30)")
    add("--baseline-samples", type=int, default=15, help="samples per docker run cell (15)")
    add("--warmup", type=int, default=1, help="unrecorded runs before each latency cell (1)")
    add("--languages", default=",".join(LANGUAGES), help="languages for the latency table")
    add("--pool", default=DEFAULT_POOL, help=f"CODEX_POOL of the pool server ({DEFAULT_POOL})")
    add("--duration", type=float, default=15, help="seconds per throughput level (15)")
    add("--concurrency", default="1,4,8", help="throughput levels (1,4,8)")
    add("--echo", type=int, default=100, help="WebSocket echo round trips (100)")
    add("--sessions", type=int, default=200, help="live sessions to hold at once (200)")
    add("--session-ramp", type=int, default=50, help="sessions being started at once (50)")
    add("--idle-sockets", type=int, default=1000, help="idle WebSockets for the RSS figure (1000)")
    add("--cost-runs", type=int, default=40, help="fresh containers for the CPU breakdown (40)")
    add("--phases", default=",".join(PHASES), help=f"what to measure ({','.join(PHASES)})")
    add("--output", type=Path, default=RESULTS, help="where to write the tables")
    options = parser.parse_args(argv)
    options.phases = {p.strip() for p in options.phases.split(",") if p.strip()}
    if unknown := options.phases - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    return options


def _say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


@dataclass
class Bench:
    options: argparse.Namespace
    results: report.Results
    http: aiohttp.ClientSession
    docker: Docker
    pooled: Server
    fresh: Server

    async def phase(self, name: str, work: Awaitable[T]) -> T | None:
        """One measurement; a failure is reported with the tables instead of ending the run."""
        _say(f"{name} ...")
        began = time.monotonic()
        try:
            value = await work
        except Exception as exc:
            traceback.print_exc()
            self.results.failures.append(f"{name}: {exc.__class__.__name__}: {exc}")
            return None
        _say(f"{name}: done in {time.monotonic() - began:.0f} s")
        return value

    async def latency(self) -> None:
        registry = LanguageRegistry()
        options, http, docker = self.options, self.http, self.docker
        cell = {"samples": options.samples, "warmup": options.warmup}
        for language in (lang.strip() for lang in options.languages.split(",") if lang.strip()):
            spec = registry.get(language)
            with_pool = await self.phase(
                f"{language}: REST with the pool",
                measure.rest_latency(http, docker, self.pooled, language, **cell),
            )
            without = await self.phase(
                f"{language}: REST without the pool",
                measure.rest_latency(http, docker, self.fresh, language, **cell),
            )
            baseline = await self.phase(
                f"{language}: docker run",
                measure.docker_run_latency(
                    spec, samples=options.baseline_samples, warmup=options.warmup
                ),
            )
            self.results.latency[language] = report.Latency(
                with_pool or measure.Samples(),
                without or measure.Samples(),
                baseline or measure.Samples(),
            )

    async def throughput(self) -> None:
        for level in (int(c) for c in self.options.concurrency.split(",") if c.strip()):
            row = await self.phase(
                f"throughput at concurrency {level}",
                measure.throughput(
                    self.http,
                    self.docker,
                    self.fresh,
                    concurrency=level,
                    duration=self.options.duration,
                ),
            )
            if row:
                self.results.throughput.append(row)

    async def websocket(self) -> None:
        options = self.options
        self.results.first_byte = await self.phase(
            "WebSocket first stdout byte",
            measure.ws_first_byte(
                self.http, self.docker, self.pooled, samples=options.samples, warmup=options.warmup
            ),
        )
        self.results.echo = await self.phase(
            "WebSocket echo",
            measure.ws_echo(
                self.http, self.docker, self.pooled, round_trips=options.echo, warmup=5
            ),
        )

    async def sessions(self) -> None:
        count = self.options.sessions
        self.results.sessions = await self.phase(
            f"{count} live sessions",
            measure.sessions(
                self.http,
                self.docker,
                self.pooled,
                count=count,
                ramp=self.options.session_ramp,
                hold_ms=HOLD_MS,
                patience=180,
            ),
        )

    async def idle(self) -> None:
        count = self.options.idle_sockets
        self.results.idle = await self.phase(
            f"{count} idle WebSockets", measure.idle_sockets(self.http, self.fresh, count=count)
        )

    async def cost(self) -> None:
        await self.pooled.wait_idle(self.docker, within=60)  # the servers keep still
        await self.fresh.wait_idle(self.docker, within=60)
        self.results.cost = await self.phase(
            "CPU per container", cost.container_cost(self.options.cost_runs)
        )


async def _bench(options: argparse.Namespace, results: report.Results) -> dict[str, str]:
    pool = parse_pool(options.pool)
    # Room for every held session, the warm containers and a margin; run limits and queue
    # waits long enough that neither cuts the sessions measurement short.
    capacity = str(max(options.sessions, 16) + sum(pool.values()) + 16)
    common = {
        "CODEX_MAX_CONTAINERS": capacity,
        "CODEX_QUEUE_WAIT_SECONDS": "120",
        "CODEX_MAX_TIMEOUT_MS": str(HOLD_MS),
    }
    pooled = Server("pool", {**common, "CODEX_POOL": options.pool}, pool)
    fresh = Server("no-pool", {**common, "CODEX_POOL": ""})
    results.settings = {
        "samples per cell": f"{options.samples} (docker run {options.baseline_samples})",
        "warm-up runs per cell": str(options.warmup),
        "pool": f"`CODEX_POOL={options.pool}`",
        "`CODEX_MAX_CONTAINERS`": capacity,
        "throughput": f"{options.duration:g} s per level",
        "load average at start": report.load_average(),
    }
    log_dir = make_log_dir()
    docker = Docker()
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout)
    try:
        info = report.machine(await docker.version())
        _say(f"starting the servers (logs in {log_dir})")
        for server in (pooled, fresh):
            server.start(log_dir)
        await asyncio.gather(*(s.wait_ready(http, docker, within=180) for s in (pooled, fresh)))
        _say(f"pool server on :{pooled.port} (pid {pooled.pid}), no-pool on :{fresh.port}")
        bench = Bench(options, results, http, docker, pooled, fresh)
        for name in PHASES:
            if name in options.phases:
                await getattr(bench, name)()
        results.settings["load average at end"] = report.load_average()
        return info
    finally:
        await http.close()
        for server in (pooled, fresh):
            if trouble := server.stop():
                results.notes.append(trouble)
            if server.process is not None:
                await _remove_leftovers(docker, server, results)
                for line, count in server.log_warnings().most_common(6):
                    results.notes.append(f"{server.name} server log, {count} x `{line}`")
        await docker.close()


async def _remove_leftovers(docker: Docker, server: Server, results: report.Results) -> None:
    """Containers a server left behind (it should leave none) are noted, then removed."""
    left = await docker.containers(f"codex.owner={server.owner}")
    if left:
        results.notes.append(f"the {server.name} server left {len(left)} container(s) behind")
        for container in left:
            await docker.remove(container["Id"])


def main(argv: list[str] | None = None) -> int:
    options = _options(argv)
    limit = raise_fd_limit()
    if limit < options.idle_sockets + options.sessions + 256:
        _say(f"the open-file limit is {limit}: fewer sockets will fit than asked for")
    results = report.Results()
    started = time.monotonic()
    info = asyncio.run(_bench(options, results))
    results.notes.insert(0, f"the whole run took {time.monotonic() - started:.0f} s")
    text = report.render(results, info)
    print(text)
    options.output.write_text(text)
    _say(f"written to {options.output}")
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
