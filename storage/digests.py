"""Queries for the opportunity digests: subscriptions, the delivery log, feedback and content.

The delivery log's writes are single statements whose outcome the database decides (an INSERT
that does nothing on conflict, an UPDATE with its condition in the WHERE clause), so that two
bot processes racing for the same subscriber and period cannot both win; see
bot.services.digests for how the sender uses them.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

# Visibility lives in one place (storage.challenges); the digests reuse its rule.
from storage.challenges import _visible_to
from storage.digest_models import DigestFeedback
from storage.models import (
    Challenge,
    DeliveryStatus,
    DigestDelivery,
    DigestFrequency,
    DigestSubscription,
    Interest,
    Member,
    Person,
    Team,
    TeamMembership,
    TeamStatus,
    TeamStatusChange,
    Visibility,
)


def _insert(session: Session) -> type[postgresql.Insert] | type[sqlite.Insert]:
    # Both dialects spell "insert if new" as ON CONFLICT DO NOTHING.
    return postgresql.Insert if session.get_bind().dialect.name == "postgresql" else sqlite.Insert


# --- subscriptions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscriber:
    """A subscription as the sender needs it: where the digest goes and for whom."""

    subscription_id: int
    person_id: int | None
    slack_user_id: str | None
    slack_channel_id: str | None


def ensure_person_subscriptions(*, session: Session) -> int:
    """Give every person who gets digests and whom Slack can reach a subscription row.

    A person's setting is `Person.digest_frequency` (the Home tab and `/digest` change it); the
    row is the anchor of their delivery log. Returns how many rows were added.
    """
    missing = session.scalars(
        select(Person.id).where(
            Person.slack_user_id.is_not(None),
            Person.digest_frequency != DigestFrequency.OFF,
            ~exists().where(DigestSubscription.person_id == Person.id),
        )
    ).all()
    added = 0
    for person_id in missing:
        statement = (
            _insert(session)(DigestSubscription)
            .values(person_id=person_id, frequency=DigestFrequency.WEEKLY)
            .on_conflict_do_nothing(index_elements=["person_id"])
            .returning(DigestSubscription.id)
        )
        added += session.execute(statement).first() is not None
    return added


def subscriber_of_person(*, session: Session, person_id: int) -> Subscriber | None:
    """The person's subscription, created when missing (a preview or `subscribe` needs one)."""
    statement = (
        _insert(session)(DigestSubscription)
        .values(person_id=person_id, frequency=DigestFrequency.WEEKLY)
        .on_conflict_do_nothing(index_elements=["person_id"])
    )
    session.execute(statement)
    row = session.execute(
        select(DigestSubscription.id, Person.slack_user_id)
        .join(Person, Person.id == DigestSubscription.person_id)
        .where(DigestSubscription.person_id == person_id)
    ).first()
    if row is None:
        return None
    return Subscriber(row.id, person_id, row.slack_user_id, None)


def person_subscription_id(*, session: Session, person_id: int) -> int | None:
    return session.scalar(
        select(DigestSubscription.id).where(DigestSubscription.person_id == person_id)
    )


def subscribe_channel(*, session: Session, channel_id: str, frequency: DigestFrequency) -> bool:
    """Start (or change) a channel's digest; True when it did not get one before."""
    current = channel_frequency(session=session, channel_id=channel_id)
    statement = (
        _insert(session)(DigestSubscription)
        .values(slack_channel_id=channel_id, frequency=frequency)
        .on_conflict_do_update(index_elements=["slack_channel_id"], set_={"frequency": frequency})
    )
    session.execute(statement)
    return current in (None, DigestFrequency.OFF)


def channel_frequency(*, session: Session, channel_id: str) -> DigestFrequency | None:
    """How often the channel gets the digest; None when it never subscribed."""
    return session.scalar(
        select(DigestSubscription.frequency).where(
            DigestSubscription.slack_channel_id == channel_id
        )
    )


def channel_subscriber(*, session: Session, channel_id: str) -> Subscriber | None:
    found = session.scalar(
        select(DigestSubscription.id).where(DigestSubscription.slack_channel_id == channel_id)
    )
    return Subscriber(found, None, None, channel_id) if found is not None else None


def due_subscribers(
    *, session: Session, frequency: DigestFrequency, period: str
) -> list[Subscriber]:
    """Subscribers on ``frequency`` whose digest for ``period`` is not done yet.

    Only a candidate list: whether a run may send is decided by claim_delivery.
    """
    done = exists().where(
        DigestDelivery.subscription_id == DigestSubscription.id,
        DigestDelivery.period == period,
        DigestDelivery.status == DeliveryStatus.SENT,
    )
    query = (
        select(
            DigestSubscription.id,
            DigestSubscription.person_id,
            Person.slack_user_id,
            DigestSubscription.slack_channel_id,
        )
        .outerjoin(Person, Person.id == DigestSubscription.person_id)
        .where(
            ~done,
            or_(
                and_(
                    DigestSubscription.person_id.is_not(None),
                    Person.slack_user_id.is_not(None),
                    Person.digest_frequency == frequency,
                ),
                and_(
                    DigestSubscription.slack_channel_id.is_not(None),
                    DigestSubscription.frequency == frequency,
                ),
            ),
        )
        .order_by(DigestSubscription.id)
    )
    return [Subscriber(*row) for row in session.execute(query)]


