"""Serving the application until SIGTERM (or SIGINT), then stopping gracefully.

aiohttp's own stop closes every connection to input first, WebSockets included, so the runs in
progress could no longer be typed into; here the listening socket closes first, the runs get
their grace period with their connections intact, and aiohttp's stop follows.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from ..domain.draining import ENDING_SECONDS
from .access_log import AccessLogger
from .connection_limits import ConnectionLimits, GuardedSite, raise_open_files_limit
from .keys import DRAIN, SETTINGS

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def serve(app: web.Application, host: str, port: int) -> None:
    """Serve `app` on host:port until told to stop, then stop gracefully."""
    settings = app[SETTINGS]
    raise_open_files_limit()
    # After the grace period only the answers of ended runs are left to go.
    runner = web.AppRunner(
        app,
        access_log_class=AccessLogger,
        shutdown_timeout=ENDING_SECONDS,
        keepalive_timeout=settings.idle_timeout_seconds,
    )
    await runner.setup()
    try:
        limits = ConnectionLimits(
            header_timeout=settings.header_timeout_seconds,
            per_address=settings.max_connections_per_ip,
        )
        site = GuardedSite(runner, host, port, limits)
        await site.start()
        await _until_told_to_stop()
        log.info("stopping: no new connections")
        await site.stop()
        await app[DRAIN].stop()
    finally:
        await runner.cleanup()


async def _until_told_to_stop() -> None:
    """Until the first stop signal; a second one acts as if nothing handled it."""
    loop = asyncio.get_running_loop()
    told = asyncio.Event()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, told.set)
    try:
        await told.wait()
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
