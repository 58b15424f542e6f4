"""`scic report`: the pipeline table staff read, on both stores."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app
from standins.cluster import add_cast
from storage.db import session_scope
from storage.models import Interest, SolverSuggestion, Team, TeamMembership, TeamStatus
from tests.bot.services.teams.test_rosters import challenge


def test_report_prints_each_challenges_pipeline(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    cast = add_cast(engine)
    busy = challenge(engine, cast, "busy-harbour")
    challenge(engine, cast, "quiet-square")
    with session_scope(engine) as session:
        session.add(SolverSuggestion(challenge_id=busy, member_id=cast.arctic_id, score=0.9))
        session.add(Interest(challenge_id=busy, member_id=cast.arctic_id))
        team = Team(challenge_id=busy, status=TeamStatus.SUBMITTED)
        session.add(team)
        session.flush()
        for member_id in (cast.arctic_id, cast.espoo_id):
            session.add(TeamMembership(team_id=team.id, member_id=member_id))
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()

    table = runner.invoke(app, ["report"])
    assert table.exit_code == 0, table.output
    assert "busy-harbour" in table.output and "quiet-square" in table.output
    assert "Team formed" in table.output

    as_json = runner.invoke(app, ["report", "--json", "--active"])
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.output)
    assert [r["slug"] for r in rows] == ["busy-harbour"]
    counts = {
        k: rows[0][k]["count"]
        for k in ("suggested", "interested", "team_formed", "submitted", "won")
    }
    assert counts == {"suggested": 1, "interested": 1, "team_formed": 1, "submitted": 1, "won": 0}


def test_report_on_a_store_without_tables_says_what_to_do(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    result = CliRunner().invoke(app, ["report"])
    assert result.exit_code == 2 and "scic init" in result.output
