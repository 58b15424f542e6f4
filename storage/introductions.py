"""Introduction requests between a person and a member's contact; each takes the session."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Introduction


def introduction_between(
    *, session: Session, asker_person_id: int, member_id: int
) -> Introduction | None:
    return session.scalars(
        select(Introduction).where(
            Introduction.asker_person_id == asker_person_id, Introduction.member_id == member_id
        )
    ).first()


def add_introduction(
    *,
    session: Session,
    asker_person_id: int,
    member_id: int,
    contact_person_id: int,
    question: str,
) -> Introduction | None:
    """The new request; None when a request racing this one (a double click) got there first."""
    intro = Introduction(
        asker_person_id=asker_person_id,
        member_id=member_id,
        contact_person_id=contact_person_id,
        question=question,
    )
    try:
        with session.begin_nested():
            session.add(intro)
    except IntegrityError:
        return None
    return intro


def introduction_by_id(*, session: Session, introduction_id: int) -> Introduction | None:
    return session.get(Introduction, introduction_id)
