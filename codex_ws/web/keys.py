"""Typed keys for what the application holds."""

from __future__ import annotations

import weakref

import asyncpg
import redis.asyncio as redis
from aiohttp import web

from sandbox import Engine

from ..domain.draining import Drain
from ..domain.tokens import Tokens
from ..settings import Settings
from ..store.accounts import Accounts
from ..store.activity import Activity, Mailbox
from ..store.admission import Admission
from ..store.classes import Classes
from ..store.exercises import Exercises
from ..store.history import History
from ..store.revocations import Revocations
from ..store.sessions import SessionHub
from ..store.snippets import Snippets
from ..store.throttle import Throttle
from .outbox import Outbox

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", Engine)
PG_POOL = web.AppKey("pg_pool", asyncpg.Pool)
REDIS = web.AppKey("redis", redis.Redis)
ADMISSION_REDIS = web.AppKey("admission_redis", redis.Redis)
TOKENS = web.AppKey("tokens", Tokens)
ADMISSION = web.AppKey("admission", Admission)
ACCOUNTS = web.AppKey("accounts", Accounts)
CLASSES = web.AppKey("classes", Classes)
ACTIVITY = web.AppKey("activity", Activity)
MAILBOX = web.AppKey("mailbox", Mailbox)
REVOCATIONS = web.AppKey("revocations", Revocations)
EXERCISES = web.AppKey("exercises", Exercises)
HISTORY = web.AppKey("history", History)
SNIPPETS = web.AppKey("snippets", Snippets)
SESSIONS = web.AppKey("sessions", SessionHub)
SOCKETS = web.AppKey("sockets", weakref.WeakSet[Outbox])
DRAIN = web.AppKey("drain", Drain)
THROTTLE = web.AppKey("throttle", Throttle)
