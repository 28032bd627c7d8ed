"""The sandbox engine: starts runs in fresh containers, removes them, sweeps orphans."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import aiodocker
import aiohttp

from ._attach import attach
from .container_config import ENGINE_LABEL, OWNER_LABEL, SANDBOX_LABEL, container_config
from .errors import EngineUnavailable, InvalidRequest, engine_gone
from .events import ExitEvent, OutputEvent, RunStatus
from .framing import Mode, SourceFile, decode_files, encode_frame, new_nonce
from .languages import LanguageRegistry, LanguageSpec
from .limits import LimitPolicy, Limits, RequestedLimits
from .owner import Owner
from .pool import Warm, WarmPool
from .result import Result, collect
from .run import Run

log = logging.getLogger(__name__)

SOURCE_ROOT = Path(__file__).resolve().parent.parent
# How long a removal keeps trying while the engine does not answer (it may be restarting).
REMOVAL_PATIENCE_SECONDS = 30


def default_seccomp_profile() -> Path:
    """The profile every container loads (CODEX_SECCOMP_PROFILE overrides the shipped one)."""
    configured = os.environ.get("CODEX_SECCOMP_PROFILE")
    return Path(configured) if configured else SOURCE_ROOT / "seccomp" / "profile.json"


def docker_url() -> str:
    """Where the Docker engine is expected, for messages."""
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def unreachable(exc: BaseException) -> EngineUnavailable:
    return EngineUnavailable(
        f"Docker engine not reachable at {docker_url()}: is dockerd running? set DOCKER_HOST; "
        f"if it is restarting, try again in a few seconds ({exc.__class__.__name__}: {exc})"
    )


def lost_while_starting(spec: LanguageSpec, exc: BaseException) -> EngineUnavailable:
    return EngineUnavailable(
        f"The Docker engine dropped the {spec.id} sandbox as it started (is dockerd "
        f"restarting?): try again in a few seconds ({exc.__class__.__name__}: {exc})"
    )


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
    seccomp_profile: Path = field(default_factory=default_seccomp_profile)
    # Warm containers kept per language (0 or absent: every run starts its own).
    pool_sizes: Mapping[str, int] = field(default_factory=dict)
    pool_max_age_seconds: float = 300
    # Pooled containers start their language's runtime before the code arrives.
    warm_runtimes: bool = True
    # Containers at once, warm ones included, each counted from its create to its removal
    # (None: no cap). A create waits for room.
    max_containers: int | None = None


class Engine:
    """Runs programs in fresh, locked-down containers. Use as an async context manager."""

    def __init__(self, config: EngineConfig | None = None, docker: aiodocker.Docker | None = None):
        self.config = config or EngineConfig()
        self.languages = self.config.languages
        self.policy = self.config.policy
        self.owner = Owner.current()
        self.id = uuid.uuid4().hex  # one process may run several engines
        self._docker = docker
        self._seccomp = _compact_json(self.config.seccomp_profile)
        self._removals: set[asyncio.Task[None]] = set()
        self._live: set[str] = set()
        cap = self.config.max_containers
        self._room = asyncio.Semaphore(cap) if cap else None
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

    async def open(self) -> None:
        """Connect to the engine and sweep what dead processes of this host left behind."""
        if self._docker is None:
            self._docker = _connect()
        try:
            await self.docker.version()
        except (aiohttp.ClientError, OSError, aiodocker.DockerError) as exc:
            await self._disconnect()
            raise unreachable(exc) from exc
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
        for container_id in list(self._live):
            self._schedule_removal(container_id)
        if self._removals:
            await asyncio.gather(*self._removals, return_exceptions=True)
        if self._docker is not None:
            # A container whose create was cut short by the shutdown has no id here yet.
            with contextlib.suppress(aiodocker.DockerError, aiohttp.ClientError, OSError):
                stray = await self.docker.containers.list(
                    all=True, filters=json.dumps({"label": [f"{ENGINE_LABEL}={self.id}"]})
                )
                await asyncio.gather(*(self._remove(c.id) for c in stray))
        await self._disconnect()

    async def _disconnect(self) -> None:
        if self._docker is not None:
            await self._docker.close()
            # A connector passed in (see _connect) is not closed by the client itself.
            await self._docker.connector.close()
            self._docker = None

    async def settle(self) -> None:
        """Wait until every removal scheduled so far has finished."""
        while self._removals:
            await asyncio.gather(*self._removals, return_exceptions=True)

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

    async def start(
        self,
        language: str,
        code: str,
        args: Sequence[str] = (),
        limits: RequestedLimits | None = None,
        *,
        build: Build | None = None,
    ) -> Run:
        """Start `code` in a fresh container; the program is running when this returns.

        With a `build` of the same code, the compiled files are used and nothing is compiled.
        """
        spec = self.languages.get(language)
        args = _check_args(args)
        self.policy.check_payload(code, args)
        resolved = self.policy.resolve(spec, limits)
        file_name, compile_argv, run_argv = spec.commands(code, args, resolved.memory_mb)
        warm_request = spec.warm_request_for(code, args)
        if build is not None:
            if not build.ok or build.language != spec.id:
                raise InvalidRequest(f"Cannot run a {build.status} build of {build.language}")
            # Compiled already: the runtime would compile again.
            files, compile_argv, warm_request = build.files, (), ()
        else:
            files = (SourceFile(file_name, code.encode()),)
        return await self._launch(
            spec,
            resolved,
            mode="run",
            files=files,
            compile_argv=compile_argv,
            run_argv=run_argv,
            warm_request=warm_request,
        )

    async def build(self, language: str, code: str, limits: RequestedLimits | None = None) -> Build:
        """Compile `code` once, for any number of later runs (each in its own container)."""
        spec = self.languages.get(language)
        self.policy.check_payload(code, ())
        resolved = self.policy.resolve(spec, limits)
        file_name, compile_argv, _ = spec.commands(code, (), resolved.memory_mb)
        source = SourceFile(file_name, code.encode())
        if not spec.compiled:
            return Build(spec.id, RunStatus.OK, (source,), "", 0)
        run = await self._launch(
            spec, resolved, mode="compile", files=(source,), compile_argv=compile_argv, run_argv=()
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
        )
        try:
            await warm.stream.write_in(frame)
        except BaseException as exc:
            self._discard(warm)
            if engine_gone(exc):
                raise lost_while_starting(spec, exc) from exc
            if isinstance(exc, aiodocker.DockerError):
                raise EngineUnavailable(f"Could not start the {spec.id} sandbox: {exc}") from exc
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
            on_close=self._schedule_removal,
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
        container_id = await self._create(spec, config, run_id)
        stream = attach(self.docker, container_id)
        try:
            await stream.__aenter__()
            await self.docker.containers.container(container_id).start()
        except BaseException as exc:
            self._schedule_removal(container_id)
            with contextlib.suppress(Exception):
                await stream.close()
            if engine_gone(exc):
                raise lost_while_starting(spec, exc) from exc
            if isinstance(exc, aiodocker.DockerError):
                raise EngineUnavailable(f"Could not start the {spec.id} sandbox: {exc}") from exc
            raise
        born = asyncio.get_running_loop().time()
        return Warm(run_id, container_id, stream, limits, born, runtime=bool(command))

    def _discard(self, warm: Warm) -> None:
        """Remove a container that never ran anything (in the background)."""
        self._schedule_removal(warm.container_id)
        task = asyncio.create_task(warm.stream.close())
        self._removals.add(task)
        task.add_done_callback(self._removals.discard)

    async def execute(
        self,
        language: str,
        code: str,
        stdin: bytes = b"",
        args: Sequence[str] = (),
        limits: RequestedLimits | None = None,
        *,
        build: Build | None = None,
    ) -> Result:
        """Run a program to the end with the given stdin (then EOF) and gather what it did."""
        self.policy.check_stdin(stdin)
        run = await self.start(language, code, args, limits, build=build)
        feeder = asyncio.create_task(_feed(run, stdin))
        try:
            return await collect(run)
        finally:
            feeder.cancel()
            await asyncio.gather(feeder, return_exceptions=True)
            await run.close()

    async def _create(self, spec: LanguageSpec, config: dict[str, Any], run_id: str) -> str:
        if self._room is not None:
            await self._room.acquire()  # held until the container is removed
        try:
            container = await self.docker.containers.create(config, name=f"codex-run-{run_id}")
        except BaseException as exc:
            if self._room is not None:
                self._room.release()
            if engine_gone(exc):
                raise unreachable(exc) from exc
            if isinstance(exc, aiodocker.DockerError):
                if exc.status == 404:
                    raise EngineUnavailable(
                        f"The {spec.id} sandbox image {self.image_for(spec)} is missing: "
                        f"build it with `codex-ws images build {spec.id}`"
                    ) from exc
                raise EngineUnavailable(
                    f"Docker refused to create the {spec.id} sandbox: {exc}"
                ) from exc
            raise
        self._live.add(container.id)
        return str(container.id)

    # -- cleanup -------------------------------------------------------------------------

    def _schedule_removal(self, container_id: str) -> None:
        task = asyncio.create_task(self._remove(container_id))
        self._removals.add(task)
        task.add_done_callback(self._removals.discard)

    async def _remove(self, container_id: str) -> None:
        """Force-remove a container; through an engine restart, keep trying for a while."""
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + REMOVAL_PATIENCE_SECONDS
        try:
            for attempt in itertools.count(1):
                try:
                    await self.docker.containers.container(container_id).delete(force=True, v=True)
                except (aiodocker.DockerError, aiohttp.ClientError, OSError) as exc:
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
        containers = await self.docker.containers.list(
            all=True, filters=json.dumps({"label": [f"{SANDBOX_LABEL}=1"]})
        )
        doomed = []
        for container in containers:
            labels = container._container.get("Labels") or {}
            owner = Owner.parse(labels.get(OWNER_LABEL, ""))
            if every_owner or (owner is not None and owner.is_gone()):
                doomed.append(container.id)
        await asyncio.gather(*(self._remove(c) for c in doomed))
        return len(doomed)

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


def _connect() -> aiodocker.Docker:
    """A Docker client without a cap on connections.

    Every live run holds one connection (its attach stream) and needs others to start, wait
    and kill; aiohttp's default cap of 100 would deadlock a busy engine.
    """
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    if host.startswith("unix://"):
        docker = aiodocker.Docker(connector=aiohttp.UnixConnector(host[7:], limit=0))
        docker.docker_host = "unix://localhost"  # as aiodocker composes URLs for a socket
        return docker
    if host.startswith("tcp://") and os.environ.get("DOCKER_TLS_VERIFY", "0") != "1":
        return aiodocker.Docker(
            url=host.replace("tcp://", "http://", 1), connector=aiohttp.TCPConnector(limit=0)
        )
    return aiodocker.Docker()


async def _feed(run: Run, stdin: bytes) -> None:
    await run.write_stdin(stdin)
    await run.close_stdin()


def _check_args(args: Sequence[str]) -> tuple[str, ...]:
    if isinstance(args, str) or not all(isinstance(a, str) for a in args):
        raise InvalidRequest("args must be a list of strings")
    return tuple(args)


def _compact_json(path: Path) -> str:
    try:
        return json.dumps(json.loads(path.read_text()), separators=(",", ":"))
    except FileNotFoundError as exc:
        raise EngineUnavailable(
            f"The seccomp profile {path} is missing: the sandbox will not run without it"
        ) from exc
