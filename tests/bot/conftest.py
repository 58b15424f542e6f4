"""Fixtures for the Slack side: a fake Slack Web API, the bot behind a real port, known people.

Everything that touches the store uses the `engine` fixture, so each flow runs on SQLite and
on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from storage.db import session_scope
from storage.models import Member, MemberKind, Person
from tests.bot.slack_harness import FakeSlack, RunningBot, running_bot

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


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    # The Slack profile spells the staff email differently from the record on purpose.
    fake.add_user(STAFF_USER, "sari.staff@scic.example", "Sari Staff")
    fake.add_user(MEMBER_USER, "aino.virtanen@arcticsense.example", "Aino Virtanen")
    fake.add_user(LONER_USER, "lone@wolf.example", "Lone Wolf")
    fake.add_user(STRANGER_USER, "someone@elsewhere.example", "Some One")
    yield fake
    fake.stop()


@pytest.fixture
def cast(engine: Engine) -> Cast:
    return add_cast(engine)


@pytest.fixture
def bot(engine: Engine, fake_slack: FakeSlack, cast: Cast) -> Iterator[RunningBot]:
    with running_bot(engine, fake_slack) as running:
        yield running
