"""What a signed-in caller may see, fetched and checked."""

from __future__ import annotations

from ..domain.access import may_see
from ..domain.sessions import SessionInfo
from ..domain.tokens import Identity
from ..errors import Code, ServiceError
from ..store.sessions import SessionHub


async def visible_session(hub: SessionHub, identity: Identity, session_id: str) -> SessionInfo:
    """The session, if `identity` may see it; `not_found` or `forbidden` otherwise."""
    session = await hub.find(session_id)
    if session is None:
        raise ServiceError(Code.NOT_FOUND, f"No session {session_id!r}")
    if not may_see(identity, session):
        raise ServiceError(Code.FORBIDDEN, "Only a teacher or the session's owner can see it")
    return session
