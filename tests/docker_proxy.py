"""A stand-in for the Docker engine's socket that a test can "restart" without touching the real
engine, which other processes on the machine use.

Every connection to the proxy's socket is relayed to the engine's, byte for byte (attach streams
and their half-closes included). A restart does to a server what a daemon restart does: every
connection drops, new ones are refused for a while, and the containers are killed (the caller
kills them, through the real engine, since the proxy does not know whose they are).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

ENGINE_SOCKET = "/var/run/docker.sock"


class DockerProxy:
    def __init__(self, upstream: str = ENGINE_SOCKET) -> None:
        self.upstream = upstream
        self.folder = Path(tempfile.mkdtemp(prefix="codex-docker-"))
        self.path = self.folder / "docker.sock"
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._relays: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    async def start(self) -> None:
        self._server = await asyncio.start_unix_server(self._relay, path=str(self.path))

    async def restart(self, down_seconds: float, while_down: Callable[[], Awaitable[None]]) -> None:
        """Refuse connections, drop those open, run `while_down`, wait, then accept again."""
        await self._stop_listening()
        for writer in self._connections:
            writer.transport.abort()
        await while_down()
        await asyncio.sleep(down_seconds)
        await self.start()

    async def close(self) -> None:
        await self._stop_listening()
        for writer in self._connections:
            writer.transport.abort()
        for task in self._relays:
            task.cancel()
        await asyncio.gather(*self._relays, return_exceptions=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self.path.unlink(missing_ok=True)  # as a stopped daemon's socket: connections refused

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._relays.add(task)
        try:
            up_reader, up_writer = await asyncio.open_unix_connection(self.upstream)
        except OSError:
            writer.transport.abort()
            self._relays.discard(task)
            return
        pair = {writer, up_writer}
        self._connections |= pair
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self._connections -= pair
            for end in pair:
                end.transport.abort()
            self._relays.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Bytes one way until EOF, which is passed on as a half-close."""
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
