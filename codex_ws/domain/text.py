"""What text the service can store."""

from __future__ import annotations

from ..errors import Code, ServiceError


def without_nul(value: str, name: str) -> str:
    """`value`, unless it holds a NUL character, which PostgreSQL's text cannot store."""
    if "\x00" in value:
        raise ServiceError(Code.INVALID_REQUEST, f"'{name}' cannot contain NUL characters")
    return value
