"""JSON Web Tokens (HS256) that carry who a request is from."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from ..errors import Code, ServiceError

ALGORITHM = "HS256"
ISSUER = "codex-ws"


@dataclass(frozen=True, slots=True)
class Identity:
    """What a valid token says: who, and which token (to revoke it)."""

    user_id: uuid.UUID
    role: str
    name: str
    # The token's own id (`jti`); None in tokens issued before tokens had one.
    token_id: str | None = None
    # The account's token generation when it was issued (`gen`): a password change moves the
    # account to the next one, and every token of an earlier one stops working.
    generation: int = 0
    expires_at: int = 0

    @property
    def is_teacher(self) -> bool:
        """Teaches, or administers (an admin may do all a teacher may)."""
        return self.role in ("teacher", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Tokens:
    """Issues and checks tokens with one secret."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._ttl = ttl_seconds

    def issue(self, user_id: uuid.UUID, role: str, name: str, generation: int = 0) -> str:
        now = int(time.time())
        claims = {
            "sub": str(user_id),
            "role": role,
            "name": name,
            "iss": ISSUER,
            "iat": now,
            "exp": now + self._ttl,
            "jti": uuid.uuid4().hex,
            "gen": generation,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Identity:
        """The identity in a token; `unauthorized` for anything forged, expired or malformed."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
            return _identity(claims)
        except jwt.ExpiredSignatureError:
            raise ServiceError(Code.UNAUTHORIZED, "The token has expired: sign in again") from None
        except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
            raise ServiceError(Code.UNAUTHORIZED, "The token is invalid: sign in again") from None


def _identity(claims: dict[str, Any]) -> Identity:
    token_id = claims.get("jti")
    generation = claims.get("gen", 0)
    if not isinstance(token_id, str | None) or type(generation) is not int:
        raise ValueError("malformed jti or gen")
    return Identity(
        uuid.UUID(claims["sub"]),
        str(claims["role"]),
        str(claims["name"]),
        token_id=token_id,
        generation=generation,
        expires_at=int(claims["exp"]),
    )
