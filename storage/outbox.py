"""Queue every change to searchable records for the index, in the same transaction.

A listener on every ORM flush notes which members and challenges changed (a member's
references and people are part of its searchable profile), so no caller can forget to: an
import, a Slack modal and a script all reach the index the same way. Rows leave the outbox
only when the index has caught up (`retrieval.sync`), so a crash between the store's commit
and the index update is repaired on the next sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, event, func, insert, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from storage import clock
from storage.models import (
    Challenge,
    IndexOutbox,
    Member,
    Person,
    Reference,
)

MEMBER = "member"
CHALLENGE = "challenge"


def _old_and_new(obj: Any, attribute: str) -> set[int]:
    history = inspect(obj).attrs[attribute].history
    values = {*history.added, *history.deleted, *history.unchanged}
    return {value for value in values if value is not None}


def _changed_keys(objects: Iterable[Any]) -> set[tuple[str, int]]:
    keys: set[tuple[str, int]] = set()
    for obj in objects:
        if isinstance(obj, Member) and obj.id is not None:
            keys.add((MEMBER, obj.id))
        elif isinstance(obj, Challenge) and obj.id is not None:
            keys.add((CHALLENGE, obj.id))
        elif isinstance(obj, Reference | Person):
            keys |= {(MEMBER, member_id) for member_id in _old_and_new(obj, "member_id")}
    return keys


@event.listens_for(Session, "after_flush")
def _queue_index_changes(session: Session, _context: UOWTransaction) -> None:
    dirty = (obj for obj in session.dirty if session.is_modified(obj, include_collections=False))
    keys = _changed_keys([*session.new, *dirty, *session.deleted])
    if keys:
        now = clock.now()
        session.connection().execute(
            insert(IndexOutbox),
            [{"entity": e, "entity_key": str(k), "created_at": now} for e, k in sorted(keys)],
        )


def pending_index_changes(*, session: Session, limit: int = 1000) -> list[IndexOutbox]:
    """The oldest queued index changes (see storage.outbox)."""
    return list(session.scalars(select(IndexOutbox).order_by(IndexOutbox.id).limit(limit)))


def last_index_change_id(*, session: Session) -> int:
    return session.scalar(select(func.max(IndexOutbox.id))) or 0


def forget_index_changes(*, session: Session, up_to_id: int) -> None:
    """Drop queued changes the index has caught up with; later ones stay queued."""
    session.execute(delete(IndexOutbox).where(IndexOutbox.id <= up_to_id))
