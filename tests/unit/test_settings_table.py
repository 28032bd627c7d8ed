"""docs/operations.md lists every setting of `codex_ws.settings.TABLE`, with its default, and no
other (besides the few read by the deployment's scripts only)."""

from __future__ import annotations

import re
from pathlib import Path

from codex_ws.settings import TABLE, Setting, Settings, setting_fields

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = ROOT / "docs" / "operations.md"
# Read by scripts/ or docker-compose.yml, never by the server.
SCRIPTS_ONLY = {"CODEX_DEBIAN_MIRROR"}


def shown(setting: Setting) -> str:
    """A default as the docs write it."""
    value = setting.default
    if setting.variable == "CODEX_JWT_SECRET":
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Path):
        return str(value.relative_to(ROOT))
    if isinstance(value, dict):
        return ",".join(f"{language}={size}" for language, size in value.items())
    if value == ():
        return "none"
    if value == "":
        return "empty"
    return str(value)


def documented() -> dict[str, str]:
    rows = re.findall(r"^\| `((?:CODEX|DOCKER)_\w+)` \| ([^|]+) \|", OPERATIONS.read_text(), re.M)
    return {variable: default.strip().strip("`") for variable, default in rows}


def test_every_setting_is_documented_with_its_default() -> None:
    docs = documented()
    assert {s.variable: shown(s) for s in TABLE} == {
        variable: default for variable, default in docs.items() if variable not in SCRIPTS_ONLY
    }


def test_the_table_fills_every_field_once() -> None:
    targets = [s.field for s in TABLE]
    assert len(targets) == len(set(targets))
    plain = {t for t in targets if not t.startswith("policy.")}
    assert plain == setting_fields()


def test_defaults_and_the_environment_agree() -> None:
    from_env = Settings.from_env({"CODEX_JWT_SECRET": "s" * 40})
    defaults = Settings.defaults(jwt_secret=from_env.jwt_secret)
    assert from_env == defaults
