"""`GET /api/health` and `GET /api/languages`."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .. import __version__
from ..web.keys import ENGINE, PG_POOL, REDIS
from ..web.shapes import language_json

CHECK_SECONDS = 3


async def _postgres(request: web.Request) -> dict[str, Any]:
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            await request.app[PG_POOL].fetchval("SELECT 1")
    except Exception as exc:
        return {"ok": False, "error": f"PostgreSQL not answering: {exc.__class__.__name__}"}
    return {"ok": True}


async def _redis(request: web.Request) -> dict[str, Any]:
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            await request.app[REDIS].ping()
    except Exception as exc:
        return {"ok": False, "error": f"Redis not answering: {exc.__class__.__name__}"}
    return {"ok": True}


async def health(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    checks: dict[str, Any] = {}
    checks["postgres"], checks["redis"] = await asyncio.gather(_postgres(request), _redis(request))
    try:
        await engine.docker.version()
        checks["docker"] = {"ok": True}
        missing = set(await engine.missing_images())
        checks["images"] = {
            "ok": not missing,
            "languages": {spec.id: spec.id not in missing for spec in engine.languages},
        }
    except Exception as exc:
        checks["docker"] = {"ok": False, "error": f"Docker engine not reachable: {exc}"}
        checks["images"] = {"ok": False, "languages": {s.id: False for s in engine.languages}}
    ok = all(check["ok"] for check in checks.values())
    return web.json_response(
        {"status": "ok" if ok else "degraded", "version": __version__, "checks": checks},
        status=200 if ok else 503,
    )


async def languages(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    return web.json_response({"languages": [language_json(engine, s) for s in engine.languages]})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/health", health)
    app.router.add_get("/api/languages", languages)
