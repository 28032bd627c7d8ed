"""A PostgreSQL cluster of a test's own, in a temporary folder, that it may stop and start again
(never the shared one). Run as the `postgres` user when the tests run as root: initdb refuses
root."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.servers import free_port


def _bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise AssertionError("PostgreSQL's initdb is not installed: run `make provision`")
    return found[-1].parent


class PrivatePostgres:
    """initdb, pg_ctl start and stop, on a free port of 127.0.0.1; trust auth, user `codex`."""

    def __init__(self) -> None:
        self.bin = _bin()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="codex-pg-"))
        self.data = self.root / "data"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "codex", "--auth=trust", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql://codex@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self) -> None:
        """A fast shutdown: sessions are ended, as when an operator stops the service."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        argv = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
        assert done.returncode == 0, f"{program} failed: {done.stderr or done.stdout}"
