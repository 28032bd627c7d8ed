"""Servers of their own, and clients on real, different addresses: a session whose connections
are bound to another loopback address (127.0.0.2 and up) is another host to the server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from .conftest import Client, make_settings, start_client


@asynccontextmanager
async def server(**changes: Any) -> AsyncIterator[Client]:
    """A server of its own with `changes` to the test settings."""
    client = await start_client(make_settings(**changes))
    try:
        yield client
    finally:
        await client.close()


@asynccontextmanager
async def from_address(client: Client, address: str) -> AsyncIterator[aiohttp.ClientSession]:
    """A session to `client`'s server whose connections come from `address`."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    async with aiohttp.ClientSession(
        base_url=str(client.make_url("/")), connector=connector
    ) as http:
        yield http
