"""The demo data loads cleanly, is shaped like the cluster, and is as alive on any day."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine, select

from bot.services.digests.choosing import preview_for_channel
from bot.services.records import load_demo
from storage import clock as the_clock
from storage.db import session_scope
from storage.models import OPEN_STATUSES, Challenge, ChallengeStatus, Member, Person
from tests.conftest import NOW


def test_demo_data_loads_on_both_stores_and_is_shaped_like_the_cluster(engine: Engine) -> None:
    reports = load_demo(engine=engine)
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
    again = load_demo(engine=engine)  # loading twice changes nothing
    assert all(not r.created and not r.updated for r in again)


@pytest.mark.parametrize("days_later", [0, 400, 4000])
def test_the_demo_is_alive_whatever_the_day_it_is_loaded(
    engine: Engine, clock: time_machine.Traveller, days_later: int
) -> None:
    clock.move_to(NOW + timedelta(days=days_later))
    now, today = the_clock.now(), the_clock.today()
    load_demo(engine=engine)
    with session_scope(engine) as session:
        challenges = session.scalars(select(Challenge)).all()
        open_ones = [c for c in challenges if c.is_open_on(today)]
        # Every challenge marked open is open: none expired on the day it is loaded.
        assert len(open_ones) == sum(c.status in OPEN_STATUSES for c in challenges) >= 25
        closing_in = sorted((c.deadline - today).days for c in open_ones if c.deadline)
        assert closing_in and 7 <= closing_in[len(closing_in) // 2] <= 70
        assert all(1 <= days <= 70 for days in closing_in)
        assert 1 <= sum(days <= 7 for days in closing_in) <= 2  # "closing soon"
        decided = [c for c in challenges if c.status in (ChallengeStatus.WON, ChallengeStatus.LOST)]
        decided += [c for c in challenges if c.status is ChallengeStatus.CLOSED]
        assert len(decided) >= 5 and all(c.deadline and c.deadline < today for c in decided)
        assert all(c.created_at <= c.updated_at <= now for c in challenges)
        assert sum(now - c.created_at < timedelta(days=7) for c in challenges) >= 4
    # So this week's digest has news on the day the demo is loaded.
    digest = preview_for_channel(
        engine=engine, channel_id=None, timezone=ZoneInfo("Europe/Helsinki")
    )
    assert digest is not None and len(digest.fits) >= 3
