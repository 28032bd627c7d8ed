"""The layers of `codex_ws`, enforced by reading each module's imports.

From the bottom: the error contract and settings; `domain/` (records and rules); `store/`
(PostgreSQL and Redis); `web/` (HTTP plumbing: body, auth, errors, shapes); `routes/` and `ws/`
(the endpoints); `app.py` (assembles them); `cli.py`. A module imports only from its own floor
or below. `domain/` and `store/` know no HTTP, and `sandbox/` knows nothing of `codex_ws`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "codex_ws"
WEB_LAYERS = ("codex_ws.web", "codex_ws.routes", "codex_ws.ws")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[str]:
    """Every module `path` imports, relative imports resolved."""
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    package = package or _module_name(path)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _modules(*folders: str) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        target = PACKAGE / folder
        found += sorted(target.rglob("*.py")) if target.is_dir() else [target]
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


HTTP_FREE = _modules("domain", "store", "errors.py", "settings.py")


@pytest.mark.parametrize("path", HTTP_FREE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_domain_and_storage_know_no_http(path: Path) -> None:
    forbidden = [name for name in imports_of(path) if _within(name, ("aiohttp", *WEB_LAYERS))]
    assert forbidden == [], f"{path.relative_to(ROOT)} imports {forbidden}"


FLOORS = (
    ("codex_ws.errors", "codex_ws.settings"),
    ("codex_ws.domain",),
    ("codex_ws.store",),
    ("codex_ws.web",),
    ("codex_ws.routes", "codex_ws.ws"),
    ("codex_ws.app",),
    ("codex_ws.cli", "codex_ws.__main__"),
)


def floor_of(name: str) -> int | None:
    return next((i for i, floor in enumerate(FLOORS) if _within(name, floor)), None)


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_no_module_imports_from_a_floor_above_its_own(path: Path) -> None:
    own = floor_of(_module_name(path))
    if own is None:
        assert _module_name(path) == "codex_ws", f"{path} is on no floor: add it to FLOORS"
        return
    above = [n for n in imports_of(path) if (floor_of(n) or 0) > own]
    assert above == [], f"{path.relative_to(ROOT)} imports {above}"


def test_the_sandbox_knows_nothing_of_the_service() -> None:
    for path in sorted((ROOT / "sandbox").glob("*.py")):
        assert not [n for n in imports_of(path) if _within(n, ("codex_ws", "aiohttp.web"))], path


def test_the_check_reads_relative_imports_right() -> None:
    names = set(imports_of(PACKAGE / "ws" / "connection.py"))
    assert {"codex_ws.errors", "codex_ws.web.keys", "aiohttp"} <= names
