"""Who a request is from: the bearer token (or `?token=` on WebSockets), checked, and not
revoked (signed out, or its account's password changed since)."""

from __future__ import annotations

from aiohttp import web

from ..domain.tokens import Identity
from ..errors import Code, ServiceError
from .keys import REVOCATIONS, TOKENS
from .middleware import Handler

# The tokens a request carries, verified once by `revocation_middleware`: the identity of each
# good one, or the error it gets (malformed, forged, expired or revoked).
_CHECKED = web.RequestKey("codex_checked_tokens", dict[str, Identity | ServiceError])


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
    if token is None:
        return None
    known: dict[str, Identity | ServiceError] = request.get(_CHECKED, {})
    checked = known.get(token)
    if checked is None:
        return request.app[TOKENS].verify(token)
    if isinstance(checked, ServiceError):
        raise checked
    return checked


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


async def identity_of(app: web.Application, token: str) -> Identity:
    """The identity of a token sent in a message rather than with the request: checked, and
    not revoked."""
    identity = app[TOKENS].verify(token)
    if await app[REVOCATIONS].is_revoked(identity):
        raise _revoked()
    return identity


@web.middleware
async def revocation_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Look up, before the handler runs, whether the tokens the request carries were revoked
    (that needs PostgreSQL, which the synchronous identity functions above cannot ask)."""
    checked: dict[str, Identity | ServiceError] = {}
    for token in _tokens_sent(request):
        try:
            identity = request.app[TOKENS].verify(token)
        except ServiceError as exc:
            checked[token] = exc  # raised only where the token is read
            continue
        revoked = await request.app[REVOCATIONS].is_revoked(identity)
        checked[token] = _revoked() if revoked else identity
    if checked:
        request[_CHECKED] = checked
    return await handler(request)


def _tokens_sent(request: web.Request) -> list[str]:
    try:
        header = bearer_token(request)
    except ServiceError:
        header = None  # refused where it is read
    return [token for token in (header, request.query.get("token")) if token]


def _revoked() -> ServiceError:
    return ServiceError(
        Code.UNAUTHORIZED,
        "This token no longer works (signed out, or the password changed): sign in again",
    )
