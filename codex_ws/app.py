"""The application factory: one cleanup context per resource, every route in one place."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator

import redis.asyncio as redis
from aiohttp import web

from sandbox import Engine, EngineConfig

from .domain.draining import Drain
from .domain.tokens import Tokens
from .routes import auth, classes, docs, execute, exercises, health, pages, sessions, snippets
from .settings import Settings
from .store.accounts import Accounts, PasswordWork
from .store.activity import Activity, Mailbox
from .store.admission import Admission
from .store.classes import Classes
from .store.db import create_pool, migrate
from .store.exercises import Exercises
from .store.history import History
from .store.revocations import Revocations
from .store.sessions import SessionHub
from .store.snippets import Snippets
from .store.throttle import Throttle
from .web.auth import revocation_middleware
from .web.keys import (
    ACCOUNTS,
    ACTIVITY,
    ADMISSION,
    ADMISSION_REDIS,
    CLASSES,
    DRAIN,
    ENGINE,
    EXERCISES,
    HISTORY,
    MAILBOX,
    PG_POOL,
    REDIS,
    REVOCATIONS,
    SESSIONS,
    SETTINGS,
    SNIPPETS,
    SOCKETS,
    THROTTLE,
    TOKENS,
)
from .web.middleware import error_middleware
from .ws import class_socket, run_socket, watch_socket
from .ws.connection import close_all

ADMISSION_CONNECTIONS = 32


def create_app(settings: Settings) -> web.Application:
    """A configured application; resources open on startup and close on cleanup."""
    app = web.Application(
        middlewares=[error_middleware, revocation_middleware],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[TOKENS] = Tokens(settings.jwt_secret, settings.jwt_ttl_seconds)
    app[SOCKETS] = weakref.WeakSet()
    app[DRAIN] = Drain(settings.shutdown_grace_seconds)
    app.cleanup_ctx.extend([_postgres, _redis, _engine, _sessions])
    # serving.serve() gives the runs their grace period before this.
    app.on_shutdown.append(close_all)
    for module in (
        health,
        auth,
        execute,
        exercises,
        classes,
        sessions,
        snippets,
        run_socket,
        watch_socket,
        class_socket,
        docs,
        pages,
    ):
        module.setup_routes(app)
    return app


async def _postgres(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await create_pool(settings.database_url)
    await migrate(pool)
    app[PG_POOL] = pool
    passwords = PasswordWork(settings.password_threads, settings.password_queue)
    app[ACCOUNTS] = Accounts(pool, passwords)
    app[REVOCATIONS] = Revocations(pool)
    app[EXERCISES] = Exercises(pool)
    app[CLASSES] = Classes(pool)
    app[HISTORY] = History(pool)
    app[SNIPPETS] = Snippets(pool)
    yield
    passwords.close()
    await pool.close()


async def _redis(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    client = redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=1,
        # Every live session publishes and every watcher blocks on a connection of its own.
        max_connections=2000,
        # Longer than the 1 s XREAD blocks of watchers.
        socket_timeout=5,
        health_check_interval=10,
    )
    # Admission's commands are short, and a burst of requests would otherwise open a
    # connection each at once: on a busy loop those connects outlast their timeout and Redis
    # looks down. A few connections, waited for, serve the burst.
    limits = redis.Redis(
        connection_pool=redis.BlockingConnectionPool.from_url(
            settings.redis_url,
            max_connections=ADMISSION_CONNECTIONS,
            timeout=5,
            socket_connect_timeout=1,
            socket_timeout=5,
            health_check_interval=10,
        )
    )
    app[REDIS] = client
    app[ACTIVITY] = Activity(client, settings.redis_prefix)
    app[MAILBOX] = Mailbox(app[ACTIVITY])
    app[MAILBOX].start()
    app[ADMISSION_REDIS] = limits
    password_places = settings.password_threads + settings.password_queue
    app[THROTTLE] = Throttle(
        limits,
        prefix=settings.redis_prefix,
        registrations_per_hour=settings.registrations_per_hour,
        failures_per_account=settings.login_failures_per_account,
        failures_per_address=settings.login_failures_per_address,
        max_delay_seconds=settings.login_max_delay_seconds,
        # Half the places of the password checks at most, so that another address finds one.
        checks_at_once_per_address=max(1, password_places // 2),
    )
    yield
    await app[MAILBOX].stop()
    await limits.aclose(close_connection_pool=True)
    await client.aclose()


async def _engine(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = Engine(
        EngineConfig(
            policy=settings.policy,
            pool_sizes=settings.pool_sizes,
            pool_max_age_seconds=settings.pool_max_age_seconds,
            max_containers=settings.max_containers,
            docker_host=settings.docker_host,
            docker_tls_verify=settings.docker_tls_verify,
            seccomp_profile=settings.seccomp_profile,
        )
    )
    await engine.open()
    app[ENGINE] = engine
    policy = settings.policy
    warm = engine.pool.size if engine.pool else 0
    app[ADMISSION] = Admission(
        app[ADMISSION_REDIS],
        # Warm containers count toward the cap on this process's containers (the engine keeps
        # it, from each create to its removal); the rest is for runs.
        max_containers=settings.max_containers - warm,
        queue_wait_seconds=settings.queue_wait_seconds,
        # A lease outlives any run, so a dead process's count expires by itself.
        lease_seconds=policy.longest_run_ms // 1000 + 30,
        owner=str(engine.owner),
        prefix=settings.redis_prefix,
        address_share=settings.max_share_per_address.of(settings.max_containers - warm),
        anonymous_share=settings.anonymous_share.of(settings.max_containers - warm),
    )
    await app[ADMISSION].free_leases_left_behind()
    await app[EXERCISES].seed(engine.languages.ids)
    yield
    await engine.close()


async def _sessions(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[SESSIONS] = SessionHub(
        app[REDIS],
        app[PG_POOL],
        owner=str(app[ENGINE].owner),
        prefix=settings.redis_prefix,
        stored_bytes=settings.session_stored_bytes,
        stdin_bytes=settings.session_stdin_bytes,
        activity=app[ACTIVITY],
    )
    await app[SESSIONS].abort_left_behind()
    yield
    # Runs still going at shutdown end now; each removes its container and records itself.
    await app[DRAIN].end_all()
