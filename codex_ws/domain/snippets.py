"""Share links: a copy of a program, immutable, opened in the IDE at `/s/<id>`."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

# 72 random bits: share links cannot be guessed or enumerated.
ID_BYTES = 9
_ID = re.compile(r"^[A-Za-z0-9_-]{12}$")


@dataclass(frozen=True, slots=True)
class Snippet:
    id: str
    language: str
    code: str
    created_at: datetime

    @property
    def path(self) -> str:
        return f"/s/{self.id}"


def new_snippet_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def is_snippet_id(text: str) -> bool:
    return bool(_ID.match(text))
