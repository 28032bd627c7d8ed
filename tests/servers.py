"""Real `codex-ws serve` processes for the tests that need a server of its own."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import aiohttp

CODEX_WS = str(Path(sys.executable).parent / "codex-ws")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    env: Mapping[str, str], log: IO[bytes] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """A server on a free loopback port, and its base URL; its log goes to `log` if given."""
    port = free_port()
    process = subprocess.Popen(
        [CODEX_WS, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    return process, f"http://127.0.0.1:{port}"


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


async def wait_until_healthy(http: aiohttp.ClientSession, base: str) -> None:
    for _ in range(300):
        try:
            async with http.get(f"{base}/api/health") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{base} did not become healthy")
