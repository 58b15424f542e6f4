"""/challenge through the real HTTP port: the modal, list, show, status, help, refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from standins.cluster import MEMBER_USER, STAFF_USER, STRANGER_USER, Cast
from standins.slack import GENERAL_CHANNEL, RunningBot
from storage.db import session_scope
from storage.models import Challenge, ChallengeStatus
from tests.bot.block_kit import assert_valid_message, assert_valid_view


def add_challenge(engine: Engine, cast: Cast, slug: str, **changes: object) -> int:
    values: dict[str, object] = {
        "slug": slug,
        "title": slug.replace("-", " ").title(),
        "status": ChallengeStatus.OPEN,
        "city": "Kirkenes",
        "country": "Norway",
        "owner_member_id": cast.espoo_id,
    }
    with session_scope(engine) as session:
        challenge = Challenge(**(values | changes))
        session.add(challenge)
        session.flush()
        return challenge.id


def answer(bot: RunningBot, text: str, user: str = STAFF_USER) -> str:
    """Send `/challenge text` and return the ephemeral answer's text."""
    before = len(bot.fake.calls_to("response_url"))
    reply = bot.sender.command("/challenge", text, user=user)
    assert reply.status == 200 and reply.body == ""  # acknowledged at once, answered after
    response = bot.fake.wait_for_method("response_url", count=before + 1)[-1]
    assert_valid_message(response.args)
    assert response.args.get("response_type", "ephemeral") == "ephemeral"
    return str(response.args["text"]) + str(response.args["blocks"])


def test_staff_get_the_modal(bot: RunningBot) -> None:
    bot.sender.command("/challenge", "", user=STAFF_USER)
    opened = bot.fake.wait_for_method("views.open")[0]
    assert opened.args["trigger_id"].endswith(".1111.abcdef")
    assert_valid_view(opened.args["view"])
    assert GENERAL_CHANNEL in opened.args["view"]["private_metadata"]
    assert [c.method for c in bot.fake.settle()] == ["views.open"]


def test_members_cannot_post_challenges_and_are_told_why(bot: RunningBot) -> None:
    text = answer(bot, "new", user=MEMBER_USER)
    assert "Only SCIC staff can post challenges" in text
    assert "views.open" not in [c.method for c in bot.fake.settle()]


def test_list_open_and_all(bot: RunningBot, engine: Engine, cast: Cast) -> None:
    add_challenge(engine, cast, "kirkenes-ice")
    add_challenge(engine, cast, "old-lights", status=ChallengeStatus.CLOSED)
    add_challenge(engine, cast, "staff-draft", status=ChallengeStatus.DRAFT)
    open_list = answer(bot, "list", user=MEMBER_USER)
    assert "kirkenes-ice" in open_list and "old-lights" not in open_list
    all_list = answer(bot, "list all", user=MEMBER_USER)
    assert "kirkenes-ice" in all_list and "old-lights" in all_list and "staff-draft" not in all_list
    assert "staff-draft" in answer(bot, "list all", user=STAFF_USER)


def test_show_by_slug_or_id_and_unknown_ids(bot: RunningBot, engine: Engine, cast: Cast) -> None:
    challenge_id = add_challenge(engine, cast, "kirkenes-ice", needs=["ice monitoring"])
    by_slug = answer(bot, "show kirkenes-ice", user=MEMBER_USER)
    assert "Kirkenes Ice" in by_slug and "ice monitoring" in by_slug and "City of Espoo" in by_slug
    assert "Kirkenes Ice" in answer(bot, f"show {challenge_id}", user=MEMBER_USER)
    assert "No challenge 'nope'" in answer(bot, "show nope", user=MEMBER_USER)


def test_status_changes_by_staff_only_with_clear_messages(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    challenge_id = add_challenge(engine, cast, "kirkenes-ice")
    assert "Only SCIC staff can change" in answer(
        bot, f"status {challenge_id} closed", user=MEMBER_USER
    )
    assert "Unknown status 'finished'. Use one of: draft, open," in answer(
        bot, f"status {challenge_id} finished"
    )
    assert "No challenge '999'" in answer(bot, "status 999 closed")
    assert "moved from open to *teams forming*" in answer(bot, "status kirkenes-ice teams_forming")
    with session_scope(engine) as session:
        assert session.get_one(Challenge, challenge_id).status is ChallengeStatus.TEAMS_FORMING


@pytest.mark.parametrize("text", ["help", "frobnicate", "list closed", "show", "status 1"])
def test_help_and_garbage_print_usage(bot: RunningBot, text: str) -> None:
    assert "/challenge list [open|all]" in answer(bot, text, user=MEMBER_USER)


def test_strangers_get_the_polite_message(bot: RunningBot) -> None:
    assert "I don't know you yet" in answer(bot, "list", user=STRANGER_USER)
    assert "I don't know you yet" in answer(bot, "", user=STRANGER_USER)
