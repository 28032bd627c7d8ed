"""`/api/auth`: register, log in, who am I."""

from __future__ import annotations

import hmac
from typing import Any

from aiohttp import web

from . import body
from .accounts import MAX_PASSWORD_BYTES, Role, User
from .auth import required_identity
from .errors import ApiError
from .keys import ACCOUNTS, SETTINGS, TOKENS


def _signed_in(request: web.Request, user: User, status: int = 200) -> web.Response:
    token = request.app[TOKENS].issue(user.id, user.role, user.name)
    return web.json_response({"token": token, "user": user.to_json()}, status=status)


def _email(data: dict[str, Any]) -> str:
    email = body.string(data, "email", max_length=254).strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or not all(c.isprintable() for c in email):
        raise ApiError("invalid_request", "'email' must be an email address")
    return email


async def register(request: web.Request) -> web.Response:
    data = await body.json_object(request)
    email = _email(data)
    password = body.string(data, "password")
    if len(password) < 8:
        raise ApiError("invalid_request", "'password' must be at least 8 characters")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise ApiError("invalid_request", f"'password' must be at most {MAX_PASSWORD_BYTES} bytes")
    name = body.without_nul(body.string(data, "name", max_length=100).strip(), "name")
    if not name:
        raise ApiError("invalid_request", "'name' must not be empty")
    asked = body.optional_string(data, "role", "student")
    if asked not in ("student", "teacher"):
        raise ApiError("invalid_request", "'role' must be 'student' or 'teacher'")
    role: Role = "teacher" if asked == "teacher" else "student"
    if role == "teacher":
        expected = request.app[SETTINGS].teacher_code
        given = body.optional_string(data, "teacherCode")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise ApiError("forbidden", "A teacher account needs the right teacher code")
    user = await request.app[ACCOUNTS].register(email, password, name, role)
    return _signed_in(request, user, status=201)


async def login(request: web.Request) -> web.Response:
    data = await body.json_object(request)
    email = body.string(data, "email", max_length=254).strip()
    password = body.string(data, "password", max_length=1024)
    user = await request.app[ACCOUNTS].authenticate(email, password)
    return _signed_in(request, user)


async def me(request: web.Request) -> web.Response:
    identity = required_identity(request)
    user = await request.app[ACCOUNTS].get(identity.user_id)
    if user is None:
        raise ApiError("unauthorized", "This account no longer exists: sign in again")
    return web.json_response({"user": user.to_json()})


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/api/auth/register", register)
    app.router.add_post("/api/auth/login", login)
    app.router.add_get("/api/auth/me", me)
