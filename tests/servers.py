"""Real `codex-ws serve` processes for the tests that need a server of its own."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import aiohttp

CODEX_WS = str(Path(sys.executable).parent / "codex-ws")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Every test client comes from 127.0.0.1: the limits per address are out of the way unless a
# test sets them.
ONE_ADDRESS_LIMITS = {
    "CODEX_MAX_SHARE_PER_ADDRESS": "100%",
    "CODEX_ANONYMOUS_SHARE": "100%",
    "CODEX_REGISTRATIONS_PER_HOUR": "100000",
    "CODEX_LOGIN_FAILURES_PER_ADDRESS": "100000",
}


def start_server(
    env: Mapping[str, str],
    log: IO[bytes] | None = None,
    *,
    host: str = "127.0.0.1",
    open_files: tuple[int, int] | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """A server on a free port of `host`, and its base URL on loopback; its log goes to `log` if
    given. `open_files`: its (soft, hard) limit of open files."""
    port = free_port()
    command = [CODEX_WS, "serve", "--host", host, "--port", str(port)]
    if open_files is not None:
        command = ["prlimit", f"--nofile={open_files[0]}:{open_files[1]}", *command]
    process = subprocess.Popen(
        command, env=ONE_ADDRESS_LIMITS | dict(env), stdout=subprocess.DEVNULL, stderr=log
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


async def register(
    http: aiohttp.ClientSession, base: str, role: str = "student", teacher_code: str = ""
) -> dict[str, Any]:
    """A new account named "The <role>" on the server at `base`: its `token` and `user`."""
    payload = {
        "email": f"{role}-{uuid.uuid4().hex[:10]}@example.test",
        "password": "correct horse",
        "name": f"The {role}",
        "role": role,
    }
    if teacher_code:
        payload["teacherCode"] = teacher_code
    async with http.post(f"{base}/api/auth/register", json=payload) as response:
        body: dict[str, Any] = await response.json()
    assert response.status == 201, body
    return body


async def enroll(
    http: aiohttp.ClientSession, base: str, teacher_token: str, *student_tokens: str
) -> str:
    """A new class of the teacher's that the students join; its id."""
    async with http.post(
        f"{base}/api/classes",
        json={"name": "A class"},
        headers={"Authorization": f"Bearer {teacher_token}"},
    ) as response:
        made: dict[str, Any] = await response.json()
    assert response.status == 201, made
    for token in student_tokens:
        async with http.post(
            f"{base}/api/classes/join",
            json={"joinCode": made["joinCode"]},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.status == 200, await response.text()
    return str(made["id"])


async def promoted(http: aiohttp.ClientSession, base: str, teacher_code: str) -> dict[str, Any]:
    """A teacher made an admin with `codex-ws users promote`, signed in again."""
    teacher = await register(http, base, "teacher", teacher_code)
    email = teacher["user"]["email"]
    command = [sys.executable, "-m", "codex_ws", "users", "promote", email, "--role", "admin"]
    promote = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE)
    output, _ = await promote.communicate()
    assert promote.returncode == 0, output
    async with http.post(
        f"{base}/api/auth/login", json={"email": email, "password": "correct horse"}
    ) as response:
        body: dict[str, Any] = await response.json()
    assert response.status == 200 and body["user"]["role"] == "admin", body
    return body