# --- the delivery log ------------------------------------------------------------------------


class Claim(enum.StrEnum):
    FIRST = "first"  # nobody tried this subscriber and period before
    RETRY = "retry"  # an earlier attempt failed or was abandoned: Slack may have it already


def claim_delivery(
    *,
    session: Session,
    subscription_id: int,
    period: str,
    token: str,
    now: datetime,
    stale_before: datetime,
    max_attempts: int,
) -> Claim | None:
    """Take the right to send this subscriber's digest for ``period``; None when another has it.

    First an INSERT that does nothing on conflict: of any number of racing runs, exactly one
    gets the row. Otherwise a compare-and-set UPDATE takes over a row that failed (fewer than
    ``max_attempts`` times) or whose 'pending' claim is older than ``stale_before`` (its run
    died); the WHERE clause is evaluated under the row lock, so only one run can win that too.
    The caller commits at once, before sending anything.
    """
    inserted = session.execute(
        _insert(session)(DigestDelivery)
        .values(
            subscription_id=subscription_id,
            period=period,
            status=DeliveryStatus.PENDING,
            attempts=1,
            error="",
            created_at=now,
            claimed_at=now,
            claim_token=token,
        )
        .on_conflict_do_nothing(index_elements=["subscription_id", "period"])
        # RETURNING, not rowcount: drivers report -1 rows for an INSERT run this way.
        .returning(DigestDelivery.id)
    ).first()
    if inserted is not None:
        return Claim.FIRST
    taken = session.execute(
        update(DigestDelivery)
        .where(
            DigestDelivery.subscription_id == subscription_id,
            DigestDelivery.period == period,
            or_(
                and_(
                    DigestDelivery.status == DeliveryStatus.PENDING,
                    or_(
                        DigestDelivery.claimed_at.is_(None),
                        DigestDelivery.claimed_at < stale_before,
                    ),
                ),
                and_(
                    DigestDelivery.status == DeliveryStatus.FAILED,
                    DigestDelivery.attempts < max_attempts,
                ),
            ),
        )
        .values(
            status=DeliveryStatus.PENDING,
            attempts=DigestDelivery.attempts + 1,
            claimed_at=now,
            claim_token=token,
        )
        .execution_options(synchronize_session=False)
    )
    return Claim.RETRY if int(taken.rowcount) == 1 else None  # type: ignore[attr-defined]


