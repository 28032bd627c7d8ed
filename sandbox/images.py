"""Building the sandbox images: a shared base, then one image per language.

An image is tagged with a hash of its inputs (its folder, and for a language the base it builds
on), so it is rebuilt exactly when something it is made of changed. The `latest` tag, which the
engine runs, is moved to the current build.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import tarfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiodocker

from .engine import SOURCE_ROOT
from .errors import EngineUnavailable
from .languages import LanguageRegistry

IMAGES_DIR = SOURCE_ROOT / "images"
BASE_SCRIPT = SOURCE_ROOT / "scripts" / "base-image.sh"
SANDBOX_BASE = "codex-ws/sandbox-base"
# The Debian image under the sandbox base (bootstrapped by BASE_SCRIPT when no registry answers).
BASE_IMAGE = "codex-ws/debian:bookworm"
INPUTS_LABEL = "codex.inputs"
VERSION_LABEL = "codex.version"
_VERSION = re.compile(r"\d+(?:\.\d+)+")

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ImageStatus:
    """Whether a language's image is built from the current inputs."""

    language: str
    image: str
    inputs: str
    present: bool
    current: bool
    size_mb: int | None


def folder_hash(folder: Path, seed: str = "") -> str:
    """A hash of every file under `folder` (names, modes and contents), plus `seed`."""
    digest = hashlib.sha256(seed.encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(b"%o\0" % (path.stat().st_mode & 0o777))
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _context_tar(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(folder)), recursive=False)
    return buffer.getvalue()


class ImageBuilder:
    """Builds and lists the sandbox images through the Docker API.

    `base_image` is the Debian image the sandbox base builds on.
    """

    def __init__(
        self,
        docker: aiodocker.Docker,
        *,
        languages: LanguageRegistry | None = None,
        images_dir: Path = IMAGES_DIR,
        tag: str = "latest",
        base_image: str = BASE_IMAGE,
        progress: Progress = print,
    ) -> None:
        self.docker = docker
        self.languages = languages or LanguageRegistry()
        self.images_dir = images_dir
        self.tag = tag
        self.base_image = base_image
        self.progress = progress

    async def build(self, language_ids: Sequence[str] = ()) -> None:
        """Build the base and the given languages' images (all when none are named)."""
        specs = [self.languages.get(name) for name in language_ids] or list(self.languages)
        base = await self._build_base()
        for spec in specs:
            folder = self.images_dir / spec.id
            inputs = folder_hash(folder, seed=base)
            await self._build_one(
                folder,
                spec.image,
                inputs,
                buildargs={"BASE_IMAGE": f"{SANDBOX_BASE}:{base}"},
                version_command=spec.version_command,
            )

    async def status(self) -> list[ImageStatus]:
        """Each language image: present? built from the current inputs?"""
        base = folder_hash(self.images_dir / "base", seed=await self._distro_id())
        statuses = []
        for spec in self.languages:
            inputs = folder_hash(self.images_dir / spec.id, seed=base)
            image = f"{spec.image}:{self.tag}"
            info = await self._inspect(image)
            labels = ((info or {}).get("Config") or {}).get("Labels") or {}
            statuses.append(
                ImageStatus(
                    language=spec.id,
                    image=image,
                    inputs=inputs,
                    present=info is not None,
                    current=labels.get(INPUTS_LABEL) == inputs,
                    size_mb=round(info["Size"] / 2**20) if info else None,
                )
            )
        return statuses

    async def _build_base(self) -> str:
        inputs = folder_hash(self.images_dir / "base", seed=await self._distro_id())
        await self._build_one(
            self.images_dir / "base",
            SANDBOX_BASE,
            inputs,
            buildargs={"BASE_IMAGE": self.base_image},
        )
        return inputs

    async def _distro_id(self) -> str:
        info = await self._inspect(self.base_image)
        if info is None:
            await self._bootstrap_distro()
            info = await self._inspect(self.base_image)
            if info is None:
                raise EngineUnavailable(f"{BASE_SCRIPT} did not produce {self.base_image}")
        return str(info["Id"])

    async def _bootstrap_distro(self) -> None:
        self.progress(f"base image {self.base_image} is missing: running {BASE_SCRIPT.name}")
        # The script makes the image its CODEX_BASE_IMAGE names.
        process = await asyncio.create_subprocess_exec(
            "env", f"CODEX_BASE_IMAGE={self.base_image}", "bash", str(BASE_SCRIPT)
        )
        if await process.wait() != 0:
            raise EngineUnavailable(
                f"Could not provide the base image {self.base_image}: {BASE_SCRIPT} failed "
                f"(exit {process.returncode}); see its output above"
            )

    async def _build_one(
        self,
        folder: Path,
        repository: str,
        inputs: str,
        buildargs: dict[str, str],
        version_command: tuple[str, ...] = (),
    ) -> None:
        hashed = f"{repository}:{inputs}"
        if await self._inspect(hashed) is None:
            self.progress(f"building {hashed} from {folder.relative_to(SOURCE_ROOT)}/")
            context = await asyncio.to_thread(_context_tar, folder)
            async for line in self._stream_build(context, hashed, inputs, buildargs):
                self.progress(f"  {line}")
            if version_command:
                await self._label_version(hashed, inputs, version_command)
        else:
            self.progress(f"{hashed} is up to date")
        await self.docker.images.tag(hashed, repository, tag=self.tag)

    async def _label_version(self, image: str, inputs: str, command: tuple[str, ...]) -> None:
        """Ask the runtime in `image` for its version and keep the answer as a label."""
        container = await self.docker.containers.create(
            {"Image": image, "Entrypoint": list(command), "NetworkDisabled": True}
        )
        try:
            await container.start()
            await container.wait()
            output = "".join(await container.log(stdout=True, stderr=True))
        finally:
            await container.delete(force=True)
        match = _VERSION.search(output)
        if match is None:
            self.progress(f"  could not tell the version from {' '.join(command)}: {output!r}")
            return
        self.progress(f"  version {match.group(0)}")
        dockerfile = f"FROM {image}\nLABEL {VERSION_LABEL}={match.group(0)}\n".encode()
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            entry = tarfile.TarInfo("Dockerfile")
            entry.size = len(dockerfile)
            tar.addfile(entry, io.BytesIO(dockerfile))
        async for _ in self._stream_build(buffer.getvalue(), image, inputs, {}):
            pass

    async def _stream_build(
        self, context: bytes, tag: str, inputs: str, buildargs: dict[str, str]
    ) -> AsyncIterator[str]:
        build: AsyncIterator[dict[str, Any]] = self.docker.images.build(
            fileobj=io.BytesIO(context),
            tag=tag,
            buildargs=buildargs,
            labels={INPUTS_LABEL: inputs},
            rm=True,
            forcerm=True,
            stream=True,
            encoding="identity",
        )
        async for chunk in build:
            if "error" in chunk:
                raise EngineUnavailable(f"Building {tag} failed: {chunk['error'].strip()}")
            text = str(chunk.get("stream", "")).rstrip()
            if text:
                yield text

    async def _inspect(self, image: str) -> dict[str, Any] | None:
        try:
            info: dict[str, Any] = await self.docker.images.inspect(image)
        except aiodocker.DockerError as exc:
            if exc.status == 404:
                return None
            raise
        return info
