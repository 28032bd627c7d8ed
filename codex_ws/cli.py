"""The `codex-ws` command: serve, build images, run a file in the sandbox, manage accounts,
sweep."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import signal
import stat
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sandbox import (
    Engine,
    EngineConfig,
    ExitEvent,
    OutputEvent,
    RequestedLimits,
    Run,
    SandboxError,
    check_run,
)
from sandbox.images import ImageBuilder

from .app import create_app
from .domain.users import ROLES, Role, User
from .errors import ServiceError
from .settings import Settings, SettingsError, read_one
from .store.accounts import MAX_PASSWORD_BYTES, Accounts
from .store.db import create_pool, migrate
from .web.serving import serve


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    options = parser.parse_args(argv)
    try:
        logging.basicConfig(
            level=read_one("log_level"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        return int(options.handler(options))
    except (SandboxError, SettingsError, ConnectionError) as exc:
        print(f"codex-ws: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codex-ws", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP and WebSocket server")
    serve.add_argument("--host", help="interface to listen on (CODEX_HOST, default 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port to listen on (CODEX_PORT, default 4003)")
    serve.set_defaults(handler=_serve)

    images = commands.add_parser("images", help="build or list the sandbox images")
    image_commands = images.add_subparsers(required=True, metavar="ACTION")
    build = image_commands.add_parser("build", help="build images whose inputs changed")
    build.add_argument("languages", nargs="*", metavar="LANG", help="languages (default: all)")
    build.set_defaults(handler=lambda o: asyncio.run(_images_build(o.languages)))
    listing = image_commands.add_parser("list", help="show each language image and its state")
    listing.set_defaults(handler=lambda o: asyncio.run(_images_list()))

    run = commands.add_parser("run", help="run a source file in the sandbox, live on this terminal")
    run.add_argument("--lang", "-l", required=True, help="language id or alias")
    run.add_argument("--timeout-ms", type=int, help="wall-clock limit for the program")
    run.add_argument("--memory-mb", type=int, help="memory limit")
    run.add_argument("file", type=Path)
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the program")
    run.set_defaults(handler=lambda o: asyncio.run(_run_file(o)))

    migrate_db = commands.add_parser("migrate", help="apply the database migrations and exit")
    migrate_db.set_defaults(handler=lambda o: asyncio.run(_migrate()))

    users = commands.add_parser("users", help="make accounts and change their roles")
    user_commands = users.add_subparsers(required=True, metavar="ACTION")
    create = user_commands.add_parser(
        "create", help="make an account (the password is read from stdin, or asked for)"
    )
    roles = create.add_mutually_exclusive_group()
    roles.add_argument("--admin", action="store_const", const="admin", dest="role")
    roles.add_argument("--teacher", action="store_const", const="teacher", dest="role")
    create.add_argument("--name", help="the name others see (default: the email's local part)")
    create.add_argument("email")
    create.set_defaults(handler=lambda o: asyncio.run(_create_user(o)), role="student")
    promote = user_commands.add_parser("promote", help="give an account another role")
    promote.add_argument("email")
    promote.add_argument("--role", required=True, choices=ROLES)
    promote.set_defaults(handler=lambda o: asyncio.run(_set_role(o.email, o.role)))

    sweep = commands.add_parser("sweep", help="remove sandbox containers left by dead processes")
    sweep.add_argument("--all", action="store_true", help="remove every sandbox container")
    sweep.set_defaults(handler=lambda o: asyncio.run(_sweep(o.all)))
    return parser


def _serve(options: argparse.Namespace) -> int:
    settings = Settings.from_env()
    host = options.host or settings.host
    port = options.port or settings.port
    asyncio.run(serve(create_app(settings), host, port))
    return 0


def _engine_config() -> EngineConfig:
    """How commands other than `serve` reach the engine (they need no secret)."""
    return EngineConfig(
        docker_host=read_one("docker_host"),
        docker_tls_verify=read_one("docker_tls_verify"),
        seccomp_profile=read_one("seccomp_profile"),
    )


def _image_builder(engine: Engine, **options: Any) -> ImageBuilder:
    return ImageBuilder(engine.docker, base_image=read_one("base_image"), **options)


async def _images_build(languages: list[str]) -> int:
    async with Engine(_engine_config()) as engine:
        await _image_builder(engine, progress=_progress).build(languages)
    return 0


async def _images_list() -> int:
    async with Engine(_engine_config()) as engine:
        statuses = await _image_builder(engine).status()
    print(f"{'LANGUAGE':<12} {'IMAGE':<40} {'STATE':<10} SIZE")
    for s in statuses:
        state = "current" if s.current else "outdated" if s.present else "missing"
        size = f"{s.size_mb} MB" if s.size_mb is not None else "-"
        print(f"{s.language:<12} {s.image:<40} {state:<10} {size}")
    return 0 if all(s.current for s in statuses) else 1


async def _migrate() -> int:
    pool = await create_pool(read_one("database_url"))
    try:
        applied = await migrate(pool)
    finally:
        await pool.close()
    print(f"applied {len(applied)} migration(s)" + (f": {applied}" if applied else ""))
    return 0


async def _create_user(options: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass("Password (8 characters or more): ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8 or len(password.encode()) > MAX_PASSWORD_BYTES:
        print(f"codex-ws: the password must be 8 to {MAX_PASSWORD_BYTES} bytes", file=sys.stderr)
        return 2
    email: str = options.email.strip()
    name = (options.name or email.partition("@")[0]).strip() or email
    user = await _on_accounts(
        lambda accounts: accounts.register(email, password, name, options.role)
    )
    if user is None:
        return 1
    print(f"created {user.role} {user.email} ({user.id})")
    return 0


async def _set_role(email: str, role: Role) -> int:
    user = await _on_accounts(lambda accounts: accounts.set_role(email, role))
    if user is None:
        return 1
    print(f"{user.email} is now {user.role}; its earlier sign-ins have ended (sign in again)")
    return 0


async def _on_accounts(change: Callable[[Accounts], Awaitable[User]]) -> User | None:
    """Apply `change` to the accounts of the configured database; None (said why) if refused."""
    pool = await create_pool(read_one("database_url"))
    try:
        await migrate(pool)
        return await change(Accounts(pool))
    except ServiceError as exc:
        print(f"codex-ws: {exc.message}", file=sys.stderr)
        return None
    finally:
        await pool.close()


async def _sweep(every_owner: bool) -> int:
    async with Engine(_engine_config()) as engine:
        removed = await engine.sweep(every_owner=every_owner)
    print(f"removed {removed} sandbox container(s)")
    return 0


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def _run_file(options: argparse.Namespace) -> int:
    code = options.file.read_text(encoding="utf-8")
    limits = RequestedLimits(timeout_ms=options.timeout_ms, memory_mb=options.memory_mb)
    async with Engine(_engine_config()) as engine:
        checked = check_run(
            engine.languages, engine.policy, options.lang, code, args=options.args, limits=limits
        )
        run = await engine.start(checked)
        forward = asyncio.create_task(_forward_stdin(run))
        interrupts = _forward_interrupts(run)
        try:
            return await _print_events(run)
        finally:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
            forward.cancel()
            await asyncio.gather(forward, *interrupts, return_exceptions=True)
            await run.close()


async def _print_events(run: Run) -> int:
    async for event in run.events():
        if isinstance(event, OutputEvent):
            target = sys.stdout if event.stream == "stdout" else sys.stderr
            target.write(event.data)
            target.flush()
        elif isinstance(event, ExitEvent):
            if event.status != "ok":
                detail = f" ({event.message})" if event.message else ""
                summary = f"{event.status}, exit code {event.exit_code}, {event.duration_ms} ms"
                print(f"\n[{summary}{detail}]", file=sys.stderr)
            if event.status == "timeout":
                return 124
            return event.exit_code if event.exit_code is not None else 1
    return 1


async def _forward_stdin(run: Run) -> None:
    fd = sys.stdin.fileno()
    if stat.S_ISREG(os.fstat(fd).st_mode):
        await run.write_stdin(await asyncio.to_thread(sys.stdin.buffer.read))
        await run.close_stdin()
        return
    loop = asyncio.get_running_loop()
    chunks: asyncio.Queue[bytes] = asyncio.Queue()
    loop.add_reader(fd, lambda: chunks.put_nowait(os.read(fd, 65536)))
    try:
        while chunk := await chunks.get():
            await run.write_stdin(chunk)
        await run.close_stdin()
    finally:
        loop.remove_reader(fd)


def _forward_interrupts(run: Run) -> set[asyncio.Task[None]]:
    """Ctrl-C interrupts the program (SIGINT); a second Ctrl-C kills it."""
    sent: set[asyncio.Task[None]] = set()

    def on_interrupt() -> None:
        sent.add(asyncio.create_task(run.send_signal("SIGKILL" if sent else "SIGINT")))

    asyncio.get_running_loop().add_signal_handler(signal.SIGINT, on_interrupt)
    return sent
