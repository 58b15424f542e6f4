"""One coverage computation: the needs a challenge's card says who covers are the needs "who is
missing?" names the same member for later, whoever has joined the team in between (real
MiniLM embeddings, both stores)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import chromadb
import pytest
from sqlalchemy import Engine, select

from bot.services import challenges
from bot.services.matching import SolverSearch
from bot.services.teams import rosters, threads
from retrieval.embedding import MiniLMEmbedder
from standins.search import fresh_search
from storage.db import session_scope
from storage.models import Challenge, Member, Person
from tests.bot.services.test_challenges import viewer
from tests.search_fixtures import load

ROUTE, FRICTION = "winter maintenance route planning", "road surface friction measurement"
MEMBERS: list[dict[str, Any]] = [
    {
        "slug": "reitti",
        "name": "Reitti Optimointi Oy",
        "kind": "company",
        "description": "Route optimisation software for winter maintenance: plans snow plough "
        "and gritting routes.",
        "capabilities": [ROUTE, "vehicle routing optimisation"],
    },
    {
        "slug": "kitka",
        "name": "Kitka Road Data Oy",
        "kind": "company",
        "description": "Road weather and friction data for winter maintenance contractors.",
        "capabilities": [FRICTION, "winter maintenance route planning support"],
    },
    {
        "slug": "tiesaa",
        "name": "Tiesää Sensors Oy",
        "kind": "company",
        "description": "Sensors mounted on maintenance vehicles.",
        "capabilities": [FRICTION],
    },
    {
        "slug": "kaupunkidata",
        "name": "Kaupunkidata Oy",
        "kind": "company",
        "description": "Urban data platform and dashboards.",
        "capabilities": ["real-time dashboards"],
    },
]
CHALLENGE = {
    "slug": "winter-roads",
    "title": "Safer winter roads in Tampere",
    "description": "Tampere wants plough routes planned from live road conditions.",
    "owner_name": "City of Tampere",
    "status": "open",
    "needs": [ROUTE, FRICTION],
}


@pytest.fixture
def search(engine: Engine, model_dir: Path) -> SolverSearch:
    load(engine, "members", MEMBERS)
    load(engine, "challenges", [CHALLENGE])
    found = fresh_search(chromadb.EphemeralClient(), MiniLMEmbedder(model_dir), engine)
    found.catch_up()
    return found


def test_who_is_missing_names_the_member_the_card_named_for_each_need(
    engine: Engine, search: SolverSearch
) -> None:
    with session_scope(engine) as session:
        row = session.scalars(select(Challenge)).one()
        ids = {m.slug: m.id for m in session.scalars(select(Member))}
        summary = challenges.summary_of(row)
        person = Person(email="t@tiesaa.example", name="Tiina", member_id=ids["tiesaa"])
        session.add(person)
        session.flush()
        tiina = viewer(person.id, member_id=ids["tiesaa"])
    card = challenges.suggest_for_card(engine=engine, search=search, challenge=summary)
    # Kitka covers both needs, so the card's cover takes it alone (Reitti is a little closer
    # to route planning, not enough to add a second member).
    assert [m.member_slug for m in card.members] == ["kitka"]
    assert card.covered_by == {ROUTE: ("kitka",), FRICTION: ("kitka",)}
    # Tiesää, which measures road friction, joins; route planning is still to be covered.
    rosters.join_team(engine=engine, viewer=tiina, challenge_id=summary.id)
    with session_scope(engine) as session:
        report = threads.who_is_missing(
            session=session,
            viewer=tiina,
            challenge=session.get_one(Challenge, summary.id),
            suggest_team_fn=threads.default_team_suggester(lambda: search),
        )
    assert report.covered == ((FRICTION, ("Tiesää Sensors Oy",)),)
    # Covering what is left afresh would pick Reitti (the best single match for route
    # planning); the card said Kitka, and so does the thread.
    assert [(m.need, [c.member_slug for c in m.candidates]) for m in report.missing] == [
        (ROUTE, ["kitka"])
    ]
