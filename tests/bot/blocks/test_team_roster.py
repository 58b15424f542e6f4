"""Team blocks as plain dicts: valid Block Kit within limits, escaped records, the controls."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from bot import ids
from bot.blocks.home import build_home
from bot.blocks.team_roster import build_join_modal, build_team_roster, parse_option_value
from bot.blocks.team_thread import build_missing_answer, build_thread_summary
from bot.services.matching import SolverMatch
from bot.services.teams.pipeline import PipelineRow, PipelineStage
from bot.services.teams.rosters import RosterEntry, TeamChoice, TeamRoster
from bot.services.teams.threads import MissingNeed, MissingReport, SummaryItem, ThreadSummary
from storage.models import TeamStatus
from tests.bot.block_kit import assert_valid_message, assert_valid_view
from tests.bot.blocks.test_home import VIEWER, page


def roster(entries: int = 2, **changes: object) -> TeamRoster:
    values: dict[str, object] = {
        "team_id": 12,
        "number": 1,
        "team_count": 1,
        "name": "",
        "status": TeamStatus.PROPOSAL_IN_PREPARATION,
        "challenge_id": 7,
        "challenge_slug": "kirkenes-ice",
        "challenge_title": "Ice <Kirkenes> & port",
        "entries": tuple(
            RosterEntry(i, f"m{i}", f"Member <{i}> Oy" * 3, "lead" if i == 0 else "")
            for i in range(entries)
        ),
    }
    return TeamRoster(**(values | changes))  # type: ignore[arg-type]


def test_roster_has_role_menu_and_leave_with_the_team_in_each_value_and_no_staff_menu() -> None:
    payload = build_team_roster(roster())
    assert_valid_message(payload)
    text = str(payload["blocks"])
    assert "Ice &lt;Kirkenes&gt; &amp; port" in text and "— Lead" in text
    controls = payload["blocks"][1]["elements"]
    # Everyone in the channel sees the roster: the staff's status menu is not on it.
    assert [c["action_id"] for c in controls] == [ids.TEAM_ROLE, ids.TEAM_LEAVE]
    assert ids.TEAM_STATUS not in text and "staff" not in text.lower()
    assert controls[1]["value"] == "12"
    assert {parse_option_value(o["value"]) for o in controls[0]["options"]} == {
        (12, role)
        for role in ("lead", "technology", "pilot_site", "research_partner", "other", "none")
    }


def test_a_huge_roster_stays_within_limits() -> None:
    assert_valid_message(build_team_roster(roster(entries=500)))
    assert_valid_message(build_team_roster(roster(entries=0)))


def test_join_modal_lists_the_teams() -> None:
    choices = tuple(TeamChoice(i, f"Team {i}", i) for i in range(1, 4))
    view = build_join_modal(challenge_title="X", choices=choices, private_metadata={"a": 1})
    assert_valid_view(view)
    assert [o["value"] for o in view["blocks"][1]["element"]["options"]] == ["1", "2", "3"]


def test_missing_answer_and_summary_are_valid_whatever_their_length() -> None:
    polar = SolverMatch("p", "Polar <AS>", "company", "", "", 0.5, "r" * 500)
    report = MissingReport(
        challenge_title="T",
        team_label="Team",
        team_members=("A",) * 50,
        needs=("n",) * 60,
        covered=(("c", ("A",)),) * 60,
        missing=tuple(MissingNeed("need " * 40, (polar,) * 5) for _ in range(60)),
    )
    assert_valid_message(build_missing_answer(report))
    long = tuple(SummaryItem("U1", "x" * 2000) for _ in range(10))
    summary = ThreadSummary(40, ("U1",) * 30, long, long, long)
    assert_valid_message(build_thread_summary(summary))
    empty = build_thread_summary(ThreadSummary(0, (), (), (), ()))
    assert "nothing to summarise" in empty["text"]


def test_staff_home_adds_the_pipeline_within_100_blocks() -> None:
    day = datetime(2026, 3, 2, tzinfo=UTC)
    stage = PipelineStage(3, day)
    row = PipelineRow(1, "busy", "Busy " * 100, "open", *(stage,) * 7)
    staff = dataclasses.replace(VIEWER, is_staff=True)
    view = build_home(page(viewer=staff, pipeline=(row,) * 8))
    assert_valid_view(view)
    assert "suggested 3 (2026-03-02) → introduced 3" in str(view["blocks"])
    assert "Pipeline (staff)" not in str(build_home(page())["blocks"])
