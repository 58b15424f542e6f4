"""Submitting the new-challenge modal: errors on the fields, or stored, carded and remembered."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import Engine, func, select

from bot.listeners.views.challenge_new import form_from_view
from bot.services.challenges import ChallengeForm
from storage.db import session_scope
from storage.models import Challenge, Visibility
from tests.bot.block_kit import assert_valid_message
from tests.bot.conftest import MEMBER_USER, STAFF_USER, Cast
from tests.bot.slack_harness import (
    CHALLENGES_CHANNEL,
    GENERAL_CHANNEL,
    STAFF_CHANNEL,
    RunningBot,
    SlackReply,
    modal_values,
)

ORIGIN = json.dumps({"channel_id": GENERAL_CHANNEL})


def submit(bot: RunningBot, user: str = STAFF_USER, **fields: str | None) -> SlackReply:
    values = modal_values(**({"visibility": "public"} | fields))
    return bot.sender.view_submission(
        user=user, callback_id="challenge_new", values=values, private_metadata=ORIGIN
    )


def count_challenges(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(Challenge)) or 0


def test_the_modal_state_is_read_into_the_form() -> None:
    view = {
        "state": {
            "values": modal_values(
                title="T",
                deadline="2027-01-31",
                budget_min="5",
                visibility="restricted",
                needs=None,
            )
        }
    }
    assert form_from_view(view) == ChallengeForm(
        title="T", deadline="2027-01-31", budget_min="5", visibility="restricted"
    )


def test_errors_show_on_the_fields_and_nothing_is_stored(bot: RunningBot, engine: Engine) -> None:
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    reply = submit(bot, title="  ", deadline=yesterday, budget_min="9000", budget_max="100")
    assert reply.status == 200
    assert reply.json() == {
        "response_action": "errors",
        "errors": {
            "title": "Give the challenge a title.",
            "deadline": "The deadline is in the past; pick a later day.",
            "budget_max": "The maximum budget is below the minimum.",
        },
    }
    assert count_challenges(engine) == 0
    assert bot.fake.settle() == []


def test_a_valid_challenge_is_stored_carded_and_remembered(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    reply = submit(
        bot,
        title="Ice-free harbour in Kirkenes",
        description="Keep the harbour open all winter.",
        owner="city-of-espoo",
        city="Kirkenes",
        country="Norway",
        needs="ice monitoring, maritime logistics",
        tags="arctic",
        deadline=(date.today() + timedelta(days=30)).isoformat(),
        budget_min="50000",
        budget_max="120000",
    )
    assert reply.status == 200 and reply.body == ""  # the modal closes
    bot.fake.wait_for_method("chat.postEphemeral")
    visible = bot.fake.settle()
    assert [(c.method, c.args["channel"]) for c in visible] == [
        ("chat.postMessage", CHALLENGES_CHANNEL),
        ("chat.postMessage", CHALLENGES_CHANNEL),
        ("chat.postEphemeral", GENERAL_CHANNEL),
    ]
    card, opener, confirmation = visible
    assert_valid_message(card.args)
    assert (
        "thread_ts" not in card.args
        and card.args["text"] == "New challenge: Ice-free harbour in Kirkenes"
    )
    buttons = [e for b in card.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["action_id"] == "challenge_interested"
    card_ts = bot.fake.calls_to("chat.postMessage")[0]
    with session_scope(engine) as session:
        stored = session.scalars(select(Challenge)).one()
        assert (stored.slug, stored.owner_member_id) == (
            "ice-free-harbour-in-kirkenes",
            cast.espoo_id,
        )
        assert stored.needs == ["ice monitoring", "maritime logistics"]
        assert stored.slack_channel_id == CHALLENGES_CHANNEL
        assert stored.slack_thread_ts and opener.args["thread_ts"] == stored.slack_thread_ts
        assert buttons[0]["value"] == str(stored.id)
        challenge_id = stored.id
    # Stored and indexed: the card's suggestions came from a search that caught up with it.
    assert f"challenge:{challenge_id}" in bot.search.indexes.challenges.owners()
    assert card_ts.args["channel"] == CHALLENGES_CHANNEL
    assert (
        confirmation.args["user"] == STAFF_USER
        and "`ice-free-harbour-in-kirkenes`" in confirmation.args["text"]
    )


def test_restricted_challenges_are_carded_for_staff_only(bot: RunningBot, engine: Engine) -> None:
    submit(bot, title="Quiet one", visibility="restricted")
    card = bot.fake.wait_for_method("chat.postMessage")[0]
    assert card.args["channel"] == STAFF_CHANNEL
    bot.fake.wait_for_method("chat.postEphemeral")
    assert CHALLENGES_CHANNEL not in [c.args.get("channel") for c in bot.fake.settle()]
    with session_scope(engine) as session:
        assert session.scalars(select(Challenge.visibility)).one() is Visibility.RESTRICTED


def test_members_cannot_submit_even_a_forged_modal(bot: RunningBot, engine: Engine) -> None:
    reply = submit(bot, user=MEMBER_USER, title="Sneaky")
    assert reply.json() == {
        "response_action": "errors",
        "errors": {"title": "Only SCIC staff can post challenges."},
    }
    assert count_challenges(engine) == 0


def test_a_card_slack_refuses_is_reported_to_the_author(bot: RunningBot, engine: Engine) -> None:
    bot.fake.fail("chat.postMessage", "not_in_channel")
    submit(bot, title="Nobody hears")
    note = bot.fake.wait_for_method("chat.postEphemeral")[0]
    assert "is stored, but its card could not be posted" in note.args["text"]
    assert "not_in_channel" in note.args["text"]
    assert count_challenges(engine) == 1
