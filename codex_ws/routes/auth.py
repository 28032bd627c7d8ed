"""`/api/auth`: register, log in, who am I, sign out, change the password."""

from __future__ import annotations

import hmac
from typing import Any

from aiohttp import web

from ..domain.text import without_nul
from ..domain.users import REGISTERED_ROLES, Role, User
from ..errors import Code, ServiceError
from ..store.accounts import MAX_PASSWORD_BYTES
from ..web import body
from ..web.auth import required_identity
from ..web.keys import ACCOUNTS, REVOCATIONS, SETTINGS, THROTTLE, TOKENS
from ..web.shapes import signed_in_json, user_json


def _signed_in(request: web.Request, user: User, status: int = 200) -> web.Response:
    token = request.app[TOKENS].issue(user.id, user.role, user.name, user.token_generation)
    return web.json_response(signed_in_json(token, user), status=status)


def _email(data: dict[str, Any]) -> str:
    email = body.string(data, "email", max_length=254).strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or not all(c.isprintable() for c in email):
        raise ServiceError(Code.INVALID_REQUEST, "'email' must be an email address")
    return email


def _new_password(data: dict[str, Any], field: str) -> str:
    password = body.string(data, field)
    if len(password) < 8:
        raise ServiceError(Code.INVALID_REQUEST, f"'{field}' must be at least 8 characters")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise ServiceError(
            Code.INVALID_REQUEST, f"'{field}' must be at most {MAX_PASSWORD_BYTES} bytes"
        )
    return password


def _role(asked: str) -> Role:
    for role in REGISTERED_ROLES:
        if asked == role:
            return role
    raise ServiceError(Code.INVALID_REQUEST, "'role' must be 'student' or 'teacher'")


async def register(request: web.Request) -> web.Response:
    data = await body.json_object(request)
    email = _email(data)
    password = _new_password(data, "password")
    name = without_nul(body.string(data, "name", max_length=100).strip(), "name")
    if not name:
        raise ServiceError(Code.INVALID_REQUEST, "'name' must not be empty")
    role = _role(body.optional_string(data, "role", "student"))
    await request.app[THROTTLE].registration(request.remote)
    if role == "teacher":
        expected = request.app[SETTINGS].teacher_code
        given = body.optional_string(data, "teacherCode")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise ServiceError(Code.FORBIDDEN, "A teacher account needs the right teacher code")
    user = await request.app[ACCOUNTS].register(email, password, name, role)
    return _signed_in(request, user, status=201)


async def login(request: web.Request) -> web.Response:
    data = await body.json_object(request)
    email = body.string(data, "email", max_length=254).strip()
    password = body.string(data, "password", max_length=1024)
    async with request.app[THROTTLE].login(email, request.remote):
        user = await request.app[ACCOUNTS].authenticate(email, password)
    return _signed_in(request, user)


async def me(request: web.Request) -> web.Response:
    identity = required_identity(request)
    user = await request.app[ACCOUNTS].get(identity.user_id)
    if user is None:
        raise ServiceError(Code.UNAUTHORIZED, "This account no longer exists: sign in again")
    return web.json_response({"user": user_json(user)})


async def logout(request: web.Request) -> web.Response:
    """Revoke the token the request carries."""
    identity = required_identity(request)
    await request.app[REVOCATIONS].sign_out(identity)
    return web.Response(status=204)


async def change_password(request: web.Request) -> web.Response:
    """Change the password; every token issued before stops working, and a new one is given."""
    identity = required_identity(request)
    data = await body.json_object(request)
    current = body.string(data, "currentPassword", max_length=1024)
    new = _new_password(data, "newPassword")
    user = await request.app[ACCOUNTS].change_password(identity.user_id, current, new)
    request.app[REVOCATIONS].forget(user.id)
    return _signed_in(request, user)


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/api/auth/register", register)
    app.router.add_post("/api/auth/login", login)
    app.router.add_get("/api/auth/me", me)
    app.router.add_post("/api/auth/logout", logout)
    app.router.add_post("/api/auth/password", change_password)
