"""The staff pipeline report: each stage counted with the day it was first reached."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import Engine, select

from bot.services.home import home_page
from bot.services.teams import pipeline, rosters
from standins.cluster import add_cast
from storage.db import session_scope
from storage.models import (
    ChallengeStatus,
    SolverSuggestion,
    SuggestionFeedback,
    Team,
)
from tests.bot.services.teams.test_rosters import T0, challenge, espoo
from tests.bot.services.test_challenges import aino, staff


def test_pipeline_report_counts_each_stage_with_its_first_day(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    cast = add_cast(engine)
    busy = challenge(engine, cast, "busy")
    challenge(engine, cast, "quiet", slack_thread_ts=None)
    challenge(engine, cast, "draft", status=ChallengeStatus.DRAFT, slack_thread_ts=None)
    with session_scope(engine) as session:
        session.add_all(
            [
                SolverSuggestion(
                    challenge_id=busy,
                    member_id=cast.arctic_id,
                    score=0.9,
                    created_at=T0,
                    feedback=SuggestionFeedback.INTRODUCE,
                    updated_at=T0 + timedelta(days=1),
                ),
                SolverSuggestion(
                    challenge_id=busy,
                    member_id=cast.espoo_id,
                    score=0.5,
                    created_at=T0 + timedelta(hours=1),
                ),
            ]
        )
    eero = espoo(engine, cast)
    for days, viewer_joining in ((2, aino(cast)), (3, eero)):
        clock.move_to(T0 + timedelta(days=days), tick=False)
        rosters.join_team(engine=engine, viewer=viewer_joining, challenge_id=busy)
    with session_scope(engine) as session:
        team_id = session.scalars(select(Team.id)).one()
    for days, status in ((10, "submitted"), (40, "won")):
        clock.move_to(T0 + timedelta(days=days), tick=False)
        rosters.change_team_status(
            engine=engine, viewer=staff(cast), team_id=team_id, status=status
        )
    rows = {r.slug: r for r in pipeline.read_pipeline(engine=engine)}
    assert set(rows) == {"busy", "quiet"}
    row = rows["busy"]
    assert (row.suggested.count, row.suggested.first_at) == (2, T0)
    assert (row.introduced.count, row.introduced.first_at) == (1, T0 + timedelta(days=1))
    assert row.interested.count == 2
    assert (row.team_formed.count, row.team_formed.first_at) == (1, T0 + timedelta(days=3))
    assert (row.submitted.count, row.submitted.first_at) == (1, T0 + timedelta(days=10))
    assert (row.won.count, row.won.first_at) == (1, T0 + timedelta(days=40))
    assert row.lost.count == 0 and row.active
    assert not rows["quiet"].active and rows["quiet"].suggested.count == 0


def test_only_staff_get_the_pipeline_on_the_home_tab(engine: Engine) -> None:
    cast = add_cast(engine)
    cid = challenge(engine, cast, "busy")
    challenge(engine, cast, "quiet")
    rosters.join_team(engine=engine, viewer=aino(cast), challenge_id=cid)
    for_staff = home_page(engine=engine, viewer=staff(cast))
    for_member = home_page(engine=engine, viewer=aino(cast))
    assert [(r.slug, r.interested.count) for r in for_staff.pipeline] == [("busy", 1)]
    assert for_member.pipeline == ()
