"""Who a request is from: the bearer token (or `?token=` on WebSockets), checked."""

from __future__ import annotations

from aiohttp import web

from ..domain.tokens import Identity
from ..errors import Code, ServiceError
from .keys import TOKENS


def bearer_token(request: web.Request, *, allow_query: bool = False) -> str | None:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ServiceError(
                Code.UNAUTHORIZED, "The Authorization header must be 'Bearer <token>'"
            )
        return token.strip()
    if allow_query:
        return request.query.get("token") or None
    return None


def optional_identity(request: web.Request, *, allow_query: bool = False) -> Identity | None:
    """The caller, or None when no token was sent; a bad token is an error, never anonymous."""
    token = bearer_token(request, allow_query=allow_query)
    return request.app[TOKENS].verify(token) if token is not None else None


def required_identity(request: web.Request, *, allow_query: bool = False) -> Identity:
    identity = optional_identity(request, allow_query=allow_query)
    if identity is None:
        raise ServiceError(Code.UNAUTHORIZED, "Sign in first: send 'Authorization: Bearer <token>'")
    return identity


def required_teacher(request: web.Request) -> Identity:
    identity = required_identity(request)
    if not identity.is_teacher:
        raise ServiceError(Code.FORBIDDEN, "Only teachers can do this")
    return identity
