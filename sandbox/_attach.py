"""The attach stream of a container: stdout and stderr out, stdin in, half-close for EOF."""

from __future__ import annotations

import aiodocker
from aiodocker.stream import Stream
from yarl import URL


def attach(docker: aiodocker.Docker, container_id: str) -> Stream:
    """A stream attached to stdin, stdout and stderr of a container that has no TTY.

    Unlike `DockerContainer.attach`, this skips the inspect round trip: we know there is no TTY.
    """

    async def setup() -> tuple[URL, bytes | None, bool]:
        query = {"stdin": "1", "stdout": "1", "stderr": "1", "stream": "1", "logs": "0"}
        return URL(f"containers/{container_id}/attach").with_query(query), None, False

    return Stream(docker, setup, None)


def close_stdin(stream: Stream) -> None:
    """Half-close the stream: the container's stdin gets EOF while its output keeps flowing.

    aiodocker's `Stream.close` closes both directions, so this reaches the transport itself.
    """
    response = stream._resp
    if response is None or response.connection is None:
        return
    transport = response.connection.transport
    if transport is not None and not transport.is_closing() and transport.can_write_eof():
        transport.write_eof()


def is_open(stream: Stream) -> bool:
    """Whether the stream's connection to the engine still stands (a restart drops it)."""
    response = stream._resp
    connection = response.connection if response is not None else None
    transport = connection.transport if connection is not None else None
    return transport is not None and not transport.is_closing()
