"""The runner protocol: the frame the engine writes to a container's stdin, and the control
markers the runner writes back on stderr before the program starts.

Frame (lengths and counts in ASCII decimal, each followed by a newline)::

    CODEX1\n
    <len>\n<nonce>
    <len>\n<file name>
    <n>\n then n times <len>\n<arg>      compile argv (0: nothing to compile)
    <m>\n then m times <len>\n<arg>      run argv
    <len>\n<code>

Markers: ``\\x1e codex:<nonce>:<event>\\n`` with event ``compile``, ``run``,
``compile_error <status>`` or ``error <message>``. The nonce is random per run and gone once
the program is exec'd, so a program cannot forge a marker; after ``run`` stderr is not scanned.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

MAGIC = b"CODEX1\n"
MARKER_START = b"\x1e"


def new_nonce() -> str:
    return secrets.token_hex(16)


def _field(value: bytes) -> bytes:
    return b"%d\n%s" % (len(value), value)


def _argv(argv: Iterable[str]) -> bytes:
    items = [a.encode() for a in argv]
    return b"%d\n" % len(items) + b"".join(_field(item) for item in items)


def encode_frame(
    nonce: str, file_name: str, compile_argv: Iterable[str], run_argv: Iterable[str], code: bytes
) -> bytes:
    """The bytes that hand a program to the runner."""
    return b"".join(
        (
            MAGIC,
            _field(nonce.encode()),
            _field(file_name.encode()),
            _argv(compile_argv),
            _argv(run_argv),
            _field(code),
        )
    )


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