def _finish(
    session: Session, subscription_id: int, period: str, token: str, **values: object
) -> bool:
    # Only the run holding the claim may close it: a run that lost its lease changes nothing.
    result = session.execute(
        update(DigestDelivery)
        .where(
            DigestDelivery.subscription_id == subscription_id,
            DigestDelivery.period == period,
            DigestDelivery.claim_token == token,
            DigestDelivery.status == DeliveryStatus.PENDING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def mark_delivery_sent(
    *,
    session: Session,
    subscription_id: int,
    period: str,
    token: str,
    slack_ts: str | None,
    now: datetime,
) -> bool:
    """Close the period for this subscriber; ``slack_ts`` None means there was nothing to say."""
    return _finish(
        session,
        subscription_id,
        period,
        token,
        status=DeliveryStatus.SENT,
        slack_ts=slack_ts,
        sent_at=now,
        error="",
    )


def mark_delivery_failed(
    *, session: Session, subscription_id: int, period: str, token: str, error: str
) -> bool:
    return _finish(
        session, subscription_id, period, token, status=DeliveryStatus.FAILED, error=error[:500]
    )


def started_subscription_ids(*, session: Session, period: str) -> set[int]:
    """Subscriptions that have a delivery row (in any state) for ``period``."""
    return set(
        session.scalars(
            select(DigestDelivery.subscription_id).where(DigestDelivery.period == period)
        )
    )


def delivery_started_at(*, session: Session, subscription_id: int, period: str) -> datetime | None:
    """When the first attempt at this delivery was claimed: no copy can be older."""
    return session.scalar(
        select(DigestDelivery.created_at).where(
            DigestDelivery.subscription_id == subscription_id, DigestDelivery.period == period
        )
    )


def last_digest_at(*, session: Session, subscription_id: int, period: str) -> datetime | None:
    """When the subscriber's previous digest (another period) went out; None for the first."""
    return session.scalar(
        select(func.max(DigestDelivery.sent_at)).where(
            DigestDelivery.subscription_id == subscription_id,
            DigestDelivery.period != period,
            DigestDelivery.status == DeliveryStatus.SENT,
        )
    )


# --- "not relevant" feedback -----------------------------------------------------------------


def add_not_relevant(
    *, session: Session, member_id: int, challenge_id: int, person_id: int | None
) -> bool:
    """Remember the organisation does not want the challenge; False when it had said so."""
    statement = (
        _insert(session)(DigestFeedback)
        .values(member_id=member_id, challenge_id=challenge_id, person_id=person_id)
        .on_conflict_do_nothing(index_elements=["member_id", "challenge_id"])
        .returning(DigestFeedback.id)
    )
    return session.execute(statement).first() is not None


def not_relevant_ids(*, session: Session, member_id: int) -> set[int]:
    return set(
        session.scalars(
            select(DigestFeedback.challenge_id).where(DigestFeedback.member_id == member_id)
        )
    )


# --- what goes into a digest -----------------------------------------------------------------


def visible_challenges_by_id(
    *,
    session: Session,
    ids: Collection[int],
    member_id: int | None,
    is_staff: bool,
    open_on: date,
) -> dict[int, Challenge]:
    """The challenges among ``ids`` the viewer may see that are open on ``open_on``."""
    if not ids:
        return {}
    found = session.scalars(
        select(Challenge).where(
            Challenge.id.in_(list(ids)),
            _visible_to(member_id, is_staff),
            Challenge.open_on(open_on),
        )
    )
    return {c.id: c for c in found}


def open_challenges_visible(
    *,
    session: Session,
    member_id: int | None,
    is_staff: bool,
    open_on: date,
    limit: int,
) -> list[Challenge]:
    query = (
        select(Challenge)
        .where(_visible_to(member_id, is_staff), Challenge.open_on(open_on))
        .order_by(Challenge.created_at.desc(), Challenge.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def new_public_challenges(
    *, session: Session, since: datetime, open_on: date, limit: int
) -> list[Challenge]:
    """Public challenges still open on ``open_on`` that were added after ``since``, newest
    first."""
    query = (
        select(Challenge)
        .where(
            Challenge.visibility == Visibility.PUBLIC,
            Challenge.open_on(open_on),
            Challenge.created_at > since,
        )
        .order_by(Challenge.created_at.desc(), Challenge.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def deadlines_between(
    *,
    session: Session,
    member_id: int | None,
    is_staff: bool,
    public_only: bool,
    first: date,
    last: date,
    limit: int,
) -> list[Challenge]:
    """Challenges the viewer may see, open on ``first``, whose deadline falls in [first, last],
    soonest first."""
    visible = Challenge.visibility == Visibility.PUBLIC if public_only else None
    query = (
        select(Challenge)
        .where(
            visible if visible is not None else _visible_to(member_id, is_staff),
            Challenge.open_on(first),
            Challenge.deadline <= last,
        )
        .order_by(Challenge.deadline, Challenge.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def engaged_challenge_ids(*, session: Session, member_id: int) -> set[int]:
    """Challenges the organisation said it wants in on, or has a team for."""
    interested = select(Interest.challenge_id).where(Interest.member_id == member_id)
    teamed = (
        select(Team.challenge_id)
        .join(TeamMembership, TeamMembership.team_id == Team.id)
        .where(TeamMembership.member_id == member_id)
    )
    return set(session.scalars(interested.union(teamed)))


@dataclass(frozen=True)
class TeamEvent:
    """Something that happened around one of an organisation's teams."""

    kind: str  # "joined", "status" or "interest"
    at: datetime
    challenge_title: str
    team_name: str
    member_name: str = ""
    role: str = ""
    from_status: TeamStatus | None = None
    to_status: TeamStatus | None = None


def team_events_since(
    *, session: Session, member_id: int, since: datetime, limit: int
) -> list[TeamEvent]:
    """News of the organisation's teams after ``since``: who joined, status moves, interests."""
    own_teams = select(TeamMembership.team_id).where(TeamMembership.member_id == member_id)
    joined = session.execute(
        select(
            TeamMembership.joined_at, Challenge.title, Team.name, Member.name, TeamMembership.role
        )
        .join(Team, Team.id == TeamMembership.team_id)
        .join(Challenge, Challenge.id == Team.challenge_id)
        .join(Member, Member.id == TeamMembership.member_id)
        .where(TeamMembership.team_id.in_(own_teams), TeamMembership.joined_at > since)
    )
    events = [
        TeamEvent("joined", at, title, team, member_name=name, role=role)
        for at, title, team, name, role in joined
    ]
    moved = session.execute(
        select(
            TeamStatusChange.changed_at,
            Challenge.title,
            Team.name,
            TeamStatusChange.from_status,
            TeamStatusChange.to_status,
        )
        .join(Team, Team.id == TeamStatusChange.team_id)
        .join(Challenge, Challenge.id == Team.challenge_id)
        .where(TeamStatusChange.team_id.in_(own_teams), TeamStatusChange.changed_at > since)
    )
    events += [
        TeamEvent("status", at, title, team, from_status=old, to_status=new)
        for at, title, team, old, new in moved
    ]
    team = aliased(Team)
    interested = session.execute(
        select(Interest.created_at, Challenge.title, Member.name)
        .join(Challenge, Challenge.id == Interest.challenge_id)
        .join(Member, Member.id == Interest.member_id)
        .where(
            Interest.created_at > since,
            Interest.member_id != member_id,
            exists().where(team.challenge_id == Interest.challenge_id, team.id.in_(own_teams)),
        )
    )
    events += [
        TeamEvent("interest", at, title, "", member_name=name) for at, title, name in interested
    ]
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:limit]
