"""codex-ws: the aiohttp service in front of the sandbox engine."""

__version__ = "0.1.0"
