"""The language registry: what each language is, as data.

A new language is a Dockerfile under images/ and one entry here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .errors import UnknownLanguage


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """One language: its image, how its source is named, compiled and run, its default limits."""

    id: str
    name: str
    version: str  # as packaged; the built image's `codex.version` label is more precise
    aliases: tuple[str, ...]
    file_name: str
    run: tuple[str, ...]
    compile: tuple[str, ...] = ()
    # Prints the runtime's version; run once when the image is built, kept as a label.
    version_command: tuple[str, ...] = ()
    timeout_ms: int = 10_000
    memory_mb: int = 128
    # Some languages name the source after what it declares (Java's public class).
    file_name_for: Callable[[str], str] | None = field(default=None, repr=False, compare=False)
    # The warm runtime: started in a pooled container before the code arrives (empty: none),
    # and the request it then gets, before the user's arguments. See images/README.md.
    warm: tuple[str, ...] = ()
    warm_request: tuple[str, ...] = ()

    @property
    def compiled(self) -> bool:
        return bool(self.compile)

    @property
    def image(self) -> str:
        return f"codex-ws/sandbox-{self.id}"

    def source_name(self, code: str) -> str:
        """The file name the code is written to inside the container."""
        return self.file_name_for(code) if self.file_name_for else self.file_name

    def commands(
        self, code: str, args: Iterable[str], memory_mb: int | None = None
    ) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        """(file name, compile argv, run argv) with placeholders filled in."""
        source = self.source_name(code)
        fill = self._filler(source, memory_mb)
        return source, fill(self.compile), (*fill(self.run), *args)

    def warm_command(self, memory_mb: int | None = None) -> tuple[str, ...]:
        """The warm runtime's argv for a container with this memory limit (empty: none)."""
        return self._filler(self.file_name, memory_mb)(self.warm)

    def warm_request_for(self, code: str, args: Iterable[str]) -> tuple[str, ...]:
        """What the warm runtime is asked to run (empty: the language has none)."""
        if not self.warm:
            return ()
        return (*self._filler(self.source_name(code), None)(self.warm_request), *args)

    def _filler(
        self, source: str, memory_mb: int | None
    ) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
        values = {
            "{file}": source,
            "{stem}": source.rsplit(".", 1)[0],
            "{heap_mb}": str((memory_mb or self.memory_mb) * 3 // 4),
        }

        def fill_one(arg: str) -> str:
            for placeholder, value in values.items():
                arg = arg.replace(placeholder, value)
            return arg

        def fill(argv: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(fill_one(arg) for arg in argv)

        return fill


_JAVA_PUBLIC_CLASS = re.compile(
    r"^\s*public\s+(?:(?:final|abstract|strictfp)\s+)*class\s+([A-Za-z_$][\w$]*)", re.MULTILINE
)


def _java_file_name(code: str) -> str:
    match = _JAVA_PUBLIC_CLASS.search(code)
    return f"{match.group(1)}.java" if match else "Main.java"


# Fast start for short programs: one GC thread, C1 only, class data sharing, no perf file in /tmp.
_JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:-UsePerfData")

LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        id="python",
        name="Python",
        version="3.11",
        aliases=("py", "python3"),
        file_name="main.py",
        run=("python3", "-u", "/tmp/{file}"),
        version_command=("python3", "--version"),
        # The fresh command itself, paused in start-up until the request comes.
        warm=("python3", "-u", "/tmp/{file}"),
        warm_request=("/tmp/{file}",),
    ),
    LanguageSpec(
        id="javascript",
        name="JavaScript (Node.js)",
        version="18",
        aliases=("js", "node", "nodejs"),
        file_name="main.js",
        # A heap limit under the container's, so running out is a readable JavaScript error.
        run=("node", "--max-old-space-size={heap_mb}", "/tmp/{file}"),
        version_command=("node", "--version"),
        warm=("node", "--max-old-space-size={heap_mb}", "-r", "/opt/codex/warm.js", "/tmp/{file}"),
        warm_request=("/tmp/{file}",),
    ),
    LanguageSpec(
        id="java",
        name="Java",
        version="17",
        aliases=("jdk",),
        file_name="Main.java",
        file_name_for=_java_file_name,
        compile=("javac", *(f"-J{f}" for f in _JVM_FLAGS), "-d", "/tmp", "/tmp/{file}"),
        run=(
            "java",
            *_JVM_FLAGS,
            "-XX:-UsePerfData",
            "-javaagent:/opt/codex/autoflush.jar",
            "-cp",
            "/tmp",
            "{stem}",
        ),
        version_command=("java", "-version"),
        # One JVM with javac loaded: compiles through javac's own entry point in process, then
        # calls main from the JVM's main thread (images/java/Warm.java).
        warm=(
            "java",
            *_JVM_FLAGS,
            "-XX:SharedArchiveFile=/opt/codex/warm.jsa",
            "-Xlog:cds*=off",
            "-Xbootclasspath/a:/opt/codex/warm.jar",
            "-javaagent:/opt/codex/autoflush.jar",
            "-cp",
            "/tmp",
            "codex.Warm",
        ),
        warm_request=("/tmp/{file}", "{stem}"),
        timeout_ms=10_000,
        memory_mb=256,
    ),
    LanguageSpec(
        id="csharp",
        name="C# (Mono)",
        version="6.8",
        aliases=("cs", "c#", "mono"),
        file_name="main.cs",
        compile=(
            "mcs",
            "-debug",
            "-r:System.Numerics.dll",
            "-r:Microsoft.CSharp.dll",
            "-out:/tmp/main.exe",
            "/tmp/{file}",
        ),
        # --debug: file and line numbers in stack traces.
        run=("mono", "--debug", "/tmp/main.exe"),
        version_command=("mono", "--version"),
        # Mono with the C# compiler loaded: compiles in process, then runs through mono's own
        # entry point (images/csharp/Warm.cs).
        warm=("mono", "--debug", "/opt/codex/warm.exe"),
        warm_request=("/tmp/{file}",),
        memory_mb=256,
    ),
)


class LanguageRegistry:
    """Looks languages up by id or alias, case-insensitively."""

    def __init__(self, languages: Iterable[LanguageSpec] = LANGUAGES) -> None:
        self._all = tuple(sorted(languages, key=lambda spec: spec.id))
        self._by_name: dict[str, LanguageSpec] = {}
        for spec in self._all:
            for name in (spec.id, *spec.aliases):
                self._by_name[name.lower()] = spec

    def __iter__(self) -> Iterator[LanguageSpec]:
        return iter(self._all)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(spec.id for spec in self._all)

    def get(self, name: str) -> LanguageSpec:
        """The language with this id or alias; UnknownLanguage otherwise."""
        spec = self._by_name.get(name.strip().lower())
        if spec is None:
            raise UnknownLanguage(f"Unknown language {name!r}. Supported: {', '.join(self.ids)}")
        return spec
