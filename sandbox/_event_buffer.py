"""A queue of run events that coalesces adjacent output, so a flood of tiny writes
becomes a few large events instead of millions of small ones.

Output is handed out at most once per `LINGER_SECONDS` while it keeps coming: the first piece
after a quiet spell goes at once (a prompt is not delayed), and what follows within the window
joins it, up to `COALESCE_CHARS`. A flood becomes about a hundred events a second, whatever the
program's writes, and nothing is held back once another event (the exit) is queued behind it."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from .events import OutputEvent, RunEvent, StageName, Stream

COALESCE_CHARS = 32 * 1024
LINGER_SECONDS = 0.008


@dataclass(slots=True)
class _Chunk:
    stream: Stream
    stage: StageName
    parts: list[str] = field(default_factory=list)
    size: int = 0


class EventBuffer:
    """Unbounded in count of events, bounded in practice by the run's output cap."""

    def __init__(self, linger_seconds: float = LINGER_SECONDS) -> None:
        self._items: deque[RunEvent | _Chunk] = deque()
        self._ready = asyncio.Event()
        self._linger = linger_seconds
        self._loop = asyncio.get_running_loop()
        self._last_output_at = -linger_seconds

    def put_output(self, stream: Stream, stage: StageName, text: str) -> None:
        if not text:
            return
        last = self._items[-1] if self._items else None
        if (
            not isinstance(last, _Chunk)
            or last.stream != stream
            or last.stage != stage
            or last.size >= COALESCE_CHARS
        ):
            last = _Chunk(stream, stage)
            self._items.append(last)
        last.parts.append(text)
        last.size += len(text)
        self._ready.set()

    def put(self, event: RunEvent) -> None:
        self._items.append(event)
        self._ready.set()

    async def get(self) -> RunEvent:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        head = self._items[0]
        if isinstance(head, _Chunk):
            wait = self._last_output_at + self._linger - self._loop.time()
            if wait > 0 and len(self._items) == 1 and head.size < COALESCE_CHARS:
                await asyncio.sleep(wait)  # more output may join it meanwhile
        item = self._items.popleft()
        if isinstance(item, _Chunk):
            self._last_output_at = self._loop.time()
            return OutputEvent(item.stream, "".join(item.parts), item.stage)
        return item
