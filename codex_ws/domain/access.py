"""Who may see what: a session is its owner's, and every teacher's."""

from __future__ import annotations

from ..errors import Code, ServiceError
from ..store.sessions import SessionHub, SessionInfo
from .tokens import Identity


def may_see(identity: Identity, session: SessionInfo) -> bool:
    return identity.is_teacher or session.user_id == str(identity.user_id)


async def visible_session(hub: SessionHub, identity: Identity, session_id: str) -> SessionInfo:
    """The session, if `identity` may see it; `not_found` or `forbidden` otherwise."""
    session = await hub.find(session_id)
    if session is None:
        raise ServiceError(Code.NOT_FOUND, f"No session {session_id!r}")
    if not may_see(identity, session):
        raise ServiceError(Code.FORBIDDEN, "Only a teacher or the session's owner can see it")
    return session
