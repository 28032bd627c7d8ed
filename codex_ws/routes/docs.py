"""`GET /api/openapi.yaml`: the API's description, as shipped in docs/."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


async def openapi(request: web.Request) -> web.Response:
    return web.Response(
        body=OPENAPI_FILE.read_bytes(), content_type="application/yaml", charset="utf-8"
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/openapi.yaml", openapi)
