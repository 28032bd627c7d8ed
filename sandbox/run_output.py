"""What a run has printed, counted against its cap: the decoders, the byte counts, the stdout
held back until the program runs, the compiled files of a compile-mode run, and truncation."""

from __future__ import annotations

import codecs

STDOUT, STDERR = 1, 2
MAX_ARTIFACT_BYTES = 24 << 20


class RunOutput:
    """The output of one run. The program's output and the compiler's each have `cap` bytes."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._decoders = {
            STDOUT: codecs.getincrementaldecoder("utf-8")(errors="replace"),
            STDERR: codecs.getincrementaldecoder("utf-8")(errors="replace"),
        }
        self._run_bytes = 0
        self._compile_bytes = 0
        # Some output was cut at the cap.
        self.truncated = False
        # The program's output reached the cap.
        self.limited = False
        self._held_stdout = bytearray()
        self._artifacts = bytearray()

    def run_text(self, fd: int, data: bytes) -> str | None:
        """The text of what the program wrote on `fd`, as far as the cap leaves room for it;
        None once the cap was reached before."""
        if self.limited:
            return None
        room = self.cap - self._run_bytes
        if len(data) > room:
            data = data[:room]
            self.limited = self.truncated = True
        self._run_bytes += len(data)
        return self._decoders[fd].decode(data)

    def compile_text(self, data: bytes) -> str | None:
        """The text of what the compiler wrote, as far as the cap leaves room for it; None once
        the output was cut before."""
        if self.truncated:
            return None
        room = self.cap - self._compile_bytes
        if len(data) > room:
            data = data[:room]
            self.truncated = True
        self._compile_bytes += len(data)
        return self._decoders[STDERR].decode(data)

    def tails(self) -> list[tuple[int, str]]:
        """What the decoders still hold at the end (an incomplete character), by stream."""
        ends = ((fd, decoder.decode(b"", final=True)) for fd, decoder in self._decoders.items())
        return [(fd, tail) for fd, tail in ends if tail]

    def hold_stdout(self, data: bytes) -> None:
        """Keep stdout that came before the program ran, so it never precedes its stage."""
        self._held_stdout += data

    def take_held_stdout(self) -> bytes:
        held, self._held_stdout = bytes(self._held_stdout), bytearray()
        return held

    def add_artifacts(self, data: bytes) -> bool:
        """Keep what a compile-mode run wrote to stdout; False (and nothing kept) over the cap."""
        if len(self._artifacts) + len(data) > MAX_ARTIFACT_BYTES:
            return False
        self._artifacts += data
        return True

    @property
    def artifacts(self) -> bytes:
        return bytes(self._artifacts)
