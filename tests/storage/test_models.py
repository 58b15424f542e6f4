"""The model's constraints: natural keys, delete rules, checks and UTC timestamps."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from storage.db import session_scope
from storage.models import (
    Challenge,
    ChallengeAccess,
    ChallengeStatus,
    DigestDelivery,
    DigestSubscription,
    Interest,
    Member,
    MemberKind,
    Person,
    Reference,
    Team,
    TeamMembership,
)


def add_member(
    session: Session, slug: str = "arctic-sense", name: str = "ArcticSense Oy"
) -> Member:
    member = Member(slug=slug, name=name, kind=MemberKind.COMPANY)
    session.add(member)
    session.flush()
    return member


def commit_fails(engine: Engine, *objects: object) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add_all(objects)


def test_member_slug_and_name_are_unique(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_member(session)
    commit_fails(engine, Member(slug="arctic-sense", name="Other", kind=MemberKind.COMPANY))
    commit_fails(engine, Member(slug="other", name="ArcticSense Oy", kind=MemberKind.COMPANY))


def test_person_email_and_slack_user_are_unique(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Person(email="a@x.fi", name="A", slack_user_id="U1"))
    commit_fails(engine, Person(email="a@x.fi", name="B"))
    commit_fails(engine, Person(email="b@x.fi", name="B", slack_user_id="U1"))
    with session_scope(engine) as session:  # many people may be unlinked at once
        session.add_all([Person(email="c@x.fi", name="C"), Person(email="d@x.fi", name="D")])


def test_unknown_kind_is_refused_by_the_database(engine: Engine) -> None:
    with pytest.raises((StatementError, LookupError)), session_scope(engine) as session:
        session.add(Member(slug="x", name="X", kind="spaceship"))
        session.flush()


def test_deleting_a_member_removes_its_references_but_keeps_its_people(engine: Engine) -> None:
    with session_scope(engine) as session:
        member = add_member(session)
        member.references.append(Reference(title="Snow load sensors", year=2022))
        session.add(Person(email="a@x.fi", name="A", member=member))
        session.add(Challenge(slug="roofs", title="Roofs", owner_member=member))
    with session_scope(engine) as session:
        session.delete(session.scalars(select(Member)).one())
    with session_scope(engine) as session:
        assert session.scalars(select(Reference)).all() == []
        person = session.scalars(select(Person)).one()
        assert person.member_id is None
        assert session.scalars(select(Challenge)).one().owner_member_id is None


def test_deleting_a_challenge_removes_its_teams_interests_and_access(engine: Engine) -> None:
    with session_scope(engine) as session:
        member = add_member(session)
        challenge = Challenge(slug="roofs", title="Roofs")
        session.add(challenge)
        session.flush()
        team = Team(challenge_id=challenge.id)
        session.add(team)
        session.flush()
        session.add_all(
            [
                TeamMembership(team_id=team.id, member_id=member.id, role="lead"),
                Interest(challenge_id=challenge.id, member_id=member.id),
                ChallengeAccess(challenge_id=challenge.id, member_id=member.id),
            ]
        )
    with session_scope(engine) as session:
        session.delete(session.scalars(select(Challenge)).one())
    with session_scope(engine) as session:
        for model in (Team, TeamMembership, Interest, ChallengeAccess):
            assert session.scalars(select(model)).all() == [], model.__name__
        assert session.scalars(select(Member)).one().slug == "arctic-sense"


def test_one_interest_per_organisation_and_challenge(engine: Engine) -> None:
    with session_scope(engine) as session:
        member = add_member(session)
        challenge = Challenge(slug="roofs", title="Roofs")
        session.add(challenge)
        session.flush()
        session.add(Interest(challenge_id=challenge.id, member_id=member.id))
        ids = (challenge.id, member.id)
    commit_fails(engine, Interest(challenge_id=ids[0], member_id=ids[1]))


def test_budget_must_be_in_order(engine: Engine) -> None:
    commit_fails(engine, Challenge(slug="c", title="C", budget_min=10, budget_max=5))


def test_digest_subscription_is_a_person_or_a_channel_not_both(engine: Engine) -> None:
    with session_scope(engine) as session:
        person = Person(email="a@x.fi", name="A")
        session.add(person)
        session.flush()
        person_id = person.id
    commit_fails(engine, DigestSubscription(person_id=person_id, slack_channel_id="C1"))
    commit_fails(engine, DigestSubscription())


def test_one_digest_delivery_per_subscriber_and_period(engine: Engine) -> None:
    with session_scope(engine) as session:
        subscription = DigestSubscription(slack_channel_id="C1")
        session.add(subscription)
        session.flush()
        session.add(DigestDelivery(subscription_id=subscription.id, period="2026-W48"))
        subscription_id = subscription.id
    commit_fails(engine, DigestDelivery(subscription_id=subscription_id, period="2026-W48"))


def test_timestamps_come_back_in_utc(engine: Engine) -> None:
    helsinki = timezone(timedelta(hours=2))
    moment = datetime(2026, 11, 24, 11, 0, tzinfo=helsinki)
    with session_scope(engine) as session:
        member = add_member(session)
        member.created_at = moment
    with session_scope(engine) as session:
        stored = session.scalars(select(Member)).one()
        assert stored.created_at == moment
        assert stored.created_at.utcoffset() == timedelta(0)
        assert stored.created_at.hour == 9
        assert stored.updated_at.tzinfo is not None
        assert abs(stored.updated_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), session_scope(engine) as session:
        member = add_member(session)
        member.created_at = datetime(2026, 1, 1)
        session.flush()


def test_open_on_in_sql_agrees_with_is_open_on(session: Session) -> None:
    day = date(2026, 11, 25)
    deadlines = (None, day - timedelta(days=1), day, day + timedelta(days=1))
    for n, (status, deadline) in enumerate(itertools.product(ChallengeStatus, deadlines)):
        session.add(Challenge(slug=f"c{n}", title=f"C{n}", status=status, deadline=deadline))
    session.flush()
    every = session.scalars(select(Challenge)).all()
    in_sql = set(session.scalars(select(Challenge.slug).where(Challenge.open_on(day))))
    assert in_sql == {c.slug for c in every if c.is_open_on(day)}
    # Open statuses with no deadline, today's or tomorrow's: 2 × 3.
    assert len(in_sql) == 6
