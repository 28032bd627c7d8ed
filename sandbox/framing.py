"""The runner protocol: the frame the engine writes to a container's stdin, and the control
markers the runner writes back on stderr before the program starts.

Frame (lengths and counts in ASCII decimal, each followed by a newline)::

    CODEX3\n
    <len>\n<nonce>
    <len>\n<mode>                                   run | compile
    <cpu_ms>\n                                      the program's CPU budget (0: none)
    <k>\n then k times <len>\n<path><len>\n<content>   files written under /tmp
    <n>\n then n times <len>\n<arg>                  compile argv (0: nothing to compile)
    <m>\n then m times <len>\n<arg>                  run argv
    <w>\n then w times <len>\n<arg>                  warm request (0: none)

Markers: ``\\x1e codex:<nonce>:<event>\\n`` with event ``compile``, ``run``, ``artifacts``,
``compile_error <status>`` or ``error <message>`` on stderr; ``limit cpu`` when the program
spent its CPU budget (the runner then kills it); when the program ends, ``end`` on
stdout and ``exit <code> <signal> <cpu_ms> <maxrss_kb>`` on stderr. The nonce is random per run
and lives only in the runner, which the program cannot read (it is not dumpable and ptrace is
denied), so a program cannot forge a marker.

In ``compile`` mode the runner compiles, then writes what the compiler made to stdout as
``<k>\n`` and k times ``<len>\n<path><len>\n<content>``, and exits: a later run gets those
files in its frame and skips the compiler.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

MAGIC = b"CODEX3\n"
MARKER_START = b"\x1e"


Mode = Literal["run", "compile"]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file the runner writes under /tmp before anything runs."""

    path: str
    content: bytes


class FrameError(ValueError):
    """The runner's artifact listing is malformed."""


def new_nonce() -> str:
    return secrets.token_hex(16)


def _field(value: bytes) -> bytes:
    return b"%d\n%s" % (len(value), value)


def _argv(argv: Iterable[str]) -> bytes:
    items = [a.encode() for a in argv]
    return b"%d\n" % len(items) + b"".join(_field(item) for item in items)


def encode_frame(
    nonce: str,
    mode: Mode,
    files: Sequence[SourceFile],
    compile_argv: Iterable[str],
    run_argv: Iterable[str],
    *,
    warm_request: Iterable[str] = (),
    cpu_ms: int = 0,
) -> bytes:
    """The bytes that hand a program to the runner; `cpu_ms` (0: none) is the CPU time the
    program may use (all its processes and threads) before the runner kills it."""
    listing = b"%d\n" % len(files) + b"".join(
        _field(f.path.encode()) + _field(f.content) for f in files
    )
    return b"".join(
        (
            MAGIC,
            _field(nonce.encode()),
            _field(mode.encode()),
            b"%d\n" % cpu_ms,
            listing,
            _argv(compile_argv),
            _argv(run_argv),
            _argv(warm_request),
        )
    )


def decode_files(data: bytes) -> tuple[SourceFile, ...]:
    """The files a compile-mode runner wrote to stdout."""
    view = memoryview(data)
    position = 0

    def number() -> int:
        nonlocal position
        end = data.find(b"\n", position, position + 21)
        if end < 0 or not data[position:end].isdigit():
            raise FrameError(f"expected a length at byte {position}")
        value = int(data[position:end])
        position = end + 1
        return value

    def blob() -> bytes:
        nonlocal position
        size = number()
        if position + size > len(data):
            raise FrameError("the listing ends early")
        position += size
        return bytes(view[position - size : position])

    files = tuple(SourceFile(blob().decode(errors="strict"), blob()) for _ in range(number()))
    if position != len(data):
        raise FrameError("bytes after the listing")
    return files


@dataclass(frozen=True, slots=True)
class Marker:
    """One control message from the runner."""

    event: str
    argument: str = ""


class MarkerScanner:
    """Splits the runner's stderr into plain output and control markers.

    Fed chunk by chunk; a marker may arrive split across chunks.
    """

    def __init__(self, nonce: str) -> None:
        self._prefix = MARKER_START + b"codex:" + nonce.encode() + b":"
        self._pending = bytearray()

    def feed(self, chunk: bytes) -> list[bytes | Marker]:
        """Plain bytes and markers, in order, for what is known so far."""
        self._pending += chunk
        out: list[bytes | Marker] = []
        while True:
            start = self._pending.find(self._prefix)
            if start < 0:
                break
            end = self._pending.find(b"\n", start)
            if end < 0:
                break
            if start:
                out.append(bytes(self._pending[:start]))
            body = self._pending[start + len(self._prefix) : end].decode(errors="replace")
            event, _, argument = body.partition(" ")
            out.append(Marker(event, argument))
            del self._pending[: end + 1]
        # Keep back only what could still become a marker.
        hold = self._pending.rfind(MARKER_START)
        if hold < 0 or not self._prefix.startswith(
            bytes(self._pending[hold:])[: len(self._prefix)]
        ):
            hold = len(self._pending)
        if hold:
            out.append(bytes(self._pending[:hold]))
            del self._pending[:hold]
        return out

    def rest(self) -> bytes:
        """Whatever is held back (at the end of the stream, or once the program runs)."""
        rest = bytes(self._pending)
        self._pending.clear()
        return rest
