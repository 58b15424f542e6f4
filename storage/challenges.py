"""Queries over challenges for intake, listing and the App Home; each takes the caller's session.

Visibility lives here, in one place: staff see everything; everyone else sees public
challenges, their own organisation's, and restricted ones their organisation was let into.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, exists, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import (
    Challenge,
    ChallengeAccess,
    ChallengeStatus,
    Interest,
    Team,
    TeamStatus,
    Visibility,
)


@dataclass(frozen=True)
class NewChallenge:
    """The fields staff give a challenge at intake."""

    slug: str
    title: str
    description: str
    owner_member_id: int | None
    owner_name: str
    city: str
    country: str
    needs: list[str]
    tags: list[str]
    deadline: date | None
    budget_min: int | None
    budget_max: int | None
    visibility: Visibility
    status: ChallengeStatus
    created_by_id: int | None
    language: str = "en"


def slugs_starting_with(*, session: Session, prefix: str) -> set[str]:
    return set(session.scalars(select(Challenge.slug).where(Challenge.slug.startswith(prefix))))


def create_challenge(*, session: Session, data: NewChallenge) -> Challenge:
    """Store a new challenge; the flush gives it an id and queues it for the search index."""
    challenge = Challenge(
        slug=data.slug,
        title=data.title,
        description=data.description,
        owner_member_id=data.owner_member_id,
        owner_name=data.owner_name,
        city=data.city,
        country=data.country,
        needs=list(data.needs),
        tags=list(data.tags),
        deadline=data.deadline,
        budget_min=data.budget_min,
        budget_max=data.budget_max,
        visibility=data.visibility,
        status=data.status,
        created_by_id=data.created_by_id,
        language=data.language,
    )
    # The flush queues the challenge for the search index in this same transaction
    # (storage.outbox's listener), so no caller can forget to.
    session.add(challenge)
    session.flush()
    return challenge


def _visible_to(member_id: int | None, is_staff: bool) -> ColumnElement[bool]:
    if is_staff:
        return ~false()
    clauses: list[ColumnElement[bool]] = [Challenge.visibility == Visibility.PUBLIC]
    if member_id is not None:
        clauses.append(Challenge.owner_member_id == member_id)
        clauses.append(
            exists().where(
                ChallengeAccess.challenge_id == Challenge.id,
                ChallengeAccess.member_id == member_id,
            )
        )
    return or_(*clauses)


def _in_statuses(
    statuses: Collection[ChallengeStatus], open_on: date | None
) -> ColumnElement[bool]:
    if open_on is not None:
        return Challenge.open_on(open_on)
    return Challenge.status.in_(list(statuses))


def visible_challenges(
    *,
    session: Session,
    member_id: int | None,
    is_staff: bool,
    statuses: Collection[ChallengeStatus] = (),
    open_on: date | None = None,
    limit: int,
    offset: int = 0,
) -> list[Challenge]:
    """Newest first, as far as the viewer may see them: those open on ``open_on`` when it is
    given (an expired deadline closes a challenge whatever its status), else those in
    ``statuses``."""
    query = (
        select(Challenge)
        .where(_visible_to(member_id, is_staff), _in_statuses(statuses, open_on))
        .order_by(Challenge.created_at.desc(), Challenge.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))


def count_visible_challenges(
    *,
    session: Session,
    member_id: int | None,
    is_staff: bool,
    statuses: Collection[ChallengeStatus] = (),
    open_on: date | None = None,
) -> int:
    query = (
        select(func.count())
        .select_from(Challenge)
        .where(_visible_to(member_id, is_staff), _in_statuses(statuses, open_on))
    )
    return session.scalar(query) or 0


def challenge_by_key(
    *, session: Session, key: str, member_id: int | None, is_staff: bool
) -> Challenge | None:
    """A challenge by numeric id or slug, or None when it does not exist or is not visible."""
    key = key.strip()
    by_key = Challenge.id == int(key) if key.isdigit() else Challenge.slug == key.lower()
    return session.scalars(
        select(Challenge).where(by_key, _visible_to(member_id, is_staff))
    ).first()


def set_challenge_status(
    *, session: Session, challenge: Challenge, status: ChallengeStatus
) -> None:
    challenge.status = status
    session.flush()  # queues the index update, like every ORM change (storage.outbox)


def has_team_in_the_running(*, session: Session, challenge_id: int) -> bool:
    """Whether one of the challenge's teams is still forming or preparing its proposal."""
    return (
        session.scalar(
            select(Team.id)
            .where(
                Team.challenge_id == challenge_id,
                Team.status.in_([TeamStatus.FORMING, TeamStatus.PROPOSAL_IN_PREPARATION]),
            )
            .limit(1)
        )
        is not None
    )


