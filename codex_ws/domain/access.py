"""Who may see whose work: an admin everyone's, anyone their own, a teacher their students'
from the periods those students spent in a class the teacher teaches (store/classes.py keeps
those periods). Anonymous work is seen by admins only."""

from __future__ import annotations

from .tokens import Identity


def sees_at_once(identity: Identity, owner: str | None) -> bool:
    """Whether `identity` may see work of `owner` (None: anonymous) without asking classes."""
    return identity.is_admin or (owner is not None and owner == str(identity.user_id))


def asks_classes(identity: Identity, owner: str | None) -> bool:
    """Whether the classes decide (a teacher looking at someone else's signed-in work)."""
    return identity.is_teacher and owner is not None and owner != str(identity.user_id)
