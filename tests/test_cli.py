"""The `codex-ws` command, as an operator uses it from a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.sandbox.programs import GREET
from tests.servers import CODEX_WS

pytestmark = pytest.mark.docker


def _read_until(fd: int, needle: bytes, timeout: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out waiting for {needle!r}; saw {seen!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the terminal closed
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_run_is_interactive_on_a_terminal(tmp_path: Path) -> None:
    program = tmp_path / "greet.py"
    program.write_text(GREET["python"])
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal session running the command
        os.execv(CODEX_WS, [CODEX_WS, "run", "--lang", "python", str(program)])
    try:
        assert _read_until(fd, b"name? ").endswith(b"name? ")
        os.write(fd, b"Grace\n")
        assert b"Hello, Grace!" in _read_until(fd, b"Hello, Grace!")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        os.close(fd)


def test_run_passes_the_exit_code_and_piped_stdin(tmp_path: Path) -> None:
    program = tmp_path / "echo.py"
    program.write_text("import sys\nprint(sys.stdin.read().upper(), end='')\nsys.exit(5)\n")
    done = subprocess.run(
        [CODEX_WS, "run", "--lang", "py", str(program)],
        input=b"piped\n",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (5, b"PIPED\n")


def test_run_with_an_unknown_language_says_what_is_supported(tmp_path: Path) -> None:
    program = tmp_path / "x.cob"
    program.write_text("")
    done = subprocess.run(
        [CODEX_WS, "run", "--lang", "cobol", str(program)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "Unknown language 'cobol'. Supported: csharp, java, javascript, python" in done.stderr


def test_images_list_shows_every_language_current() -> None:
    done = subprocess.run(
        [CODEX_WS, "images", "list"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for language in ("python", "javascript", "java", "csharp"):
        assert any(
            line.startswith(language) and "current" in line for line in done.stdout.splitlines()
        ), done.stdout


def _users(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CODEX_WS, "users", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_users_makes_an_admin_and_changes_roles() -> None:
    email = f"head-{uuid.uuid4().hex[:8]}@example.test"
    made = _users("create", "--admin", "--name", "Head", email, stdin="correct horse\n")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"created admin {email}")

    taken = _users("create", email, stdin="correct horse\n")
    assert taken.returncode == 1 and "already exists" in taken.stderr
    short = _users("create", f"x-{email}", stdin="short\n")
    assert short.returncode == 2 and "8 to 72 bytes" in short.stderr

    demoted = _users("promote", email.upper(), "--role", "teacher")
    assert demoted.returncode == 0, demoted.stderr
    assert "is now teacher" in demoted.stdout and "sign in again" in demoted.stdout
    unknown = _users("promote", f"nobody-{email}", "--role", "admin")
    assert unknown.returncode == 1 and "No account has the email" in unknown.stderr
    bad_role = _users("promote", email, "--role", "root")
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr
