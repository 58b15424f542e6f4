"""Who can solve this: ranking with evidence and contacts, feedback, teams, visibility.

Logic tests use the fake embedder; quality tests use the real all-MiniLM-L6-v2 files
(EMBEDDING_MODEL_DIR) on a small hand-written cluster shaped like the demo data.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import chromadb
import pytest
import time_machine
from sqlalchemy import Engine, select

from bot.services.identity import Viewer
from bot.services.matching import (
    SolverSearch,
    challenges_for_member,
    set_feedback,
    suggest_solvers,
    suggest_team,
)
from bot.services.questions.asking import find
from retrieval.embedding import Embedder
from standins.search import FakeEmbedder, fresh_search
from storage.db import session_scope
from storage.models import (
    Challenge,
    ChallengeAccess,
    DigestFrequency,
    Member,
    SuggestionFeedback,
)
from tests.conftest import NOW
from tests.search_fixtures import load

MEMBERS: list[dict[str, Any]] = [
    {
        "slug": "kantava",
        "name": "Kantava Structural Monitoring Oy",
        "kind": "company",
        "city": "Oulu",
        "country": "Finland",
        "description": "Sensors and analytics for the structural safety of buildings and bridges.",
        "capabilities": ["snow load sensing on flat roofs", "structural health monitoring"],
        "technologies": ["LoRaWAN", "strain gauges"],
        "references": [
            {
                "title": "Roof load alarms for Oulu schools",
                "year": 2023,
                "client": "City of Oulu",
                "description": "Wireless sensors warned caretakers before roofs carried too much snow.",
            }
        ],
    },
    {
        "slug": "lampoverkko",
        "name": "Lämpöverkko Oy",
        "kind": "company",
        "city": "Tampere",
        "country": "Finland",
        "description": "Software for heat utilities: demand forecasting and peak shaving in district heating networks.",
        "capabilities": ["district heating demand response", "heat load forecasting"],
    },
    {
        "slug": "kaupunkidata",
        "name": "Kaupunkidata Oy",
        "kind": "company",
        "city": "Espoo",
        "country": "Finland",
        "description": "Open urban data platform that integrates sensor feeds and publishes dashboards for cities.",
        "capabilities": ["urban data platform", "real-time dashboards", "API integration"],
    },
    {
        "slug": "frostline",
        "name": "Frostline Geotech AS",
        "kind": "company",
        "city": "Tromsø",
        "country": "Norway",
        "description": "Ground engineering for permafrost and frost heave in Arctic towns.",
        "capabilities": ["ground frost monitoring", "foundation design in permafrost"],
    },
    {
        "slug": "parkly",
        "name": "Parkly",
        "kind": "company",
        "city": "Madrid",
        "country": "Spain",
        "description": "Smart parking: occupancy sensors and guidance apps for drivers.",
        "capabilities": ["parking occupancy sensing", "driver guidance apps"],
    },
    {
        "slug": "oldtimer",
        "name": "Oldtimer Oy",
        "kind": "company",
        "membership_status": "former",
        "description": "Snow load sensing on flat roofs.",
        "capabilities": ["snow load sensing"],
    },
    {
        "slug": "city-of-espoo",
        "name": "City of Espoo",
        "kind": "city",
        "city": "Espoo",
        "country": "Finland",
        "description": "Anchor city; offers pilot sites.",
        "capabilities": ["pilot sites"],
    },
]
PEOPLE: list[dict[str, Any]] = [
    {
        "email": "markus@kantava.fi",
        "name": "Markus Holmberg",
        "organisation": "kantava",
        "role": "CEO",
        "slack_user_id": "U0KANTAVA",
    },
    {"email": "liisa@kaupunkidata.fi", "name": "Liisa Koski", "organisation": "kaupunkidata"},
    {"email": "staff@scic.example", "name": "Sara Staff", "is_staff": True},
]
CHALLENGES: list[dict[str, Any]] = [
    {
        "slug": "espoo-winter-roofs",
        "title": "Winter roof safety for public buildings",
        "description": "Espoo wants early warnings before heavy snow makes school roofs unsafe, and a shared view of the alerts for the city's maintenance teams.",
        "owner_member": "city-of-espoo",
        "owner_name": "City of Espoo",
        "city": "Espoo",
        "needs": ["roof snow load sensing", "city-wide data dashboard"],
        "status": "open",
    },
    {
        "slug": "tampere-heat-peaks",
        "title": "Cutting heat demand peaks in Tampere",
        "description": "Tampere's district heating needs demand flexibility on cold mornings.",
        "owner_name": "Tampere Energy",
        "city": "Tampere",
        "status": "open",
        "needs": ["heat demand flexibility"],
    },
    {
        "slug": "secret-parking",
        "title": "Confidential parking pilot",
        "description": "Parking occupancy sensing for a confidential pilot.",
        "owner_name": "Confidential city",
        "status": "open",
        "visibility": "restricted",
        "allowed_members": ["kaupunkidata"],
    },
]


def populate(engine: Engine) -> None:
    load(engine, "members", MEMBERS)
    load(engine, "people", PEOPLE)
    load(engine, "challenges", CHALLENGES)


def search_with(engine: Engine, embedder: Embedder | None) -> SolverSearch:
    populate(engine)
    search = fresh_search(chromadb.EphemeralClient(), embedder, engine)
    search.catch_up()
    return search


def challenge(engine: Engine, slug: str) -> Challenge:
    with session_scope(engine) as session:
        return session.scalars(select(Challenge).where(Challenge.slug == slug)).one()


def viewer_at(engine: Engine, slug: str | None, *, staff: bool = False) -> Viewer:
    member_id = None
    if slug:
        with session_scope(engine) as session:
            member_id = session.scalars(select(Member.id).where(Member.slug == slug)).one()
    return Viewer(
        person_id=1,
        name="V",
        email="v@x.fi",
        is_staff=staff,
        member_id=member_id,
        member_name="",
        digest_frequency=DigestFrequency.WEEKLY,
        slack_user_id="U1",
    )


@pytest.fixture
def fake_search(engine: Engine) -> SolverSearch:
    return search_with(engine, FakeEmbedder())


def test_matches_carry_evidence_reason_and_contacts(fake_search: SolverSearch) -> None:
    with session_scope(fake_search.engine) as session:
        (best, *_) = suggest_solvers(
            session=session, search=fake_search, query="snow load sensing on flat roofs", k=3
        )
    assert best.member_slug == "kantava"
    assert best.reason.startswith(("Capability:", "Reference:", "Profile:"))
    assert any("snow" in e.text.lower() for e in best.evidence)
    assert any("snow" in term for e in best.evidence for term in e.matched_terms)
    assert best.contacts[0].name == "Markus Holmberg"
    assert best.contacts[0].slack_user_id == "U0KANTAVA"


def test_former_members_cities_and_the_challenge_owner_are_never_suggested(
    fake_search: SolverSearch, engine: Engine
) -> None:
    with session_scope(engine) as session:
        slugs = [
            m.member_slug
            for m in suggest_solvers(
                session=session, search=fake_search, query="snow load sensing pilot sites", k=10
            )
        ]
        roofs = session.scalars(
            select(Challenge).where(Challenge.slug == "espoo-winter-roofs")
        ).one()
        roofs.owner_member_id = session.scalars(
            select(Member.id).where(Member.slug == "kantava")
        ).one()
        session.flush()
        for_challenge = [
            m.member_slug
            for m in suggest_solvers(session=session, search=fake_search, query=roofs, k=10)
        ]
    assert "oldtimer" not in slugs
    # Cities bring challenges; they are not offered as solvers, for free text or a challenge.
    assert "city-of-espoo" not in slugs and "city-of-espoo" not in for_challenge
    assert "kantava" in slugs and "kantava" not in for_challenge


def test_not_a_fit_leaves_the_member_out_of_later_rankings_of_that_challenge(
    fake_search: SolverSearch, engine: Engine
) -> None:
    with session_scope(engine) as session:
        roofs = session.scalars(
            select(Challenge).where(Challenge.slug == "espoo-winter-roofs")
        ).one()
        first = [
            m.member_slug for m in suggest_solvers(session=session, search=fake_search, query=roofs)
        ]
        assert first[0] == "kantava"
        set_feedback(
            session=session,
            challenge_id=roofs.id,
            member_slug="kantava",
            feedback=SuggestionFeedback.NOT_A_FIT,
            person_id=None,
        )
    with session_scope(engine) as session:
        roofs = session.scalars(
            select(Challenge).where(Challenge.slug == "espoo-winter-roofs")
        ).one()
        again = [
            m.member_slug for m in suggest_solvers(session=session, search=fake_search, query=roofs)
        ]
        free_text = [
            m.member_slug
            for m in suggest_solvers(
                session=session, search=fake_search, query="snow load sensing on flat roofs"
            )
        ]
    assert "kantava" not in again
    assert free_text[0] == "kantava"  # other questions are not affected


def test_restricted_challenges_fit_only_members_allowed_to_see_them(
    fake_search: SolverSearch, engine: Engine
) -> None:
    parkly = viewer_at(engine, "parkly")

    def fits() -> list[str]:
        with session_scope(engine) as session:
            found = challenges_for_member(
                session=session, search=fake_search, member_id=parkly.member_id or 0, viewer=parkly
            )
        return [f.slug for f in found]

    # Parkly senses parking occupancy: the confidential pilot fits it, once it may see it.
    assert "secret-parking" not in fits()
    with session_scope(engine) as session:
        secret = session.scalars(select(Challenge).where(Challenge.slug == "secret-parking")).one()
        session.add(ChallengeAccess(challenge_id=secret.id, member_id=parkly.member_id))
    assert "secret-parking" in fits()


def test_lexical_only_still_answers(engine: Engine) -> None:
    search = search_with(engine, None)
    with session_scope(engine) as session:
        found = suggest_solvers(session=session, search=search, query="LoRaWAN strain gauges")
    assert found[0].member_slug == "kantava"


def test_an_english_need_finds_a_member_that_describes_itself_in_finnish(engine: Engine) -> None:
    # Without the model only the store's full-text search ranks, and the member's texts are
    # Finnish: the need's Finnish glossary terms are what find it.
    search = search_with(engine, None)
    load(
        engine,
        "members",
        [
            {
                "slug": "huoltovuoro",
                "name": "Huoltovuoro Oy",
                "kind": "company",
                "city": "Lahti",
                "country": "Finland",
                "description": "Kiinteistöhuollon työnohjausta ja vikailmoitusten käsittelyä.",
                "capabilities": ["kiinteistöhuolto", "työnohjaus"],
            }
        ],
    )
    with session_scope(engine) as session:
        found = suggest_solvers(
            session=session,
            search=search,
            query="work order management for property maintenance",
        )
    assert [m.member_slug for m in found][:1] == ["huoltovuoro"]


# -- quality with the real model ----------------------------------------------------------


@pytest.fixture
def real_search(engine: Engine, model_dir: Path) -> SolverSearch:
    from retrieval.embedding import MiniLMEmbedder

    return search_with(engine, MiniLMEmbedder(model_dir))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # paraphrases that share few or no words with the right member's profile
        ("Who can warn us before too much snow piles up on school roofs?", "kantava"),
        ("We need to flatten the morning peaks of our city's heating network", "lampoverkko"),
        ("permafrost thaw is cracking building foundations in Kirkenes", "frostline"),
        ("drivers waste time circling for a free spot downtown", "parkly"),
        ("a place to publish sensor data for residents", "kaupunkidata"),
    ],
)
def test_paraphrased_problems_find_the_right_member(
    real_search: SolverSearch, question: str, expected: str
) -> None:
    with session_scope(real_search.engine) as session:
        found = suggest_solvers(session=session, search=real_search, query=question, k=3)
    assert found[0].member_slug == expected, [m.member_slug for m in found]


def test_a_team_covers_needs_spread_over_several_members(
    real_search: SolverSearch, engine: Engine
) -> None:
    with session_scope(engine) as session:
        roofs = session.scalars(
            select(Challenge).where(Challenge.slug == "espoo-winter-roofs")
        ).one()
        team = suggest_team(session=session, search=real_search, challenge=roofs)
    members = [m.member_slug for m in team.members]
    assert {"kantava", "kaupunkidata"} <= set(members)
    assert 2 <= len(members) <= 4
    assert team.covered_by["roof snow load sensing"][0] == "kantava"
    assert team.covered_by["city-wide data dashboard"][0] == "kaupunkidata"
    assert team.uncovered == ()


def test_a_team_says_which_needs_nobody_covers_and_skips_what_the_team_has(
    real_search: SolverSearch, engine: Engine
) -> None:
    with session_scope(engine) as session:
        roofs = session.scalars(
            select(Challenge).where(Challenge.slug == "espoo-winter-roofs")
        ).one()
        roofs.needs = [*roofs.needs, "underwater drone inspection of ship hulls"]
        kantava = session.scalars(select(Member.id).where(Member.slug == "kantava")).one()
        team = suggest_team(
            session=session, search=real_search, challenge=roofs, team_member_ids=[kantava]
        )
        session.rollback()
    assert "kantava" not in [m.member_slug for m in team.members]
    assert "kaupunkidata" in [m.member_slug for m in team.members]
    assert team.uncovered == ("underwater drone inspection of ship hulls",)


def test_a_challenge_past_its_deadline_fits_nobody_and_is_not_listed_open(
    fake_search: SolverSearch, engine: Engine, clock: time_machine.Traveller
) -> None:
    kantava = viewer_at(engine, "kantava")

    def fits() -> list[str]:
        with session_scope(engine) as session:
            found = challenges_for_member(
                session=session,
                search=fake_search,
                member_id=kantava.member_id or 0,
                viewer=kantava,
            )
        return [f.slug for f in found]

    assert "espoo-winter-roofs" in fits()
    with session_scope(engine) as session:
        roofs = session.scalars(select(Challenge).where(Challenge.slug == "espoo-winter-roofs"))
        roofs.one().deadline = NOW.date() - timedelta(days=1)
    listed = find(
        engine=engine, search=fake_search, viewer=kantava, text="which challenges are open?"
    )
    every = find(engine=engine, search=fake_search, viewer=kantava, text="list all challenges")
    assert "espoo-winter-roofs" not in fits()
    assert [c.slug for c in listed.challenges] == ["tampere-heat-peaks"]
    statuses = {c.slug: c.status for c in every.challenges}
    assert statuses["espoo-winter-roofs"] == "deadline_passed"


def test_a_fit_carries_the_members_own_passages_that_matched(
    real_search: SolverSearch, engine: Engine
) -> None:
    kantava = viewer_at(engine, "kantava")
    with session_scope(engine) as session:
        (roofs,) = [
            f
            for f in challenges_for_member(
                session=session,
                search=real_search,
                member_id=kantava.member_id or 0,
                viewer=kantava,
            )
            if f.slug == "espoo-winter-roofs"
        ]
    # Kantava's own evidence (its roof reference, its snow load capability), never the
    # challenge's text: a digest says why it fits from these.
    assert roofs.supporting and roofs.supporting[0] == roofs.evidence
    own = {e.title or e.text for e in roofs.supporting}
    assert own & {"Roof load alarms for Oulu schools", "snow load sensing on flat roofs"}
    assert all("Espoo wants" not in e.text for e in roofs.supporting)
