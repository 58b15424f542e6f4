"""Why a profile matters: suggestions in the last 30 days and for which needs, introductions,
narrow misses with the words the profile lacks; never who asked, never a restricted challenge
to outsiders (SQLite and PostgreSQL, a real index with the offline embedder)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import chromadb
import pytest
import time_machine
from sqlalchemy import Engine

from bot.services import impact
from bot.services.identity import Viewer, viewer_of
from bot.services.matching import SolverSearch
from bot.services.profiles import ProfileNotAllowed
from standins.cluster import MEMBER_USER, STAFF_USER, Cast, add_cast, add_challenge, add_member
from standins.search import FakeEmbedder, fresh_search
from storage import clock as store_clock
from storage.db import session_scope
from storage.models import (
    Introduction,
    IntroductionStatus,
    Member,
    Person,
    QuestionLog,
    SolverSuggestion,
    Visibility,
)

LEAK = "who can do district heating leak detection?"


@pytest.fixture
def cast(engine: Engine, clock: time_machine.Traveller) -> Cast:
    """Arctic Sense does district heating, two others do leak detection in district heating;
    a month of questions, card suggestions (one restricted) and introductions."""
    cast = add_cast(engine)
    now = store_clock.now()
    with session_scope(engine) as session:
        arctic = session.get_one(Member, cast.arctic_id)
        arctic.capabilities = ["district heating network monitoring", "embedded sensors"]
        for slug in ("leakfind", "heatwatch"):
            add_member(
                session,
                slug,
                capabilities=["district heating leak detection", "acoustic leak detection"],
            )
        asker = session.get_one(Person, cast.staff_id)
        session.add_all(
            [
                QuestionLog(
                    person_id=asker.id,
                    question=LEAK,
                    answered_members=["leakfind", "heatwatch"],
                    created_at=now - timedelta(days=2),
                ),
                QuestionLog(
                    person_id=asker.id,
                    question="who can monitor structural health of bridges?",
                    answered_members=["arctic-sense"],
                    created_at=now - timedelta(days=3),
                ),
                QuestionLog(  # too long ago to count
                    person_id=asker.id,
                    question="who can do snow sensing?",
                    answered_members=["arctic-sense"],
                    created_at=now - timedelta(days=45),
                ),
            ]
        )
        public = add_challenge(session, "roof-loads", title="Roof loads in Espoo schools")
        secret = add_challenge(
            session,
            "secret-bridge",
            title="Secret bridge sensing",
            visibility=Visibility.RESTRICTED,
        )
        for challenge in (public, secret):
            session.add(SolverSuggestion(challenge_id=challenge.id, member_id=arctic.id, score=0.5))
        session.add_all(
            [
                Introduction(
                    asker_person_id=asker.id,
                    member_id=arctic.id,
                    status=IntroductionStatus.ACCEPTED,
                    created_at=now - timedelta(days=1),
                ),
            ]
        )
    return cast


@pytest.fixture
def search(engine: Engine, cast: Cast) -> Iterator[SolverSearch]:
    yield fresh_search(chromadb.EphemeralClient(), FakeEmbedder(), engine)


def viewer(engine: Engine, person_id: int, user: str) -> Viewer:
    with session_scope(engine) as session:
        return viewer_of(session.get_one(Person, person_id), user)


def test_a_members_people_see_their_numbers_without_restricted_challenges(
    engine: Engine, cast: Cast, search: SolverSearch
) -> None:
    aino = viewer(engine, cast.member_person_id, MEMBER_USER)
    found = impact.member_impact(
        engine=engine, search=search, viewer=aino, member_id=cast.arctic_id, operator_member="scic"
    )
    # One question (the 45-day-old one is out) and the public card; not the restricted one.
    assert found.suggested == 2
    assert found.topics == ("monitor structural health of bridges", "Roof loads in Espoo schools")
    assert "Secret" not in str(found.as_record())
    assert (found.introductions, found.introductions_accepted) == (1, 1)
    # Third for the leak question, just below the two members its answer listed.
    assert [(m.rank, m.need, m.missing) for m in found.misses] == [
        (3, "district heating leak detection", ("leak detection",))
    ]


def test_staff_see_restricted_challenges_and_others_see_nothing(
    engine: Engine, cast: Cast, search: SolverSearch
) -> None:
    staff = viewer(engine, cast.staff_id, STAFF_USER)
    found = impact.member_impact(
        engine=engine, search=search, viewer=staff, member_id=cast.arctic_id
    )
    assert found.suggested == 3 and "Secret bridge sensing" in found.topics
    with session_scope(engine) as session:
        leakfind = session.query(Member).filter_by(slug="leakfind").one().id
    aino = viewer(engine, cast.member_person_id, MEMBER_USER)
    with pytest.raises(ProfileNotAllowed):
        impact.member_impact(engine=engine, search=search, viewer=aino, member_id=leakfind)


def test_a_topic_naming_a_restricted_challenge_is_left_out_for_outsiders(
    engine: Engine, cast: Cast, search: SolverSearch
) -> None:
    with session_scope(engine) as session:
        session.add(
            QuestionLog(
                question="who could help with the Secret bridge sensing challenge?",
                answered_members=["arctic-sense"],
                created_at=store_clock.now() - timedelta(days=1),
            )
        )
    aino = viewer(engine, cast.member_person_id, MEMBER_USER)
    found = impact.member_impact(
        engine=engine, search=search, viewer=aino, member_id=cast.arctic_id
    )
    assert found.suggested == 3  # counted: the member was listed
    assert not any("Secret" in topic for topic in found.topics)


def test_the_report_covers_every_active_member_but_the_cluster_itself(
    engine: Engine, cast: Cast, search: SolverSearch
) -> None:
    report = impact.members_report(engine=engine, search=search, operator_member="scic")
    by_slug = {row.member_slug: row for row in report}
    assert set(by_slug) == {"arctic-sense", "city-of-espoo", "leakfind", "heatwatch"}
    assert by_slug["leakfind"].suggested == 1 and by_slug["arctic-sense"].suggested == 3


def test_missing_phrases_keep_consecutive_words_together() -> None:
    known = impact.profile_words(
        Member(name="X", description="District heating networks", capabilities=[])
    )
    assert impact.missing_phrases("district heating leak detection in Oulu", known) == (
        "leak detection",
        "oulu",
    )
