"""The figures as markdown: the machine, then one table per kind of measurement, each figure
next to its target from the issue and marked met or missed."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from collections import Counter
from dataclasses import dataclass, field

from .cost import ContainerCost
from .measure import FirstByte, IdleSockets, Samples, Sessions, Throughput, percentile

# The targets.
POOL_P50_MS = {"python": 20, "javascript": 40, "java": 250, "csharp": 250}
PYTHON_SPEEDUP = 20
RATE_PER_SECOND = 6
ECHO_P50_MS = 5
FIRST_STDOUT_P50_MS = 15
SESSIONS_HELD = 200
IDLE_SOCKET_KIB = 64


@dataclass
class Latency:
    pool: Samples
    no_pool: Samples
    docker_run: Samples


@dataclass
class Results:
    """Everything one run measured; a part is None when it was skipped or failed."""

    settings: dict[str, str] = field(default_factory=dict)
    latency: dict[str, Latency] = field(default_factory=dict)
    throughput: list[Throughput] = field(default_factory=list)
    first_byte: FirstByte | None = None
    echo: Samples | None = None
    sessions: Sessions | None = None
    idle: IdleSockets | None = None
    cost: ContainerCost | None = None
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def machine(docker_version: str) -> dict[str, str]:
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        total_kib = int(meminfo.readline().split()[1])
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            cpu = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in cpuinfo
                    if line.startswith("model name")
                ),
                "",
            )
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": nproc or str(os.cpu_count()),
        "cpu": cpu or platform.processor() or "unknown",
        "memory": f"{total_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "docker": docker_version,
        "python": platform.python_version(),
    }


def load_average() -> str:
    with open("/proc/loadavg", encoding="ascii") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def _ms(seconds: float | None, digits: int = 1) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.{digits}f}"


def _mark(met: bool | None) -> str:
    return "n/a" if met is None else ("**met**" if met else "**missed**")


def _errors(samples: Samples) -> str:
    return f" ({len(samples.errors)} failed)" if samples.errors else ""


def _latency_table(results: Results) -> list[str]:
    lines = [
        "| language | pool p50 | pool p95 | of which program p50 | no pool p50 | no pool p95 "
        "| docker run p50 | docker run p95 | docker run / pool (p50) | target | met |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for language, cell in results.latency.items():
        pool50 = percentile(cell.pool.values, 0.5)
        run50 = percentile(cell.docker_run.values, 0.5)
        ratio = run50 / pool50 if pool50 and run50 else None
        limit = POOL_P50_MS.get(language)
        target = f"pool p50 <= {limit} ms" if limit else "-"
        met = None if pool50 is None or limit is None else pool50 * 1000 <= limit
        if language == "python":
            target += f", >= {PYTHON_SPEEDUP}x docker run"
            met = None if met is None or ratio is None else met and ratio >= PYTHON_SPEEDUP
        lines.append(
            f"| {language} | {_ms(pool50)}{_errors(cell.pool)} "
            f"| {_ms(percentile(cell.pool.values, 0.95))} "
            f"| {_ms(percentile(cell.pool.program, 0.5))} "
            f"| {_ms(percentile(cell.no_pool.values, 0.5))}{_errors(cell.no_pool)} "
            f"| {_ms(percentile(cell.no_pool.values, 0.95))} "
            f"| {_ms(run50)}{_errors(cell.docker_run)} "
            f"| {_ms(percentile(cell.docker_run.values, 0.95))} "
            f"| {'-' if ratio is None else f'{ratio:.1f}x'} | {target} | {_mark(met)} |"
        )
    return lines


def _throughput_table(results: Results) -> list[str]:
    lines = [
        "| concurrency | runs/s | runs completed | seconds | p50 ms | p95 ms | failed "
        "| target | met |",
        "|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for row in results.throughput:
        lines.append(
            f"| {row.concurrency} | {row.rate:.2f} | {row.completed} | {row.seconds:.1f} "
            f"| {_ms(percentile(row.latencies, 0.5), 0)} "
            f"| {_ms(percentile(row.latencies, 0.95), 0)} | {len(row.errors)} "
            f"| >= {RATE_PER_SECOND}/s | {_mark(row.rate >= RATE_PER_SECOND)} |"
        )
    return lines


def _ws_table(results: Results) -> list[str]:
    lines = ["| measure | p50 ms | p95 ms | samples | target | met |", "|---|--:|--:|--:|---|---|"]

    def row(name: str, samples: Samples, limit_ms: float | None) -> None:
        p50 = percentile(samples.values, 0.5)
        met = None if limit_ms is None or p50 is None else p50 * 1000 <= limit_ms
        target = "-" if limit_ms is None else f"p50 <= {limit_ms:g} ms"
        lines.append(
            f"| {name} | {_ms(p50)} | {_ms(percentile(samples.values, 0.95))} "
            f"| {len(samples.values)}{_errors(samples)} | {target} | {_mark(met)} |"
        )

    if results.first_byte:
        row("`run` sent -> `started`", results.first_byte.started, None)
        row(
            "`run` sent -> first `stdout` (print('x'))",
            results.first_byte.first_stdout,
            FIRST_STDOUT_P50_MS,
        )
    if results.echo:
        row("`stdin` line -> its echo on `stdout`", results.echo, ECHO_P50_MS)
    return lines


def _capacity_table(results: Results) -> list[str]:
    lines = ["| measure | figure | target | met |", "|---|---|---|---|"]
    if s := results.sessions:
        lines.append(
            f"| live python sessions held at once (blocked on stdin) | {s.held} of {s.wanted}, "
            f"all started in {s.seconds_to_hold:.1f} s; {s.exited_ok} exited ok after eof "
            f"| >= {SESSIONS_HELD} held | {_mark(s.held >= SESSIONS_HELD)} |"
        )
        host = "-" if s.mem_kib_per_session is None else f"{s.mem_kib_per_session / 1024:.1f} MiB"
        rss = (
            "-"
            if s.server_rss_kib_per_session is None
            else f"{s.server_rss_kib_per_session:.0f} KiB"
        )
        lines.append(
            f"| host memory per live session (MemAvailable drop / held) | {host} | - | - |"
        )
        lines.append(f"| server RSS per live session | {rss} | - | - |")
    if i := results.idle:
        per = i.kib_per_socket
        met = None if per is None else per <= IDLE_SOCKET_KIB
        lines.append(
            f"| server RSS per idle `/ws/run` socket | "
            f"{'-' if per is None else f'{per:.1f} KiB'} ({i.open} of {i.wanted} open; VmRSS "
            f"{i.rss_before_kib / 1024:.1f} -> {i.rss_after_kib / 1024:.1f} MiB) "
            f"| <= {IDLE_SOCKET_KIB} KiB | {_mark(met)} |"
        )
    return lines


def _cost_table(cost: ContainerCost) -> list[str]:
    def row(where: str, ms: float) -> str:
        return f"| {where} | {ms:.0f} | {100 * ms / cost.total:.0f}% |" if cost.total else ""

    return [
        "| where | CPU ms per container | share |",
        "|---|--:|--:|",
        row("dockerd (API: create, attach, start, remove)", cost.dockerd),
        row("containerd", cost.containerd),
        row("containerd-shim, runc, docker-init, runner, python, kernel", cost.rest),
        row("the engine (this process: HTTP to Docker, framing, events)", cost.engine),
        f"| **all** | **{cost.total:.0f}** | 100% |",
        "",
        f"{cost.runs} python hello worlds, one after the other, each in a fresh container "
        f"(no pool), in {cost.seconds:.1f} s. The rest of the host used "
        f"{cost.background_per_second:.0f} ms of CPU per second just before; that is taken "
        "out of the figures.",
    ]


def _summary(errors: list[str]) -> str:
    counts = Counter(errors)
    return "; ".join(f"{n} x {text[:160]}" for text, n in counts.most_common(3))


def _failed(results: Results) -> list[str]:
    """What went wrong in the samples (those are left out of the figures)."""
    lines = []
    kinds = ("pool", "no_pool", "docker_run")
    for language, cell in results.latency.items():
        for kind in kinds:
            samples: Samples = getattr(cell, kind)
            if samples.errors:
                lines.append(f"{language} {kind.replace('_', ' ')}: {_summary(samples.errors)}")
    for row in results.throughput:
        if row.errors:
            lines.append(f"throughput at {row.concurrency}: {_summary(row.errors)}")
    if results.first_byte and results.first_byte.started.errors:
        lines.append(f"first stdout byte: {_summary(results.first_byte.started.errors)}")
    if results.echo and results.echo.errors:
        lines.append(f"echo: {_summary(results.echo.errors)}")
    if results.sessions and results.sessions.errors:
        lines.append(f"sessions: {_summary(results.sessions.errors)}")
    return lines


def render(results: Results, info: dict[str, str]) -> str:
    out = ["# codex-ws benchmark", ""]
    out.append(
        f"{info['date']}; {info['nproc']} CPUs ({info['cpu']}), {info['memory']} memory, "
        f"kernel {info['kernel']}, Docker {info['docker']}, Python {info['python']}."
    )
    out += [
        "",
        "Run with `make bench` (`bench/run.py --help` for the knobs): "
        + ", ".join(f"{key} {value}" for key, value in results.settings.items())
        + ".",
        "",
    ]
    out += ["## Hello world through `POST /api/execute` (ms, client-side wall clock)", ""]
    out += _latency_table(results)
    out += [
        "",
        "Pool: each sample sent to an idle server with its warm pools full (the pool refills "
        "between samples). No pool: the same on a server with `CODEX_POOL=` (a container "
        "created, started and attached per run). docker run: `docker run --rm -i` with the "
        "locks of `sandbox/container_config.py`, the runner's frame on stdin, from spawn to "
        "exit (teardown included, as a CLI user waits for it). Java and C# compile and run. "
        "Of which program: the server's own `durationMs` (the run stage: from the runner's "
        "`run` marker to the program's end) of the pool runs; for python and javascript the "
        "rest is the server's overhead, for java and csharp it also holds the compile.",
        "",
    ]
    if results.throughput:
        out += ["## Sustained python runs per second, fresh container each (no pool)", ""]
        out += _throughput_table(results)
        out.append("")
    if results.first_byte or results.echo:
        out += ["## WebSocket `/ws/run` (pool on; socket already open)", ""]
        out += _ws_table(results)
        out.append("")
    if results.sessions or results.idle:
        out += ["## Capacity", ""]
        out += _capacity_table(results)
        out.append("")
    if results.cost:
        out += ["## Where a fresh container's CPU goes", ""]
        out += _cost_table(results.cost)
        out.append("")
    if results.failures or results.notes or _failed(results):
        out += ["## Notes", ""]
        out += [f"- {note}" for note in results.notes]
        out += [f"- failed samples, {line}" for line in _failed(results)]
        out += [f"- failed: {failure}" for failure in results.failures]
        out.append("")
    return "\n".join(out)
