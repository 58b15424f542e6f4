"""Staff controls go where only staff see them: `/challenge show` gives staff (and only staff) the
deadline's date picker, the "when the deadline passes" menu and each team's status menu;
`/challenge deadline` and the picker move a deadline and tell the card's thread."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import time_machine
from sqlalchemy import Engine

from bot import ids
from standins.cluster import MEMBER_USER, STAFF_USER, Cast
from standins.slack import BOT_USER_ID, CHALLENGES_CHANNEL, TEAM_ID, RunningBot
from storage.db import session_scope
from storage.models import Challenge, ChallengeStatus, Team, TeamMembership
from tests.bot.listeners.commands.test_challenge import add_challenge, answer
from tests.conftest import NOW

THREAD = "1760000100.000100"


def expired_with_team(engine: Engine, cast: Cast) -> int:
    challenge_id = add_challenge(
        engine,
        cast,
        "kirkenes-ice",
        deadline=NOW.date() - timedelta(days=2),
        status=ChallengeStatus.CLOSED,
        deadline_closed_on=NOW.date() - timedelta(days=1),
        slack_channel_id=CHALLENGES_CHANNEL,
        slack_thread_ts=THREAD,
    )
    with session_scope(engine) as session:
        team = Team(challenge_id=challenge_id)
        session.add(team)
        session.flush()
        session.add(TeamMembership(team_id=team.id, member_id=cast.arctic_id))
    return challenge_id


def controls(text: str) -> set[str]:
    found = {
        i
        for i in (ids.CHALLENGE_DEADLINE, ids.CHALLENGE_AFTER_DEADLINE, ids.TEAM_STATUS)
        if f"'{i}'" in text
    }
    return found


def test_only_staff_get_the_controls_in_their_own_answer(
    bot: RunningBot, engine: Engine, cast: Cast, clock: time_machine.Traveller
) -> None:
    expired_with_team(engine, cast)
    assert controls(answer(bot, "show kirkenes-ice", user=MEMBER_USER)) == set()
    shown = answer(bot, "show kirkenes-ice", user=STAFF_USER)
    assert controls(shown) == {
        ids.CHALLENGE_DEADLINE,
        ids.CHALLENGE_AFTER_DEADLINE,
        ids.TEAM_STATUS,
    }
    assert "'initial_date': '2026-11-23'" in shown and "Arctic Sense Oy" in shown
    assert "closed (its deadline passed; moved on 2026-11-24)" in shown


def test_deadline_command_reopens_and_tells_the_thread(
    bot: RunningBot, engine: Engine, cast: Cast, clock: time_machine.Traveller
) -> None:
    challenge_id = expired_with_team(engine, cast)
    assert "Only SCIC staff can move a challenge's deadline" in answer(
        bot, "deadline kirkenes-ice 2026-12-20", user=MEMBER_USER
    )
    assert "is no date; write it as YYYY-MM-DD" in answer(bot, "deadline kirkenes-ice friday")
    assert "Say which and when" in answer(bot, "deadline kirkenes-ice")
    said = answer(bot, "deadline kirkenes-ice 2026-12-20")
    assert "moved the deadline of *Kirkenes Ice* to 2026-12-20 (it was 2026-11-23)" in said
    assert "The challenge is open again." in said
    (note,) = [c for c in bot.fake.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert (note.args["channel"], note.args["thread_ts"]) == (CHALLENGES_CHANNEL, THREAD)
    with session_scope(engine) as session:
        row = session.get_one(Challenge, challenge_id)
        # Its team is still forming: teams forming again, and the job's mark is gone.
        assert (row.status, row.deadline_closed_on) == (ChallengeStatus.TEAMS_FORMING, None)


def test_after_deadline_command_by_staff_only(
    bot: RunningBot, engine: Engine, cast: Cast, clock: time_machine.Traveller
) -> None:
    challenge_id = add_challenge(engine, cast, "tram-data", deadline=NOW.date())
    assert "Only SCIC staff can choose what a deadline does" in answer(
        bot, "after-deadline tram-data lost", user=MEMBER_USER
    )
    assert "Use one of: closed, proposal_submitted, won, lost" in answer(
        bot, "after-deadline tram-data teams_forming"
    )
    assert "it will be moved to *proposal submitted*" in answer(
        bot, "after-deadline tram-data proposal_submitted"
    )
    with session_scope(engine) as session:
        row = session.get_one(Challenge, challenge_id)
        assert row.status_after_deadline is ChallengeStatus.PROPOSAL_SUBMITTED


def pick_date(bot: RunningBot, user: str, challenge_id: int, day: str) -> None:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0SCICAPP1",
        "token": "legacy-verification-token",
        "team": {"id": TEAM_ID, "domain": "scic"},
        "trigger_id": bot.sender.new_trigger_id(),
        "container": {
            "type": "message",
            "message_ts": "1760000200.000200",
            "channel_id": CHALLENGES_CHANNEL,
            "is_ephemeral": True,
        },
        "channel": {"id": CHALLENGES_CHANNEL, "name": "challenges"},
        "message": {"type": "message", "ts": "1760000200.000200", "user": BOT_USER_ID},
        "actions": [
            {
                "action_id": ids.CHALLENGE_DEADLINE,
                "block_id": f"challenge_staff_{challenge_id}",
                "type": "datepicker",
                "selected_date": day,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    assert bot.sender.interaction(payload).status == 200


def test_the_date_picker_moves_the_deadline_for_staff_and_refuses_others(
    bot: RunningBot, engine: Engine, cast: Cast, clock: time_machine.Traveller
) -> None:
    challenge_id = expired_with_team(engine, cast)
    pick_date(bot, MEMBER_USER, challenge_id, "2026-12-20")
    (refusal,) = bot.fake.wait_for_method("chat.postEphemeral")
    assert "Only SCIC staff" in refusal.args["text"]
    pick_date(bot, STAFF_USER, challenge_id, "2026-11-01")
    past = bot.fake.wait_for_method("chat.postEphemeral", count=2)[-1]
    assert "2026-11-01 is in the past" in past.args["text"]
    pick_date(bot, STAFF_USER, challenge_id, "2026-12-20")
    done = bot.fake.wait_for_method("chat.postEphemeral", count=3)[-1]
    assert done.args["user"] == STAFF_USER and "to 2026-12-20" in done.args["text"]
    with session_scope(engine) as session:
        row = session.get_one(Challenge, challenge_id)
        assert (row.deadline, row.status) == (
            NOW.date() + timedelta(days=25),
            ChallengeStatus.TEAMS_FORMING,
        )
