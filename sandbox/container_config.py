"""The Docker create config for one run: every lock of the sandbox (docs/sandbox.md), here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .languages import LanguageSpec
from .limits import Limits

SANDBOX_LABEL = "codex.sandbox"
RUN_LABEL = "codex.run"
OWNER_LABEL = "codex.owner"
ENGINE_LABEL = "codex.engine"
LANGUAGE_LABEL = "codex.language"
SANDBOX_USER = "1000:1000"


def container_config(
    *,
    spec: LanguageSpec,
    image: str,
    limits: Limits,
    run_id: str,
    owner: str,
    seccomp_profile: str,
    engine_id: str = "",
    command: Sequence[str] = (),
) -> dict[str, Any]:
    """The body of `POST /containers/create` for one run of `spec`.

    `command` is the runner's arguments: a warm runtime to start before the code arrives.
    """
    memory = limits.memory_mb << 20
    return {
        "Image": image,
        **({"Cmd": list(command)} if command else {}),
        "User": SANDBOX_USER,
        "WorkingDir": "/tmp",
        "Tty": False,
        # The runner waits for its code on stdin; closing our side gives the program EOF.
        "OpenStdin": True,
        "StdinOnce": True,
        "AttachStdin": True,
        "AttachStdout": True,
        "AttachStderr": True,
        "NetworkDisabled": True,
        "Labels": {
            SANDBOX_LABEL: "1",
            RUN_LABEL: run_id,
            OWNER_LABEL: owner,
            ENGINE_LABEL: engine_id,
            LANGUAGE_LABEL: spec.id,
        },
        "HostConfig": {
            "NetworkMode": "none",
            "ReadonlyRootfs": True,
            "Tmpfs": {
                "/tmp": f"rw,nosuid,nodev,noexec,size={limits.tmpfs_mb}m,nr_inodes=4096,mode=1777"
            },
            "CapDrop": ["ALL"],
            "SecurityOpt": ["no-new-privileges:true", f"seccomp={seccomp_profile}"],
            "Memory": memory,
            "MemorySwap": memory,
            "NanoCpus": limits.nano_cpus,
            "PidsLimit": limits.pids,
            "Ulimits": [
                {"Name": "nofile", "Soft": limits.nofile, "Hard": limits.nofile},
                {"Name": "fsize", "Soft": limits.fsize_bytes, "Hard": limits.fsize_bytes},
                {"Name": "core", "Soft": 0, "Hard": 0},
            ],
            "Init": True,
            "IpcMode": "private",
            "ShmSize": 8 << 20,
            # When the host runs short, sandboxes die before anything else does.
            "OomScoreAdj": 500,
            "LogConfig": {"Type": "none", "Config": {}},
            "Privileged": False,
            "AutoRemove": False,
        },
    }
