"""The sandbox engine: starts checked runs in fresh containers (or warm ones from its pools)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import aiodocker

from .checked_run import CheckedRun
from .container_config import container_config
from .containers import Containers
from .docker_client import connect, disconnect
from .docker_stream import attach
from .errors import (
    DOCKER_ERRORS,
    EngineUnavailable,
    InvalidRequest,
    sandbox_unavailable,
    unreachable,
)
from .events import ExitEvent, OutputEvent, RunStatus
from .framing import Mode, SourceFile, decode_files, encode_frame, new_nonce
from .languages import LanguageRegistry, LanguageSpec
from .limits import LimitPolicy, Limits
from .owner import Owner
from .pool import Warm, WarmPool
from .result import Result, collect
from .run import Run

log = logging.getLogger(__name__)

SOURCE_ROOT = Path(__file__).resolve().parent.parent
# The seccomp profile every container loads, as shipped.
SECCOMP_PROFILE = SOURCE_ROOT / "seccomp" / "profile.json"
DOCKER_HOST = "unix:///var/run/docker.sock"


@dataclass(frozen=True, slots=True)
class Build:
    """A program ready to run: its files, compiled where the language compiles."""

    language: str
    status: RunStatus
    files: tuple[SourceFile, ...]
    compile_output: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.OK


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """How the engine runs containers."""

    policy: LimitPolicy = field(default_factory=LimitPolicy)
    languages: LanguageRegistry = field(default_factory=LanguageRegistry)
    image_tag: str = "latest"
    seccomp_profile: Path = SECCOMP_PROFILE
    # Where the Docker engine listens; a `tcp://` one is spoken as plain HTTP unless
    # `docker_tls_verify` (then aiodocker sets TLS up as the Docker client does).
    docker_host: str = DOCKER_HOST
    docker_tls_verify: bool = False
    # Warm containers kept per language (0 or absent: every run starts its own).
    pool_sizes: Mapping[str, int] = field(default_factory=dict)
    pool_max_age_seconds: float = 300
    # Pooled containers start their language's runtime before the code arrives.
    warm_runtimes: bool = True
    # Containers at once, warm ones included, each counted from its create to its removal
    # (None: no cap). A create waits for room.
    max_containers: int | None = None


class Engine:
    """Runs checked programs in fresh, locked-down containers. Use as an async context manager.

    `languages` and `policy` are what runs are checked against (see `check_run`).
    """

    def __init__(self, config: EngineConfig | None = None, docker: aiodocker.Docker | None = None):
        self.config = config or EngineConfig()
        self.languages = self.config.languages
        self.policy = self.config.policy
        self.owner = Owner.current()
        self.id = uuid.uuid4().hex  # one process may run several engines
        self._docker = docker
        self._seccomp = _compact_json(self.config.seccomp_profile)
        self._containers: Containers | None = None
        self._versions: dict[str, str] = {}
        self.pool: WarmPool | None = None

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def docker(self) -> aiodocker.Docker:
        if self._docker is None:
            raise RuntimeError("Engine.open() has not been called")
        return self._docker

    @property
    def containers(self) -> Containers:
        if self._containers is None:
            raise RuntimeError("Engine.open() has not been called")
        return self._containers

    async def open(self) -> None:
        """Connect to the engine and sweep what dead processes of this host left behind."""
        if self._docker is None:
            self._docker = connect(
                self.config.docker_host, tls_verify=self.config.docker_tls_verify
            )
        try:
            await self.docker.version()
        except DOCKER_ERRORS as exc:
            await self._disconnect()
            raise unreachable(self.config.docker_host, exc) from exc
        self._containers = Containers(
            self.docker,
            engine_id=self.id,
            docker_host=self.config.docker_host,
            max_containers=self.config.max_containers,
        )
        await self._read_versions()
        removed = await self.sweep()
        if removed:
            log.info("removed %d sandbox container(s) left behind by a previous process", removed)
        sizes = {self.languages.get(k).id: v for k, v in self.config.pool_sizes.items() if v > 0}
        if sizes:
            self.pool = WarmPool(
                specs={spec.id: spec for spec in self.languages},
                sizes=sizes,
                limits=self.policy.resolve,
                prepare=functools.partial(self._prepare, warm_runtime=self.config.warm_runtimes),
                discard=self._discard,
                max_age_seconds=self.config.pool_max_age_seconds,
            )
            self.pool.start()

    async def close(self) -> None:
        """Remove every container this engine still owns, then disconnect."""
        if self.pool is not None:
            await self.pool.close()
            self.pool = None
        if self._containers is not None:
            await self._containers.close()
        await self._disconnect()

    async def _disconnect(self) -> None:
        if self._docker is not None:
            await disconnect(self._docker)
            self._docker = None

    async def settle(self) -> None:
        """Wait until every removal scheduled so far has finished."""
        if self._containers is not None:
            await self._containers.settle()

    async def sweep(self, *, every_owner: bool = False) -> int:
        """Remove sandbox containers whose owning process on this host is gone.

        With `every_owner`, remove every sandbox container on the engine (an operator's reset).
        """
        return await self.containers.sweep(every_owner=every_owner)

    def image_for(self, spec: LanguageSpec) -> str:
        return f"{spec.image}:{self.config.image_tag}"

    def version_of(self, spec: LanguageSpec) -> str:
        """The runtime version the image reports, or the registry's when it is not built."""
        return self._versions.get(spec.id, spec.version)

    async def _read_versions(self) -> None:
        for spec in self.languages:
            try:
                info = await self.docker.images.inspect(self.image_for(spec))
            except aiodocker.DockerError:
                continue
            labels = (info.get("Config") or {}).get("Labels") or {}
            if version := labels.get("codex.version"):
                self._versions[spec.id] = str(version)

    # -- runs ----------------------------------------------------------------------------

    async def start(self, checked: CheckedRun, *, build: Build | None = None) -> Run:
        """Start a checked program in a fresh container; it is running when this returns.

        With a `build` of the same code, the compiled files are used and nothing is compiled.
        """
        files, compile_argv, warm_request = (
            checked.files,
            checked.compile_argv,
            checked.warm_request,
        )
        if build is not None:
            if not build.ok or build.language != checked.spec.id:
                raise InvalidRequest(f"Cannot run a {build.status} build of {build.language}")
            # Compiled already: the runtime would compile again.
            files, compile_argv, warm_request = build.files, (), ()
        return await self._launch(
            checked.spec,
            checked.limits,
            mode="run",
            files=files,
            compile_argv=compile_argv,
            run_argv=checked.run_argv,
            warm_request=warm_request,
        )

    async def execute(self, checked: CheckedRun, *, build: Build | None = None) -> Result:
        """Run a checked program to the end with its stdin (then EOF); gather what it did."""
        run = await self.start(checked, build=build)
        feeder = asyncio.create_task(_feed(run, checked.stdin))
        try:
            return await collect(run)
        finally:
            feeder.cancel()
            await asyncio.gather(feeder, return_exceptions=True)
            await run.close()

    async def build(self, checked: CheckedRun) -> Build:
        """Compile a checked program once, for any number of later runs (each in its own
        container, with `start` or `execute`)."""
        spec = checked.spec
        if not spec.compiled:
            return Build(spec.id, RunStatus.OK, checked.files, "", 0)
        run = await self._launch(
            spec,
            checked.limits,
            mode="compile",
            files=checked.files,
            compile_argv=checked.compile_argv,
            run_argv=(),
        )
        exit_event: ExitEvent | None = None
        try:
            output: list[str] = []
            async for event in run.events():
                if isinstance(event, OutputEvent):
                    output.append(event.data)
                elif isinstance(event, ExitEvent):
                    exit_event = event
        finally:
            await run.close()
        assert exit_event is not None
        compile_output = "".join(output) or exit_event.message
        if exit_event.status is not RunStatus.OK:
            return Build(spec.id, exit_event.status, (), compile_output, exit_event.duration_ms)
        try:
            files = decode_files(run.artifacts)
        except ValueError as exc:
            log.warning("run %s: unreadable compiler artifacts: %s", run.id, exc)
            return Build(
                spec.id,
                RunStatus.INTERNAL_ERROR,
                (),
                f"The compiler's output was unreadable: {exc}",
                0,
            )
        return Build(spec.id, RunStatus.OK, files, compile_output, exit_event.duration_ms)

    async def _launch(
        self,
        spec: LanguageSpec,
        limits: Limits,
        *,
        mode: Mode,
        files: Sequence[SourceFile],
        compile_argv: Sequence[str],
        run_argv: Sequence[str],
        warm_request: Sequence[str] = (),
    ) -> Run:
        """A pooled container, or one prepared now, handed its frame."""
        warm = self.pool.take(spec, limits) if self.pool is not None else None
        if warm is None:
            warm = await self._prepare(spec, limits)
        nonce = new_nonce()
        frame = encode_frame(
            nonce,
            mode,
            files,
            compile_argv,
            run_argv,
            warm_request=warm_request if warm.runtime else (),
            cpu_ms=limits.timeout_ms if limits.live and mode == "run" else 0,
        )
        try:
            await warm.stream.write_in(frame)
        except BaseException as exc:
            self._discard(warm)
            if isinstance(exc, DOCKER_ERRORS):
                raise self._not_started(spec, exc) from exc
            raise
        return Run(
            docker=self.docker,
            container_id=warm.container_id,
            stream=warm.stream,
            spec=spec,
            limits=limits,
            run_id=warm.run_id,
            nonce=nonce,
            version=self.version_of(spec),
            on_close=self.containers.schedule_removal,
            mode=mode,
            compiles=bool(compile_argv),
        )

    async def _prepare(
        self, spec: LanguageSpec, limits: Limits, *, warm_runtime: bool = False
    ) -> Warm:
        """A started container, attached, its runner waiting for a frame.

        With `warm_runtime`, the runner also starts the language's runtime at once.
        """
        run_id = str(uuid.uuid4())
        command = spec.warm_command(limits.memory_mb) if warm_runtime else ()
        config = container_config(
            spec=spec,
            image=self.image_for(spec),
            limits=limits,
            run_id=run_id,
            owner=str(self.owner),
            seccomp_profile=self._seccomp,
            engine_id=self.id,
            command=command,
        )
        container_id = await self.containers.create(spec, config, run_id)
        stream = attach(self.docker, container_id)
        try:
            await stream.__aenter__()
            await self.docker.containers.container(container_id).start()
        except BaseException as exc:
            self.containers.schedule_removal(container_id)
            with contextlib.suppress(Exception):
                await stream.close()
            if isinstance(exc, DOCKER_ERRORS):
                raise self._not_started(spec, exc) from exc
            raise
        born = asyncio.get_running_loop().time()
        return Warm(run_id, container_id, stream, limits, born, runtime=bool(command))

    def _discard(self, warm: Warm) -> None:
        """Remove a container that never ran anything (in the background)."""
        self.containers.discard(warm.container_id, warm.stream)

    def _not_started(self, spec: LanguageSpec, exc: BaseException) -> EngineUnavailable:
        return sandbox_unavailable(
            exc,
            step="start",
            language=spec.id,
            image=self.image_for(spec),
            docker_host=self.config.docker_host,
        )

    # -- health --------------------------------------------------------------------------

    async def missing_images(self) -> list[str]:
        """Language ids whose image is not on the engine."""
        missing = []
        for spec in self.languages:
            try:
                await self.docker.images.inspect(self.image_for(spec))
            except aiodocker.DockerError:
                missing.append(spec.id)
        return missing


async def _feed(run: Run, stdin: bytes) -> None:
    await run.write_stdin(stdin)
    await run.close_stdin()


def _compact_json(path: Path) -> str:
    try:
        return json.dumps(json.loads(path.read_text()), separators=(",", ":"))
    except FileNotFoundError as exc:
        raise EngineUnavailable(
            f"The seccomp profile {path} is missing: the sandbox will not run without it"
        ) from exc
