"""Typed keys for what the application holds."""

from __future__ import annotations

from aiohttp import web

from sandbox import Engine

from .settings import Settings

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", Engine)
