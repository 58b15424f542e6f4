"""Queue every change to searchable records for the index, in the same transaction.

A listener on every ORM flush notes which members and challenges changed (a member's
references and people are part of its searchable profile), so no caller can forget to: an
import, a Slack modal and a script all reach the index the same way. Rows leave the outbox
only when the index has caught up (`retrieval.sync`), so a crash between the store's commit
and the index update is repaired on the next sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, event, func, insert, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, UOWTransaction

from storage import clock
from storage.index_models import IndexLease
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


def changed_search_keys(session: Session) -> set[tuple[str, int]]:
    """(MEMBER or CHALLENGE, id) of every searchable record the flush under way changed."""
    dirty = (obj for obj in session.dirty if session.is_modified(obj, include_collections=False))
    return _changed_keys([*session.new, *dirty, *session.deleted])


@event.listens_for(Session, "after_flush")
def _queue_index_changes(session: Session, _context: UOWTransaction) -> None:
    keys = changed_search_keys(session)
    if keys:
        now = clock.now()
        session.connection().execute(
            insert(IndexOutbox),
            [{"entity": e, "entity_key": str(k), "created_at": now} for e, k in sorted(keys)],
        )


def queue_every_record(*, session: Session) -> int:
    """Queue every member and challenge not queued yet for the index (one that was never
    built); returns how many were queued."""
    now = clock.now()
    queued = 0
    for entity, model in ((MEMBER, Member), (CHALLENGE, Challenge)):
        waiting = set(
            session.scalars(select(IndexOutbox.entity_key).where(IndexOutbox.entity == entity))
        )
        keys = [
            k for k in session.scalars(select(model.id).order_by(model.id)) if str(k) not in waiting
        ]
        rows = [{"entity": entity, "entity_key": str(key), "created_at": now} for key in keys]
        for start in range(0, len(rows), 1000):
            session.execute(insert(IndexOutbox), rows[start : start + 1000])
        queued += len(rows)
    return queued


def pending_index_changes(*, session: Session, limit: int = 1000) -> list[IndexOutbox]:
    """The oldest queued index changes (see storage.outbox)."""
    return list(session.scalars(select(IndexOutbox).order_by(IndexOutbox.id).limit(limit)))


def last_index_change_id(*, session: Session) -> int:
    return session.scalar(select(func.max(IndexOutbox.id))) or 0


def forget_index_changes(
    *, session: Session, up_to_id: int, records: Iterable[tuple[str, int]] | None = None
) -> None:
    """Drop queued changes the index has caught up with (only those of ``records`` when
    given); later ones stay queued."""
    query = delete(IndexOutbox).where(IndexOutbox.id <= up_to_id)
    if records is None:
        session.execute(query)
        return
    by_entity: dict[str, list[str]] = {}
    for entity, key in records:
        by_entity.setdefault(entity, []).append(str(key))
    for entity, keys in by_entity.items():
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            session.execute(
                query.where(IndexOutbox.entity == entity, IndexOutbox.entity_key.in_(chunk))
            )


def count_pending_index_changes(*, session: Session) -> int:
    """How many records (not outbox rows: a record changed twice counts once) wait for the
    index."""
    queued = select(IndexOutbox.entity, IndexOutbox.entity_key).distinct().subquery()
    return session.scalar(select(func.count()).select_from(queued)) or 0


OUTBOX_LEASE = "outbox"


def take_index_lease(
    *, session: Session, holder: str, seconds: float, name: str = OUTBOX_LEASE
) -> bool:
    """Take (or renew) the lease on applying the outbox; False when another holder has it.

    One UPDATE decides, atomically on SQLite and PostgreSQL: the lease is ours when it is
    already ours or has run out. The row is created by the first taker.
    """
    now = clock.now()
    expires = now + timedelta(seconds=seconds)
    taken = session.execute(
        update(IndexLease)
        .where(
            IndexLease.name == name,
            or_(IndexLease.holder == holder, IndexLease.expires_at < now),
        )
        .values(holder=holder, expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) == 1:
        return True
    if session.get(IndexLease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(IndexLease(name=name, holder=holder, expires_at=expires))
    except IntegrityError:  # another writer created it first: theirs
        return False
    return True


def release_index_lease(*, session: Session, holder: str, name: str = OUTBOX_LEASE) -> None:
    """Give the lease up at once (it would run out anyway)."""
    session.execute(
        update(IndexLease)
        .where(IndexLease.name == name, IndexLease.holder == holder)
        .values(expires_at=clock.now() - timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )
