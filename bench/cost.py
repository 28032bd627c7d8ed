"""Where the CPU of one fresh container goes: Docker's daemons, the rest of the host, and the
engine's own process, measured over back-to-back python hello worlds on an in-process Engine.

`dockerd` and `containerd` are long-lived, so their share is read from /proc/<pid>/stat. The
per-container processes (containerd-shim, runc, docker-init, the runner and the program) live
too briefly to sample, so they are the rest: the host's busy time from /proc/stat, less the
two daemons, this process, and what the host spent over the same time before the runs began
(everything else on the machine).
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

from sandbox import Engine, EngineConfig, check_run

from .measure import HELLO

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def _host_busy_ms() -> float:
    """CPU time the whole host spent not idle (all CPUs), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) * TICK_MS


def _pid_of(name: str) -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    return int(entry.name)
            except OSError:
                continue
    return None


def _process_ms(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) * TICK_MS  # utime, stime


def _self_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


@dataclass
class Snapshot:
    wall: float
    host: float
    dockerd: float
    containerd: float
    engine: float

    @classmethod
    def take(cls, dockerd: int | None, containerd: int | None) -> Snapshot:
        return cls(
            time.monotonic(),
            _host_busy_ms(),
            _process_ms(dockerd),
            _process_ms(containerd),
            _self_ms(),
        )


@dataclass
class ContainerCost:
    """CPU milliseconds per container, by where they were spent."""

    runs: int
    seconds: float
    dockerd: float
    containerd: float
    engine: float
    rest: float  # shim, runc, docker-init, runner, program, kernel
    background_per_second: float

    @property
    def total(self) -> float:
        return self.dockerd + self.containerd + self.engine + self.rest


async def container_cost(runs: int, *, quiet_seconds: float = 3.0) -> ContainerCost:
    """`runs` python hello worlds, each in a fresh container, one after the other."""
    dockerd, containerd = _pid_of("dockerd"), _pid_of("containerd")
    async with Engine(EngineConfig()) as engine:
        hello = check_run(engine.languages, engine.policy, "python", HELLO["python"])
        for _ in range(2):  # warm caches: images, the engine's connections
            await engine.execute(hello)
        await engine.settle()
        quiet = Snapshot.take(dockerd, containerd)
        await asyncio.sleep(quiet_seconds)
        before = Snapshot.take(dockerd, containerd)
        background = (before.host - quiet.host - (before.engine - quiet.engine)) / (
            before.wall - quiet.wall
        )
        for _ in range(runs):
            result = await engine.execute(hello)
            if result.output != "Hello, World!\n":
                raise RuntimeError(f"a cost run failed: {result}")
        await engine.settle()  # every removal is part of the cost
        after = Snapshot.take(dockerd, containerd)
    seconds = after.wall - before.wall
    per = {
        "dockerd": (after.dockerd - before.dockerd) / runs,
        "containerd": (after.containerd - before.containerd) / runs,
        "engine": (after.engine - before.engine) / runs,
    }
    host = (after.host - before.host - background * seconds) / runs
    return ContainerCost(
        runs=runs,
        seconds=seconds,
        rest=max(0.0, host - sum(per.values())),
        background_per_second=background,
        **per,
    )
