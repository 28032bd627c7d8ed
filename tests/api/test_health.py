"""`GET /api/health` and `GET /api/languages` against the real engine, PostgreSQL and Redis."""

from __future__ import annotations

from .conftest import Client, assert_error


async def test_health_checks_every_dependency_for_real(client: Client) -> None:
    response = await client.get("/api/health")
    body = await response.json()
    assert response.status == 200, body
    assert body["status"] == "ok"
    assert body["version"] == "0.1.0"
    checks = body["checks"]
    assert {name: checks[name]["ok"] for name in ("docker", "postgres", "redis", "images")} == {
        "docker": True,
        "postgres": True,
        "redis": True,
        "images": True,
    }
    assert checks["images"]["languages"] == {
        "csharp": True,
        "java": True,
        "javascript": True,
        "python": True,
    }


async def test_languages_lists_ids_aliases_versions_and_limits(client: Client) -> None:
    response = await client.get("/api/languages")
    languages = {item["id"]: item for item in (await response.json())["languages"]}
    assert set(languages) == {"python", "javascript", "java", "csharp"}
    python = languages["python"]
    assert python["aliases"] == ["py", "python3"]
    assert python["version"].startswith("3.11.")
    assert python["compiled"] is False and languages["java"]["compiled"] is True
    assert python["limits"] == {"timeoutMs": 10000, "memoryMb": 128}


async def test_unknown_routes_and_methods_get_the_error_shape(client: Client) -> None:
    await assert_error(await client.get("/api/nope"), 404, "not_found")
    await assert_error(await client.delete("/api/execute"), 405, "method_not_allowed")
