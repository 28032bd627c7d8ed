"""The attach stream of a container: stdout and stderr out, stdin in, half-close for EOF.

aiodocker has no public way to half-close a stream or to tell whether its connection still
stands, so this module reaches into `Stream` for its connection's transport. It is the only
place in the sandbox that does; tests/sandbox/test_docker_stream.py pins what it relies on
against the real engine, so an aiodocker release that changes it fails there.
"""

from __future__ import annotations

import asyncio

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


def transport_of(stream: Stream) -> asyncio.Transport | None:
    """The transport under an entered stream's connection (None before, or once it is gone)."""
    response = stream._resp
    connection = response.connection if response is not None else None
    return connection.transport if connection is not None else None


def close_stdin(stream: Stream) -> None:
    """Half-close the stream: the container's stdin gets EOF while its output keeps flowing.

    aiodocker's `Stream.close` closes both directions, so this reaches the transport itself.
    """
    transport = transport_of(stream)
    if transport is not None and not transport.is_closing() and transport.can_write_eof():
        transport.write_eof()


def is_open(stream: Stream) -> bool:
    """Whether the stream's connection to the engine still stands (a restart drops it)."""
    transport = transport_of(stream)
    return transport is not None and not transport.is_closing()
