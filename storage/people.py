"""Queries over people: by email, and their digest setting; each takes the caller's session."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import DigestFrequency, Person


def person_by_email(*, session: Session, email: str) -> Person | None:
    """Emails are compared without case: Slack profiles and imports spell them differently."""
    return session.scalars(
        select(Person).where(func.lower(Person.email) == email.strip().lower())
    ).first()


def set_digest_frequency(*, session: Session, person_id: int, frequency: DigestFrequency) -> None:
    session.execute(update(Person).where(Person.id == person_id).values(digest_frequency=frequency))


def people_names(
    *, session: Session
) -> list[tuple[int, str, str, int | None, str, tuple[str, ...]]]:
    """(id, name, email, member id, role, expertise) of everyone in the records."""
    rows = session.execute(
        select(
            Person.id, Person.name, Person.email, Person.member_id, Person.role, Person.expertise
        )
    )
    return [
        (id, name, email, member_id, role or "", tuple(expertise or ()))
        for id, name, email, member_id, role, expertise in rows
    ]


def first_staff_person(*, session: Session) -> Person | None:
    return session.scalars(
        select(Person).where(Person.is_staff.is_(True)).order_by(Person.id)
    ).first()
