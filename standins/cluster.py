"""Small clusters to run the bot on: the cast of the Slack scenarios, and record builders.

Records are dated from the one clock (`storage.clock`), so a test that sets the clock gets
records as new or old as it says, on any day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from standins.slack import FakeSlack
from storage import clock
from storage.db import session_scope
from storage.models import (
    Challenge,
    ChallengeAccess,
    ChallengeStatus,
    DigestFrequency,
    DigestSubscription,
    Member,
    MemberKind,
    Person,
    Visibility,
)

STAFF_USER = "U0STAFF0001"
MEMBER_USER = "U0AINO00001"
LONER_USER = "U0LONER0001"  # a known person without an organisation
STRANGER_USER = "U0STRANGER1"


@dataclass(frozen=True)
class Cast:
    """The people the scenarios use, with their ids in the store."""

    staff_id: int
    member_person_id: int
    arctic_id: int
    espoo_id: int


def add_cast(engine: Engine) -> Cast:
    """Sari of the staff, Aino of Arctic Sense, a loner, and the City of Espoo."""
    with session_scope(engine) as session:
        arctic = Member(
            slug="arctic-sense",
            name="Arctic Sense Oy",
            kind=MemberKind.COMPANY,
            city="Oulu",
            country="Finland",
            description="Sensors that survive Arctic winters.",
            capabilities=["structural health monitoring", "embedded sensors"],
            technologies=["LoRaWAN"],
        )
        espoo = Member(slug="city-of-espoo", name="City of Espoo", kind=MemberKind.CITY)
        scic = Member(slug="scic", name="Smart City Innovation Cluster", kind=MemberKind.OTHER)
        session.add_all([arctic, espoo, scic])
        session.flush()
        staff = Person(
            email="Sari.Staff@scic.example", name="Sari Staff", member_id=scic.id, is_staff=True
        )
        aino = Person(
            email="aino.virtanen@arcticsense.example", name="Aino Virtanen", member_id=arctic.id
        )
        loner = Person(email="lone@wolf.example", name="Lone Wolf")
        session.add_all([staff, aino, loner])
        session.flush()
        return Cast(staff.id, aino.id, arctic.id, espoo.id)


def link_cast_to_slack(engine: Engine) -> None:
    """The cast as the bot knows them once each has used it (a command, a button): their
    Slack users linked. A modal is submitted only by someone who opened it, so linked."""
    users = {
        "sari.staff@scic.example": STAFF_USER,
        "aino.virtanen@arcticsense.example": MEMBER_USER,
        "lone@wolf.example": LONER_USER,
    }
    with session_scope(engine) as session:
        for person in session.scalars(select(Person)):
            user = users.get(person.email.lower())
            if user is not None:
                person.slack_user_id = user


def add_cast_profiles(fake: FakeSlack) -> None:
    """The cast's Slack profiles, and a stranger whom the store does not know."""
    # The Slack profile spells the staff email differently from the record on purpose.
    fake.add_user(STAFF_USER, "sari.staff@scic.example", "Sari Staff")
    fake.add_user(MEMBER_USER, "aino.virtanen@arcticsense.example", "Aino Virtanen")
    fake.add_user(LONER_USER, "lone@wolf.example", "Lone Wolf")
    fake.add_user(STRANGER_USER, "someone@elsewhere.example", "Some One")


def add_member(session: Session, slug: str, **fields: Any) -> Member:
    member = Member(slug=slug, name=fields.pop("name", slug.title()), kind=MemberKind.COMPANY)
    for key, value in fields.items():
        setattr(member, key, value)
    session.add(member)
    session.flush()
    return member


def add_person(
    session: Session,
    email: str,
    member: Member | None,
    slack_user_id: str | None,
    frequency: DigestFrequency = DigestFrequency.WEEKLY,
) -> Person:
    person = Person(
        email=email,
        name=email.split("@")[0].title(),
        member_id=member.id if member else None,
        slack_user_id=slack_user_id,
        digest_frequency=frequency,
    )
    session.add(person)
    session.flush()
    return person


def add_challenge(
    session: Session,
    slug: str,
    *,
    created_at: datetime | None = None,
    status: ChallengeStatus = ChallengeStatus.OPEN,
    visibility: Visibility = Visibility.PUBLIC,
    deadline: date | None = None,
    allowed: tuple[Member, ...] = (),
    **fields: Any,
) -> Challenge:
    challenge = Challenge(
        slug=slug,
        title=fields.pop("title", slug.replace("-", " ").capitalize()),
        status=status,
        visibility=visibility,
        deadline=deadline,
        # A day old, by default: new to this week's digest.
        created_at=created_at or clock.now() - timedelta(days=1),
        **fields,
    )
    session.add(challenge)
    session.flush()
    for member in allowed:
        session.add(ChallengeAccess(challenge_id=challenge.id, member_id=member.id))
    session.flush()
    return challenge


def add_channel(session: Session, channel_id: str) -> int:
    subscription = DigestSubscription(slack_channel_id=channel_id)
    session.add(subscription)
    session.flush()
    return subscription.id


def crowd(engine: Engine, people: int, channels: int = 0) -> list[str]:
    """``people`` subscribers in one organisation and ``channels`` channels, all with news.

    Returns every recipient's Slack address (user or channel id).
    """
    with session_scope(engine) as session:
        member = add_member(session, "crowd-oy", capabilities=["snow"])
        add_challenge(session, "snow-ploughing", needs=["snow"], title="Snow ploughing")
        addresses = []
        for n in range(people):
            user = f"U{n:09d}"
            add_person(session, f"p{n}@crowd.example", member, user)
            addresses.append(user)
        for n in range(channels):
            channel = f"C{n:09d}"
            add_channel(session, channel)
            addresses.append(channel)
    return addresses
