"""The servers under test: `codex-ws serve` subprocesses on free localhost ports, and what the
bench needs to watch them (their RSS, their containers through the Docker socket)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import resource
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from sandbox.pool import REFILL_DELAY_SECONDS

ROOT = Path(__file__).resolve().parent.parent
SERVE_ARGV = [str(ROOT / ".venv" / "bin" / "codex-ws")]
# The bench reads container states from a local engine's socket (DOCKER_HOST=unix://... too).
_DOCKER_HOST = os.environ.get("DOCKER_HOST", "")
DOCKER_SOCKET = (
    _DOCKER_HOST.removeprefix("unix://")
    if _DOCKER_HOST.startswith("unix://")
    else "/var/run/docker.sock"
)

# What every bench server shares: no rate limit gets in the way of a measurement, nor the cap
# of connections per address (every client is on this host).
BASE_ENV = {
    "CODEX_ENV": "development",
    "CODEX_RUNS_PER_MINUTE": "100000",
    "CODEX_RUNS_PER_MINUTE_ANONYMOUS": "100000",
    "CODEX_CONCURRENT_RUNS_PER_USER": "1000",
    "CODEX_MAX_CONNECTIONS_PER_IP": "0",
    # Every bench client comes from one address.
    "CODEX_MAX_SHARE_PER_ADDRESS": "100%",
    "CODEX_ANONYMOUS_SHARE": "100%",
}


def raise_fd_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard one (the servers started later inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1 << 20 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def parse_pool(spec: str) -> dict[str, int]:
    sizes = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        language, _, count = item.partition("=")
        sizes[language.strip()] = int(count)
    return sizes


def _blur(text: str) -> str:
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", text)
    text = re.sub(r"\b[0-9a-f]{12,64}\b", "<id>", text)
    return re.sub(r"\b\d+(\.\d+)?\b", "<n>", text)[:200]


def _start_time(pid: int) -> str:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()[19]


class Docker:
    """The few Docker API calls the bench makes, over the local socket."""

    def __init__(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.UnixConnector(DOCKER_SOCKET), base_url="http://docker"
        )

    async def close(self) -> None:
        await self._session.close()

    async def version(self) -> str:
        async with self._session.get("/version") as response:
            return str((await response.json())["Version"])

    async def containers(self, label: str) -> list[dict]:
        filters = json.dumps({"label": [label]})
        async with self._session.get(
            "/containers/json", params={"all": "1", "filters": filters}
        ) as response:
            return list(await response.json())

    async def remove(self, container_id: str) -> None:
        async with self._session.delete(
            f"/containers/{container_id}", params={"force": "1", "v": "1"}
        ):
            pass


CPUACCT = Path("/sys/fs/cgroup/cpuacct/docker")  # cgroup v1, Docker's cgroupfs driver
QUIET_SECONDS = 0.2
QUIET_CPU_NS = 2_000_000  # a waiting JVM still ticks a little


def _cpu_ns(container_id: str) -> int | None:
    try:
        return int((CPUACCT / container_id / "cpuacct.usage").read_text())
    except (OSError, ValueError):
        return None  # another cgroup layout: CPU use is not watched


async def _quiet(container_ids: list[str]) -> bool:
    """No container used CPU to speak of over QUIET_SECONDS (each warm runtime is up and waits
    for its request)."""
    before = [_cpu_ns(c) for c in container_ids]
    await asyncio.sleep(QUIET_SECONDS)
    after = [_cpu_ns(c) for c in container_ids]
    pairs = zip(before, after, strict=True)
    return all(b is None or a is None or a - b < QUIET_CPU_NS for b, a in pairs)


@dataclass
class Server:
    """One `codex-ws serve` process."""

    name: str
    env: dict[str, str]
    pool: dict[str, int] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    # The `codex.owner` label of this process's containers (see sandbox/owner.py).
    owner: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/run"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log_path = log_dir / f"{self.name}.log"
        env = {
            **os.environ,
            **BASE_ENV,
            # Own Redis keys: admission counters and rate limits of no one else.
            "CODEX_REDIS_PREFIX": f"codex-bench-{self.name}-{secrets.token_hex(3)}",
            **self.env,
        }
        env.pop("CODEX_JWT_SECRET", None)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [*SERVE_ARGV, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.owner = f"{socket.gethostname()}/{self.pid}:{_start_time(self.pid)}"

    async def wait_ready(self, http: aiohttp.ClientSession, docker: Docker, within: float) -> None:
        """Until /api/health answers 200 and every warm pool lane is full."""
        deadline = time.monotonic() + within
        while True:
            self._check_alive()
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with http.get(f"{self.url}/api/health") as response:
                    if response.status == 200:
                        break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: not healthy in {within:.0f} s ({self.tail()})")
            await asyncio.sleep(0.2)
        if not await self.wait_idle(docker, within=max(1.0, deadline - time.monotonic())):
            raise RuntimeError(f"{self.name}: warm pools not full in {within:.0f} s")

    async def wait_idle(self, docker: Docker, *, within: float = 15.0) -> bool:
        """Until this server holds its warm containers and nothing else (nothing running,
        starting or being removed), and their warm runtimes are up and waiting (no container
        used CPU for a while): the state of an idle server. False on timeout."""
        # A container just used may still show as running, and its replacement starts only
        # after the pool's refill delay: look once both have had their time.
        await asyncio.sleep(REFILL_DELAY_SECONDS + 0.2)
        deadline = time.monotonic() + within
        while True:
            containers = await docker.containers(f"codex.owner={self.owner}")
            running = [c for c in containers if c.get("State") == "running"]
            lanes = {language: 0 for language in self.pool}
            for container in running:
                language = container["Labels"].get("codex.language", "")
                lanes[language] = lanes.get(language, 0) + 1
            if (
                len(containers) == len(running)
                and lanes == self.pool
                and await _quiet([c["Id"] for c in running])
            ):
                return True
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)

    def rss_kib(self) -> int:
        """VmRSS of the server process, in KiB."""
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS in /proc/<pid>/status")

    def log_warnings(self) -> Counter[str]:
        """The server's WARNING and ERROR lines, ids and numbers blurred so that alike ones
        count together."""
        counts: Counter[str] = Counter()
        if self.log_path is None or not self.log_path.exists():
            return counts
        for line in self.log_path.read_text(errors="replace").splitlines():
            parts = line.split(" ", 3)
            if (
                len(parts) == 4
                and parts[2] in ("WARNING", "ERROR", "CRITICAL")
                and "CODEX_JWT_SECRET is not set" not in line
            ):
                counts[_blur(f"{parts[2]} {parts[3]}")] += 1
        return counts

    def tail(self, lines: int = 15) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "no log"
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return f"log {self.log_path}:\n" + "\n".join(text)

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name}: exited with {self.process.returncode} ({self.tail()})"
            )

    def stop(self, grace: float = 20.0) -> str | None:
        """SIGTERM (the server removes its containers on the way out), SIGKILL if it takes
        longer than `grace`; what was odd about it, if anything."""
        if self.process is None or self.process.poll() is not None:
            return None
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return f"the {self.name} server did not stop within {grace:.0f} s of SIGTERM: killed"
        took = time.monotonic() - began
        if code != 0 or took > 5:
            return f"the {self.name} server took {took:.1f} s to stop after SIGTERM (exit {code})"
        return None


def make_log_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="codex-bench-"))