def set_challenge_dates(
    *, session: Session, slug: str, created_at: datetime, updated_at: datetime
) -> None:
    """Date a challenge as created and last changed earlier than now (the demo data's ages)."""
    session.execute(
        update(Challenge)
        .where(Challenge.slug == slug)
        .values(created_at=created_at, updated_at=updated_at)
    )


def remember_challenge_card(
    *, session: Session, challenge_id: int, channel_id: str, thread_ts: str
) -> None:
    session.execute(
        update(Challenge)
        .where(Challenge.id == challenge_id)
        .values(slack_channel_id=channel_id, slack_thread_ts=thread_ts)
    )


def add_interest(
    *, session: Session, challenge_id: int, member_id: int, person_id: int | None
) -> bool:
    """Record the organisation's interest; False when it had already said so."""
    already = session.scalar(
        select(Interest.id).where(
            Interest.challenge_id == challenge_id, Interest.member_id == member_id
        )
    )
    if already is not None:
        return False
    try:
        # A savepoint: a click racing this one in another process loses quietly.
        with session.begin_nested():
            session.add(
                Interest(challenge_id=challenge_id, member_id=member_id, person_id=person_id)
            )
    except IntegrityError:
        return False
    return True


def interests_of_member(*, session: Session, member_id: int, limit: int) -> list[Challenge]:
    query = (
        select(Challenge)
        .join(Interest, Interest.challenge_id == Challenge.id)
        .where(Interest.member_id == member_id)
        .order_by(Interest.created_at.desc(), Interest.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def challenges_by_id(*, session: Session, ids: Collection[int] | None = None) -> list[Challenge]:
    query = select(Challenge)
    if ids is not None:
        query = query.where(Challenge.id.in_(ids))
    return list(session.scalars(query.order_by(Challenge.id)))


@dataclass(frozen=True)
class ChallengeFacts:
    """What a question can refer a challenge by, and who may see it."""

    id: int
    slug: str
    title: str
    city: str
    country: str
    region: str
    owner_name: str
    owner_member_id: int | None
    status: ChallengeStatus
    deadline: date | None
    visibility: Visibility
    allowed_member_ids: frozenset[int]
    needs: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    language: str = "en"


def challenge_facts(*, session: Session) -> list[ChallengeFacts]:
    allowed: dict[int, set[int]] = {}
    for challenge_id, member_id in session.execute(
        select(ChallengeAccess.challenge_id, ChallengeAccess.member_id)
    ):
        allowed.setdefault(challenge_id, set()).add(member_id)
    return [
        ChallengeFacts(
            id=c.id,
            slug=c.slug,
            title=c.title,
            city=c.city,
            country=c.country,
            region=c.region or "",
            owner_name=c.owner_name,
            owner_member_id=c.owner_member_id,
            status=c.status,
            deadline=c.deadline,
            visibility=c.visibility,
            allowed_member_ids=frozenset(allowed.get(c.id, ())),
            needs=tuple(c.needs or ()),
            tags=tuple(c.tags or ()),
            language=c.language,
        )
        for c in session.scalars(select(Challenge).order_by(Challenge.id))
    ]
