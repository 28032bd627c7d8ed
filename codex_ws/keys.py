"""Typed keys for what the application holds."""

from __future__ import annotations

import asyncio
import weakref

import asyncpg
import redis.asyncio as redis
from aiohttp import web

from sandbox import Engine

from .accounts import Accounts
from .admission import Admission
from .draining import Drain
from .exercises import Exercises
from .history import History
from .outbox import Outbox
from .sessions import SessionHub
from .settings import Settings
from .tokens import Tokens

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", Engine)
PG_POOL = web.AppKey("pg_pool", asyncpg.Pool)
REDIS = web.AppKey("redis", redis.Redis)
ADMISSION_REDIS = web.AppKey("admission_redis", redis.Redis)
TOKENS = web.AppKey("tokens", Tokens)
ADMISSION = web.AppKey("admission", Admission)
ACCOUNTS = web.AppKey("accounts", Accounts)
EXERCISES = web.AppKey("exercises", Exercises)
HISTORY = web.AppKey("history", History)
SESSIONS = web.AppKey("sessions", SessionHub)
SOCKETS = web.AppKey("sockets", weakref.WeakSet[Outbox])
DRAIN = web.AppKey("drain", Drain)
PUMPS = web.AppKey("pumps", set[asyncio.Task[None]])
