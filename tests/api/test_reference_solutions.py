"""Every seeded exercise: a reference solution in each language is accepted; a wrong one is not."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from codex_ws.store.exercises import SEED_DIR

from .conftest import Client

SOLUTIONS = Path(__file__).parent.parent / "exercise_solutions"
FILES = {
    "python": "solution.py",
    "javascript": "solution.js",
    "java": "Main.java",
    "csharp": "solution.cs",
}
SLUGS = sorted(yaml.safe_load(p.read_text())["slug"] for p in SEED_DIR.glob("*.yaml"))


def test_there_are_at_least_eight_seeded_exercises_with_solutions() -> None:
    assert len(SLUGS) >= 8
    for slug in SLUGS:
        for name in [*FILES.values(), "wrong.py"]:
            assert (SOLUTIONS / slug / name).is_file(), f"{slug}/{name} is missing"


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("language", list(FILES))
async def test_the_reference_solution_is_accepted(client: Client, slug: str, language: str) -> None:
    code = (SOLUTIONS / slug / FILES[language]).read_text()
    response = await client.post(
        "/api/exercises/validate", json={"exerciseId": slug, "language": language, "code": code}
    )
    body = await response.json()
    assert response.status == 200, body
    failed = [r for r in body["results"] if not r["passed"]]
    assert body["status"] == "accepted", (failed, body["compileOutput"])


@pytest.mark.parametrize("slug", SLUGS)
async def test_a_wrong_solution_fails_a_public_case(client: Client, slug: str) -> None:
    code = (SOLUTIONS / slug / "wrong.py").read_text()
    response = await client.post(
        "/api/exercises/validate", json={"exerciseId": slug, "language": "python", "code": code}
    )
    body = await response.json()
    assert body["status"] == "wrong_answer", body
    assert any(r["status"] == "wrong_answer" for r in body["results"] if not r["hidden"])
