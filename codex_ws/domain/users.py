"""Accounts as the service knows them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Role = Literal["student", "teacher", "admin"]
ROLES: tuple[Role, ...] = ("student", "teacher", "admin")
# The roles a sign-up may ask for; admins are made on the server (`codex-ws users`).
REGISTERED_ROLES: tuple[Role, ...] = ("student", "teacher")


@dataclass(frozen=True, slots=True)
class User:
    id: uuid.UUID
    email: str  # signs in, with the password; unique in any letter case
    name: str  # what teachers see
    role: Role
    created_at: datetime
    # Tokens carry the generation they were issued in; a password change moves to the next.
    token_generation: int = 0
