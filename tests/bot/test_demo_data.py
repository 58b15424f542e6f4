"""The demo data loads cleanly and is shaped like the cluster."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine, select

from bot.services.records import load_demo
from storage.db import session_scope
from storage.models import Challenge, Member, Person


def test_demo_data_loads_on_both_stores_and_is_shaped_like_the_cluster(engine: Engine) -> None:
    with session_scope(engine) as session:
        reports = load_demo(session=session)
    assert [r.problems for r in reports] == [[], [], []]
    with session_scope(engine) as session:
        members = session.scalars(select(Member)).all()
        people = session.scalars(select(Person)).all()
        challenges = session.scalars(select(Challenge)).all()
        assert 90 <= len(members) <= 110
        kinds = Counter(m.kind.value for m in members)
        assert {"company", "city", "research_institute", "university"} <= set(kinds)
        assert all(3 <= len(m.references) <= 5 for m in members if m.slug != "scic")
        per_member = Counter(p.member_id for p in people)
        assert all(1 <= per_member[m.id] <= 3 for m in members if m.slug != "scic")
        assert any(p.is_staff for p in people)
        assert 30 <= len(challenges) <= 50
        assert len({c.status for c in challenges}) >= 5
        assert sum(c.language == "fi" for c in challenges) >= 5
        cities = {c.city for c in challenges}
        assert {"Espoo", "Tampere", "Madrid", "Kirkenes"} <= cities
    with session_scope(engine) as session:  # loading twice changes nothing
        again = load_demo(session=session)
    assert all(not r.created and not r.updated for r in again)
