"""The client the engine talks to Docker with."""

from __future__ import annotations

import aiodocker
import aiohttp

UNIX_PREFIX = "unix://"


def connect(host: str, *, tls_verify: bool = False) -> aiodocker.Docker:
    """A Docker client for the engine at `host`, without a cap on connections.

    Every live run holds one connection (its attach stream) and needs others to start, wait
    and kill; aiohttp's default cap of 100 would deadlock a busy engine. A `tcp://` host is
    spoken as plain HTTP unless `tls_verify`, which leaves the client to aiodocker (and its
    TLS set-up, from the Docker client's own settings).
    """
    if host.startswith(UNIX_PREFIX):
        connector = aiohttp.UnixConnector(host.removeprefix(UNIX_PREFIX), limit=0)
        docker = aiodocker.Docker(url=host, connector=connector)
        docker.docker_host = "unix://localhost"  # as aiodocker composes URLs for a socket
        return docker
    if host.startswith("tcp://") and not tls_verify:
        return aiodocker.Docker(
            url=host.replace("tcp://", "http://", 1), connector=aiohttp.TCPConnector(limit=0)
        )
    return aiodocker.Docker(url=host)


async def disconnect(docker: aiodocker.Docker) -> None:
    await docker.close()
    # A connector passed in (see connect) is not closed by the client itself.
    await docker.connector.close()
