"""A session: one program run live from a socket, as its owner and teachers see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class SessionInfo:
    id: str
    user_id: str | None
    user_name: str
    language: str
    code: str
    state: str
    started_at: str
    ended_at: str | None = None
    status: str | None = None

    def brief(self) -> dict[str, Any]:
        """What a class's roster shows of it."""
        return {
            "id": self.id,
            "language": self.language,
            "state": self.state,
            "startedAt": self.started_at,
        }
