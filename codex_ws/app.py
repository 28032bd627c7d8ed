"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from sandbox import Engine, EngineConfig

from . import health
from .errors import error_middleware
from .keys import ENGINE, SETTINGS
from .settings import Settings


def create_app(settings: Settings) -> web.Application:
    """A configured application; resources open on startup and close on cleanup."""
    app = web.Application(middlewares=[error_middleware])
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_engine)
    health.setup_routes(app)
    return app


async def _engine(app: web.Application) -> AsyncIterator[None]:
    engine = Engine(EngineConfig(policy=app[SETTINGS].policy))
    await engine.open()
    app[ENGINE] = engine
    yield
    await engine.close()
