"""JSON Web Tokens (HS256) that carry who a request is from."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from ..errors import Code, ServiceError

ALGORITHM = "HS256"
ISSUER = "codex-ws"


@dataclass(frozen=True, slots=True)
class Identity:
    """What a valid token says."""

    user_id: uuid.UUID
    role: str
    name: str

    @property
    def is_teacher(self) -> bool:
        return self.role == "teacher"


class Tokens:
    """Issues and checks tokens with one secret."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._ttl = ttl_seconds

    def issue(self, user_id: uuid.UUID, role: str, name: str) -> str:
        now = int(time.time())
        claims = {
            "sub": str(user_id),
            "role": role,
            "name": name,
            "iss": ISSUER,
            "iat": now,
            "exp": now + self._ttl,
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
            return Identity(uuid.UUID(claims["sub"]), str(claims["role"]), str(claims["name"]))
        except jwt.ExpiredSignatureError:
            raise ServiceError(Code.UNAUTHORIZED, "The token has expired: sign in again") from None
        except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
            raise ServiceError(Code.UNAUTHORIZED, "The token is invalid: sign in again") from None
