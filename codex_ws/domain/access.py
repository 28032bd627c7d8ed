"""Who may see what: a session is its owner's, and every teacher's."""

from __future__ import annotations

from .sessions import SessionInfo
from .tokens import Identity


def may_see(identity: Identity, session: SessionInfo) -> bool:
    return identity.is_teacher or session.user_id == str(identity.user_id)
