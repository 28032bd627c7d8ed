"""What sandbox/docker_stream.py relies on in aiodocker's attach stream, against the real engine.

It reaches into `Stream` for the connection's transport (aiodocker has no public half-close),
so an aiodocker release that changes those internals must fail here rather than in a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator

import aiodocker
import pytest
from aiodocker.stream import Stream

from sandbox import LanguageRegistry, LimitPolicy
from sandbox.container_config import container_config
from sandbox.docker_client import connect, disconnect
from sandbox.docker_stream import attach, close_stdin, is_open, transport_of
from sandbox.engine import DOCKER_HOST, SECCOMP_PROFILE
from sandbox.owner import Owner

pytestmark = pytest.mark.docker

PYTHON = LanguageRegistry().get("python")


@pytest.fixture
async def docker() -> AsyncIterator[aiodocker.Docker]:
    client = connect(DOCKER_HOST)
    yield client
    await disconnect(client)


@contextlib.asynccontextmanager
async def attached(docker: aiodocker.Docker, script: str) -> AsyncIterator[tuple[str, Stream]]:
    """A sandbox container that runs `script` in place of its runner, and a stream attached to
    it (not entered yet); the container is not started."""
    config = container_config(
        spec=PYTHON,
        image=f"{PYTHON.image}:latest",
        limits=LimitPolicy().resolve(PYTHON),
        run_id=str(uuid.uuid4()),
        owner=str(Owner.current()),
        seccomp_profile=json.dumps(json.loads(SECCOMP_PROFILE.read_text())),
    )
    container = await docker.containers.create({**config, "Entrypoint": ["sh", "-c", script]})
    stream = attach(docker, container.id)
    try:
        yield container.id, stream
    finally:
        await stream.close()
        with contextlib.suppress(aiodocker.DockerError):  # 404: removed already
            await container.delete(force=True)


async def test_a_half_close_gives_the_container_eof_while_its_output_flows(
    docker: aiodocker.Docker,
) -> None:
    async with attached(docker, "cat; echo after eof") as (container_id, stream):
        assert transport_of(stream) is None  # not entered yet
        await stream.__aenter__()
        assert transport_of(stream) is not None
        assert is_open(stream)
        await docker.containers.container(container_id).start()
        await stream.write_in(b"before eof\n")
        close_stdin(stream)
        output = b""
        async with asyncio.timeout(30):
            while (message := await stream.read_out()) is not None:
                output += message.data
        # cat saw EOF and ended; what the container wrote after that still arrived.
        assert output == b"before eof\nafter eof\n"


async def test_a_stream_is_no_longer_open_once_its_container_is_gone(
    docker: aiodocker.Docker,
) -> None:
    async with attached(docker, "exec sleep 60") as (container_id, stream):
        await stream.__aenter__()
        await docker.containers.container(container_id).start()
        await asyncio.sleep(0.2)
        assert is_open(stream)
        # Nobody reads the stream, as nobody reads a warm container's while it waits.
        await docker.containers.container(container_id).delete(force=True)
        async with asyncio.timeout(10):
            while is_open(stream):
                await asyncio.sleep(0.05)
