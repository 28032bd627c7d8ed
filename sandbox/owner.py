"""Which process owns a container, so that a restarted server sweeps only what the dead left."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            # Field 22 (start time); the command name in field 2 may contain spaces.
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@dataclass(frozen=True, slots=True)
class Owner:
    """A process on a host, told apart from a later process that reuses its pid."""

    host: str
    pid: int
    start_time: str

    @classmethod
    def current(cls) -> Owner:
        return cls.of_process(os.getpid())

    @classmethod
    def of_process(cls, pid: int) -> Owner:
        """The owner that process `pid` of this host labels its containers with."""
        return cls(socket.gethostname(), pid, _start_time(pid) or "0")

    @classmethod
    def parse(cls, label: str) -> Owner | None:
        host, _, rest = label.rpartition("/")
        pid, _, start = rest.partition(":")
        if not host or not pid.isdigit():
            return None
        return cls(host, int(pid), start)

    def __str__(self) -> str:
        return f"{self.host}/{self.pid}:{self.start_time}"

    def is_alive_here(self) -> bool:
        """True when this owner is a live process on this host."""
        return self.host == socket.gethostname() and _start_time(self.pid) == self.start_time

    def is_gone(self) -> bool:
        """True when this owner was a process of this host that no longer runs.

        Owners on other hosts are never gone as far as this host can tell.
        """
        return self.host == socket.gethostname() and not self.is_alive_here()
