"""Queries behind members' own profile editing: the version a save must name, the audit trail,
the nudge log and the nudge opt-outs (tables in `storage.profile_models`).

Each takes the caller's session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session, selectinload

from storage import clock
from storage.digests import _insert
from storage.models import DeliveryStatus, Member, MembershipStatus, Person
from storage.profile_models import (
    MemberProfileState,
    ProfileChange,
    ProfileNudge,
    ProfileNudgeOptOut,
)

# --- versions ------------------------------------------------------------------------------


def profile_version(*, session: Session, member_id: int) -> int:
    """The version a save of this member's profile must name (0 before the first save)."""
    version = session.scalar(
        select(MemberProfileState.version).where(MemberProfileState.member_id == member_id)
    )
    return version or 0


def take_profile_version(*, session: Session, member_id: int, version: int) -> bool:
    """Raise the member's profile version from ``version`` by one; False when it is no longer
    ``version`` (someone saved in between).

    A compare-and-set in one statement, the first write of the save's transaction: of two
    saves naming the same version, the database lets exactly one through (PostgreSQL makes
    the second wait on the row and then finds it changed; SQLite serialises the writes).
    """
    session.execute(
        _insert(session)(MemberProfileState)
        .values(member_id=member_id, version=0, reviewed_at=None)
        .on_conflict_do_nothing(index_elements=["member_id"])
    )
    result = session.execute(
        update(MemberProfileState)
        .where(MemberProfileState.member_id == member_id, MemberProfileState.version == version)
        .values(version=MemberProfileState.version + 1, reviewed_at=clock.now())
    )
    return isinstance(result, CursorResult) and result.rowcount == 1


def mark_reviewed(*, session: Session, member_id: int) -> None:
    """The organisation's people said the profile is still true: it counts as looked at now."""
    session.execute(
        _insert(session)(MemberProfileState)
        .values(member_id=member_id, version=0, reviewed_at=None)
        .on_conflict_do_nothing(index_elements=["member_id"])
    )
    session.execute(
        update(MemberProfileState)
        .where(MemberProfileState.member_id == member_id)
        .values(reviewed_at=clock.now())
    )


def reviewed_at(*, session: Session, member_id: int) -> datetime | None:
    """When the profile was last saved or confirmed by its people; None when never."""
    return session.scalar(
        select(MemberProfileState.reviewed_at).where(MemberProfileState.member_id == member_id)
    )


def member_for_profile(*, session: Session, member_id: int) -> Member | None:
    """The member with its references and people loaded, as the profile form shows it."""
    return session.scalars(
        select(Member)
        .where(Member.id == member_id)
        .options(selectinload(Member.references), selectinload(Member.people))
    ).first()


# --- the audit trail ------------------------------------------------------------------------


def add_profile_change(
    *,
    session: Session,
    member_id: int,
    person: Person | None,
    kind: str,
    fields: Sequence[str],
    before: dict[str, Any],
    after: dict[str, Any],
) -> ProfileChange:
    change = ProfileChange(
        member_id=member_id,
        person_id=person.id if person else None,
        person_email=person.email if person else "",
        kind=kind,
        fields=list(fields),
        before=before,
        after=after,
        changed_at=clock.now(),
    )
    session.add(change)
    session.flush()
    return change


def profile_changes(
    *, session: Session, member_id: int | None = None, limit: int | None = None
) -> list[tuple[ProfileChange, str, str]]:
    """Saves, newest first, each with the member's slug and the person's name ("" if gone)."""
    query = (
        select(ProfileChange, Member.slug, func.coalesce(Person.name, ""))
        .join(Member, Member.id == ProfileChange.member_id)
        .outerjoin(Person, Person.id == ProfileChange.person_id)
        .order_by(ProfileChange.changed_at.desc(), ProfileChange.id.desc())
    )
    if member_id is not None:
        query = query.where(ProfileChange.member_id == member_id)
    if limit is not None:
        query = query.limit(limit)
    return [(change, slug, name) for change, slug, name in session.execute(query)]


# --- nudges ---------------------------------------------------------------------------------


def last_looked_at(*, session: Session) -> list[tuple[Member, datetime]]:
    """Every active member with when its profile was last looked at: saved or confirmed by
    its people, else when its record last changed (an import, its creation)."""
    looked = func.coalesce(MemberProfileState.reviewed_at, Member.updated_at)
    rows = session.execute(
        select(Member, looked)
        .outerjoin(MemberProfileState, MemberProfileState.member_id == Member.id)
        .where(Member.membership_status == MembershipStatus.ACTIVE)
        .order_by(Member.id)
    )
    # COALESCE loses the column type's conversion: SQLite hands back a naive UTC time.
    return [(member, at if at.tzinfo else at.replace(tzinfo=UTC)) for member, at in rows]


def nudge_recipients(*, session: Session, member_id: int) -> list[Person]:
    """The organisation's people on Slack who have not turned nudges off."""
    opted_out = select(ProfileNudgeOptOut.person_id)
    return list(
        session.scalars(
            select(Person)
            .where(
                Person.member_id == member_id,
                Person.slack_user_id.is_not(None),
                Person.id.not_in(opted_out),
            )
            .order_by(Person.name)
        )
    )


def claim_nudge(*, session: Session, member_id: int, period: str) -> int | None:
    """Claim this member's nudge for ``period``; its id, or None when another run has it."""
    inserted = session.execute(
        _insert(session)(ProfileNudge)
        .values(
            member_id=member_id,
            period=period,
            status=DeliveryStatus.PENDING,
            recipients=[],
            error="",
            claimed_at=clock.now(),
            answer="",
        )
        .on_conflict_do_nothing(index_elements=["member_id", "period"])
        .returning(ProfileNudge.id)
    ).scalar()
    return inserted


def finish_nudge(
    *, session: Session, nudge_id: int, recipients: Sequence[str], error: str = ""
) -> None:
    session.execute(
        update(ProfileNudge)
        .where(ProfileNudge.id == nudge_id)
        .values(
            status=DeliveryStatus.FAILED if error else DeliveryStatus.SENT,
            recipients=list(recipients),
            error=error,
            sent_at=None if error else clock.now(),
        )
    )


def answer_nudges(*, session: Session, member_id: int, answer: str) -> None:
    """Note the answer on the member's nudges not answered yet."""
    session.execute(
        update(ProfileNudge)
        .where(ProfileNudge.member_id == member_id, ProfileNudge.answer == "")
        .values(answer=answer)
    )


def nudges_of(*, session: Session, member_id: int) -> list[ProfileNudge]:
    return list(
        session.scalars(
            select(ProfileNudge)
            .where(ProfileNudge.member_id == member_id)
            .order_by(ProfileNudge.id)
        )
    )


def nudges_off(*, session: Session, person_id: int) -> bool:
    return session.get(ProfileNudgeOptOut, person_id) is not None


def set_nudges(*, session: Session, person_id: int, on: bool) -> None:
    found = session.get(ProfileNudgeOptOut, person_id)
    if on and found is not None:
        session.delete(found)
    elif not on and found is None:
        session.add(ProfileNudgeOptOut(person_id=person_id))
    session.flush()


def active_member_ids(*, session: Session) -> list[int]:
    return list(
        session.scalars(
            select(Member.id)
            .where(Member.membership_status == MembershipStatus.ACTIVE)
            .order_by(Member.name)
        )
    )
