"""The baseline: `docker run --rm -i` of the same image with the same locks as a server run
(translated from sandbox/container_config.py), fed the runner's frame on stdin."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sandbox.container_config import container_config
from sandbox.framing import SourceFile, encode_frame, new_nonce
from sandbox.languages import LanguageSpec
from sandbox.limits import LimitPolicy

from .servers import ROOT

SECCOMP = "seccomp/profile.json"

# HostConfig keys translated below, and those with nothing to say to `docker run`.
_HANDLED = {
    "NetworkMode",
    "ReadonlyRootfs",
    "Tmpfs",
    "CapDrop",
    "SecurityOpt",
    "Memory",
    "MemorySwap",
    "NanoCpus",
    "PidsLimit",
    "Ulimits",
    "Init",
    "IpcMode",
    "ShmSize",
    "OomScoreAdj",
    "LogConfig",
    "Privileged",
    "AutoRemove",
}


def docker_run_argv(spec: LanguageSpec, image: str) -> tuple[list[str], list[str]]:
    """`docker run` argv with the engine's settings for `spec`, and the settings it could not
    translate (reported, so a new lock in container_config.py does not go unnoticed)."""
    limits = LimitPolicy().resolve(spec)
    config: dict[str, Any] = container_config(
        spec=spec,
        image=image,
        limits=limits,
        run_id="bench",
        owner="bench",
        seccomp_profile=SECCOMP,
    )
    host = config["HostConfig"]
    argv = ["docker", "run", "--rm", "-i", "--user", config["User"], "-w", config["WorkingDir"]]
    if config.get("NetworkDisabled") or host.get("NetworkMode") == "none":
        argv += ["--network", "none"]
    if host.get("ReadonlyRootfs"):
        argv.append("--read-only")
    for path, options in host.get("Tmpfs", {}).items():
        argv += ["--tmpfs", f"{path}:{options}"]
    for cap in host.get("CapDrop", []):
        argv += ["--cap-drop", cap]
    for option in host.get("SecurityOpt", []):
        argv += ["--security-opt", option]
    argv += ["--memory", f"{host['Memory']}b", "--memory-swap", f"{host['MemorySwap']}b"]
    argv += ["--cpus", f"{host['NanoCpus'] / 1e9:g}", "--pids-limit", str(host["PidsLimit"])]
    for ulimit in host.get("Ulimits", []):
        argv += ["--ulimit", f"{ulimit['Name']}={ulimit['Soft']}:{ulimit['Hard']}"]
    if host.get("Init"):
        argv.append("--init")
    argv += ["--ipc", host["IpcMode"], "--shm-size", f"{host['ShmSize']}b"]
    argv += ["--oom-score-adj", str(host["OomScoreAdj"])]
    argv += ["--log-driver", host["LogConfig"]["Type"]]
    if host.get("Privileged"):
        argv.append("--privileged")
    argv.append(image)
    skipped = sorted(set(host) - _HANDLED)
    return argv, skipped


def frame_for(spec: LanguageSpec, code: str) -> bytes:
    """The frame a server writes for a run of `code` (compile + run for compiled languages)."""
    file_name, compile_argv, run_argv = spec.commands(code, ())
    return encode_frame(
        new_nonce(), "run", (SourceFile(file_name, code.encode()),), compile_argv, run_argv
    )


async def docker_run(argv: list[str], frame: bytes) -> tuple[float, int, bytes]:
    """One `docker run`: (seconds from spawn to its exit, exit code, stdout)."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, _ = await process.communicate(frame)
    elapsed = time.perf_counter() - started
    return elapsed, process.returncode or 0, stdout
