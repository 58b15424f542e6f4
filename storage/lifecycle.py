"""Queries for a challenge's life along its dates: which challenges the deadline has closed or
soon closes, who is interested, and the notice log that makes each message go out once.

Like the digests' delivery log, the notice log's writes are single statements whose outcome the
database decides (an INSERT that does nothing on conflict, an UPDATE with its condition in the
WHERE clause), so two bot processes running the daily job at once cannot both send a notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from storage.digests import _insert
from storage.lifecycle_models import ChallengeNotice, NoticeKind
from storage.models import (
    OPEN_STATUSES,
    Challenge,
    DeliveryStatus,
    Interest,
    Member,
    Person,
    Team,
    TeamMembership,
    TeamStatus,
)

# Teams whose proposal is in: nothing to remind them of.
DONE_TEAM_STATUSES = (TeamStatus.SUBMITTED, TeamStatus.WON, TeamStatus.LOST)
JOINABLE_TEAM_STATUSES = (TeamStatus.FORMING, TeamStatus.PROPOSAL_IN_PREPARATION)


def past_deadline_ids(*, session: Session, today: date) -> list[int]:
    """Challenges still in an open status whose deadline day is over."""
    return list(
        session.scalars(
            select(Challenge.id)
            .where(Challenge.status.in_(OPEN_STATUSES), Challenge.deadline < today)
            .order_by(Challenge.deadline, Challenge.id)
        )
    )


def challenge_for_update(*, session: Session, challenge_id: int) -> Challenge | None:
    """The challenge, its row held until commit (PostgreSQL; SQLite writes one at a time)."""
    return session.scalars(
        select(Challenge).where(Challenge.id == challenge_id).with_for_update()
    ).first()


def closing_between(*, session: Session, first: date, last: date) -> list[Challenge]:
    """Challenges open on ``first`` whose deadline falls in [first, last], soonest first."""
    return list(
        session.scalars(
            select(Challenge)
            .where(Challenge.open_on(first), Challenge.deadline <= last)
            .order_by(Challenge.deadline, Challenge.id)
        )
    )


def interested_member_ids(*, session: Session, challenge_id: int) -> set[int]:
    """Organisations that want in on the challenge and have not handed in a proposal: those
    that said they are interested or are on one of its forming teams, less those on a team
    that has submitted (or already won or lost)."""
    interested = set(
        session.scalars(select(Interest.member_id).where(Interest.challenge_id == challenge_id))
    )
    on_teams = session.execute(
        select(TeamMembership.member_id, Team.status)
        .join(Team, Team.id == TeamMembership.team_id)
        .where(Team.challenge_id == challenge_id)
    ).all()
    done = {member for member, status in on_teams if status in DONE_TEAM_STATUSES}
    forming = {member for member, status in on_teams if status in JOINABLE_TEAM_STATUSES}
    return (interested | forming) - done


@dataclass(frozen=True)
class InterestedPerson:
    slack_user_id: str
    member_id: int
    languages: tuple[str, ...]


def interested_people(
    *, session: Session, challenge_id: int, member_ids: set[int]
) -> list[InterestedPerson]:
    """The people who said their organisation (one of ``member_ids``) is interested, whom
    Slack can reach, in the order they said it."""
    if not member_ids:
        return []
    rows = session.execute(
        select(Person.slack_user_id, Interest.member_id, Member.languages)
        .join(Person, Person.id == Interest.person_id)
        .join(Member, Member.id == Interest.member_id)
        .where(
            Interest.challenge_id == challenge_id,
            Interest.member_id.in_(member_ids),
            Person.slack_user_id.is_not(None),
        )
        .order_by(Interest.created_at, Interest.id)
    ).all()
    return [
        InterestedPerson(str(user), member, tuple(languages or ()))
        for user, member, languages in rows
    ]


# --- the notice log --------------------------------------------------------------------------


def add_notice(
    *,
    session: Session,
    challenge_id: int,
    kind: NoticeKind,
    deadline: date,
    address: str,
    thread_ts: str,
    language: str,
    now: datetime,
) -> bool:
    """Queue a notice unless one for the same challenge, kind, deadline and place exists."""
    inserted = session.execute(
        _insert(session)(ChallengeNotice)
        .values(
            challenge_id=challenge_id,
            kind=kind,
            deadline=deadline,
            address=address,
            thread_ts=thread_ts,
            language=language,
            status=DeliveryStatus.PENDING,
            attempts=0,
            error="",
            created_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=["challenge_id", "kind", "deadline", "address", "thread_ts"]
        )
        .returning(ChallengeNotice.id)
    ).first()
    return inserted is not None


def _claimable(stale_before: datetime, max_attempts: int) -> object:
    return or_(
        and_(
            ChallengeNotice.status == DeliveryStatus.PENDING,
            or_(ChallengeNotice.claimed_at.is_(None), ChallengeNotice.claimed_at < stale_before),
        ),
        and_(
            ChallengeNotice.status == DeliveryStatus.FAILED,
            ChallengeNotice.attempts < max_attempts,
        ),
    )


def claimable_notice_ids(
    *, session: Session, stale_before: datetime, max_attempts: int
) -> list[int]:
    """Notices no run is sending now: new ones, abandoned ones and failed ones to retry."""
    return list(
        session.scalars(
            select(ChallengeNotice.id)
            .where(_claimable(stale_before, max_attempts))  # type: ignore[arg-type]
            .order_by(ChallengeNotice.id)
        )
    )


def claim_notice(
    *,
    session: Session,
    notice_id: int,
    token: str,
    now: datetime,
    stale_before: datetime,
    max_attempts: int,
) -> bool:
    """Take the right to send one notice; False when another run has it (or it is done).

    The condition is evaluated under the row's lock, so of any number of racing runs exactly
    one wins. The caller commits at once, before posting anything.
    """
    taken = session.execute(
        update(ChallengeNotice)
        .where(ChallengeNotice.id == notice_id, _claimable(stale_before, max_attempts))  # type: ignore[arg-type]
        .values(
            status=DeliveryStatus.PENDING,
            attempts=ChallengeNotice.attempts + 1,
            claimed_at=now,
            claim_token=token,
        )
        .execution_options(synchronize_session=False)
    )
    return int(taken.rowcount) == 1  # type: ignore[attr-defined]


def notice_by_id(*, session: Session, notice_id: int) -> ChallengeNotice | None:
    return session.get(ChallengeNotice, notice_id)


def finish_notice(
    *,
    session: Session,
    notice_id: int,
    token: str,
    status: DeliveryStatus,
    now: datetime,
    slack_ts: str | None = None,
    error: str = "",
) -> bool:
    """Close a claimed notice as sent (``slack_ts`` None: nothing needed saying any more) or
    failed; only the run holding the claim may."""
    values: dict[str, object] = {"status": status, "error": error[:500]}
    if status is DeliveryStatus.SENT:
        values |= {"sent_at": now, "slack_ts": slack_ts}
    result = session.execute(
        update(ChallengeNotice)
        .where(
            ChallengeNotice.id == notice_id,
            ChallengeNotice.claim_token == token,
            ChallengeNotice.status == DeliveryStatus.PENDING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def notices_of(*, session: Session, challenge_id: int) -> list[ChallengeNotice]:
    return list(
        session.scalars(
            select(ChallengeNotice)
            .where(ChallengeNotice.challenge_id == challenge_id)
            .order_by(ChallengeNotice.id)
        )
    )
