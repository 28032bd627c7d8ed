"""`GET /api/health` and `GET /api/languages` against the real engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from codex_ws.app import create_app
from codex_ws.settings import Settings

pytestmark = pytest.mark.docker


@pytest.fixture
async def client() -> AsyncIterator[TestClient[object, object]]:
    async with TestClient(TestServer(create_app(Settings()))) as client:
        yield client


async def test_health_reports_docker_and_every_image(client: TestClient[object, object]) -> None:
    response = await client.get("/api/health")
    body = await response.json()
    assert response.status == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["docker"] == {"ok": True}
    assert body["checks"]["images"]["languages"] == {
        "csharp": True,
        "java": True,
        "javascript": True,
        "python": True,
    }


async def test_languages_lists_ids_aliases_and_limits(client: TestClient[object, object]) -> None:
    response = await client.get("/api/languages")
    languages = {item["id"]: item for item in (await response.json())["languages"]}
    assert set(languages) == {"python", "javascript", "java", "csharp"}
    assert languages["python"]["aliases"] == ["py", "python3"]
    assert languages["java"]["compiled"] is True
    assert languages["python"]["limits"] == {"timeoutMs": 10000, "memoryMb": 128}


async def test_unknown_routes_get_the_error_shape(client: TestClient[object, object]) -> None:
    response = await client.get("/api/nope")
    assert response.status == 404
    assert (await response.json())["code"] == "not_found"
