"""The engine's containers from create to removal: the room they take, their removal (through
an engine restart), and the sweep of what dead processes left behind."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Coroutine
from typing import Any

import aiodocker
from aiodocker.stream import Stream

from .container_config import ENGINE_LABEL, OWNER_LABEL, SANDBOX_LABEL
from .errors import DOCKER_ERRORS, engine_gone, sandbox_unavailable
from .languages import LanguageSpec
from .owner import Owner

log = logging.getLogger(__name__)

# How long a removal keeps trying while the engine does not answer (it may be restarting).
REMOVAL_PATIENCE_SECONDS = 30


class Containers:
    """Creates an engine's containers under its room limit and removes them.

    With `max_containers`, at most that many exist at once, each counted from its create to
    its removal; a create waits for room.
    """

    def __init__(
        self,
        docker: aiodocker.Docker,
        *,
        engine_id: str,
        docker_host: str,
        max_containers: int | None = None,
    ) -> None:
        self._docker = docker
        self._engine_id = engine_id
        self._docker_host = docker_host
        self._room = asyncio.Semaphore(max_containers) if max_containers else None
        self._live: set[str] = set()
        self._removals: set[asyncio.Task[None]] = set()

    async def create(self, spec: LanguageSpec, config: dict[str, Any], run_id: str) -> str:
        """Create a container of `spec` from `config` (see container_config); its id.

        EngineUnavailable when the engine does not answer, the image is missing, or Docker
        refuses.
        """
        if self._room is not None:
            await self._room.acquire()  # held until the container is removed
        try:
            container = await self._docker.containers.create(config, name=f"codex-run-{run_id}")
        except BaseException as exc:
            if self._room is not None:
                self._room.release()
            if isinstance(exc, DOCKER_ERRORS):
                raise sandbox_unavailable(
                    exc,
                    step="create",
                    language=spec.id,
                    image=str(config["Image"]),
                    docker_host=self._docker_host,
                ) from exc
            raise
        self._live.add(container.id)
        return str(container.id)

    def schedule_removal(self, container_id: str) -> None:
        """Remove a container in the background (see `settle`)."""
        self._track(self.remove(container_id))

    def discard(self, container_id: str, stream: Stream) -> None:
        """Remove a container that never ran anything, and close its stream, in the background."""
        self.schedule_removal(container_id)
        self._track(stream.close())

    async def settle(self) -> None:
        """Wait until every removal scheduled so far has finished."""
        while self._removals:
            await asyncio.gather(*self._removals, return_exceptions=True)

    async def remove(self, container_id: str) -> None:
        """Force-remove a container; through an engine restart, keep trying for a while."""
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + REMOVAL_PATIENCE_SECONDS
        try:
            for attempt in itertools.count(1):
                try:
                    await self._docker.containers.container(container_id).delete(force=True, v=True)
                except DOCKER_ERRORS as exc:
                    if engine_gone(exc):
                        if loop.time() >= give_up_at:
                            log.warning("could not remove container %s: %s", container_id[:12], exc)
                            return
                    elif isinstance(exc, aiodocker.DockerError) and exc.status == 404:
                        return
                    elif attempt >= 5:
                        log.warning("could not remove container %s: %s", container_id[:12], exc)
                        return
                else:
                    return
                # Again: the engine may be back, or a removal in progress (409) over.
                await asyncio.sleep(min(0.2 * attempt, 2))
        finally:
            if container_id in self._live:
                self._live.discard(container_id)
                if self._room is not None:
                    self._room.release()

    async def sweep(self, *, every_owner: bool = False) -> int:
        """Remove sandbox containers whose owning process on this host is gone.

        With `every_owner`, remove every sandbox container on the engine (an operator's reset).
        """
        containers = await self._docker.containers.list(
            all=True, filters=json.dumps({"label": [f"{SANDBOX_LABEL}=1"]})
        )
        doomed = []
        for container in containers:
            labels = container["Labels"] or {}
            owner = Owner.parse(labels.get(OWNER_LABEL, ""))
            if every_owner or (owner is not None and owner.is_gone()):
                doomed.append(container.id)
        await asyncio.gather(*(self.remove(c) for c in doomed))
        return len(doomed)

    async def close(self) -> None:
        """Remove every container of this engine, those whose create was cut short included."""
        for container_id in list(self._live):
            self.schedule_removal(container_id)
        if self._removals:
            await asyncio.gather(*self._removals, return_exceptions=True)
        # A container whose create was cut short by the shutdown has no id here yet.
        with contextlib.suppress(*DOCKER_ERRORS):
            stray = await self._docker.containers.list(
                all=True, filters=json.dumps({"label": [f"{ENGINE_LABEL}={self._engine_id}"]})
            )
            await asyncio.gather(*(self.remove(c.id) for c in stray))

    def _track(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._removals.add(task)
        task.add_done_callback(self._removals.discard)
