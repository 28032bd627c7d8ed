"""What a signed-in caller may see, fetched and checked."""

from __future__ import annotations

import uuid
from datetime import datetime

from ..domain.access import asks_classes, sees_at_once
from ..domain.sessions import SessionInfo
from ..domain.tokens import Identity
from ..errors import Code, ServiceError
from ..store.classes import Classes
from ..store.sessions import SessionHub

NOT_YOURS = "it is not the work of a student in a class you teach"


async def may_see(classes: Classes, identity: Identity, owner: str | None, at: datetime) -> bool:
    if sees_at_once(identity, owner):
        return True
    if asks_classes(identity, owner):
        assert owner is not None
        return await classes.teacher_sees(identity.user_id, uuid.UUID(owner), at)
    return False


async def visible_session(
    hub: SessionHub, classes: Classes, identity: Identity, session_id: str
) -> SessionInfo:
    """The session, if `identity` may see it; `not_found` or `forbidden` otherwise."""
    session = await hub.find(session_id)
    if session is None:
        raise ServiceError(Code.NOT_FOUND, f"No session {session_id!r}")
    started = datetime.fromisoformat(session.started_at)
    if not await may_see(classes, identity, session.user_id, started):
        raise ServiceError(Code.FORBIDDEN, f"You cannot see this session: {NOT_YOURS}")
    return session


async def visible_student(classes: Classes, identity: Identity, student: uuid.UUID) -> None:
    """`forbidden` unless `identity` may see some of `student`'s work."""
    if sees_at_once(identity, str(student)):
        return
    if identity.is_teacher and await classes.teaches_student(identity.user_id, student):
        return
    raise ServiceError(Code.FORBIDDEN, f"You cannot see this student's work: {NOT_YOURS}")
