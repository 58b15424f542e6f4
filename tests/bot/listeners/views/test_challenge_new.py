"""Submitting the new-challenge modal: errors on the fields, or stored, carded and remembered."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from bot.blocks.challenge_modal import build_challenge_modal
from bot.listeners.views.challenge_new import errors_for_view, form_from_view, pasted_text
from bot.services.challenges import ChallengeForm
from standins.cluster import MEMBER_USER, STAFF_USER, Cast, link_cast_to_slack
from standins.slack import (
    CHALLENGES_CHANNEL,
    GENERAL_CHANNEL,
    STAFF_CHANNEL,
    RunningBot,
    SlackReply,
    modal_values,
)
from storage.db import session_scope
from storage.models import Challenge, Visibility
from tests.bot.block_kit import assert_valid_message

ORIGIN = json.dumps({"channel_id": GENERAL_CHANNEL})


def submit(bot: RunningBot, user: str = STAFF_USER, **fields: str | None) -> SlackReply:
    values = modal_values(**({"visibility": "public"} | fields))
    link_cast_to_slack(bot.engine)  # whoever submits opened the modal: identified then
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


def revised(values: dict[str, dict[str, dict[str, Any]]], revision: int) -> dict[str, Any]:
    """The state of a form pre-filled ``revision`` times: its block ids carry the revision."""
    return {f"{block_id}.{revision}": state for block_id, state in values.items()}


def test_a_prefilled_form_is_read_from_its_revised_block_ids() -> None:
    values = revised(
        modal_values(title="Lumi", owner="City of Espoo", budget_max="9", visibility="public"), 3
    )
    # A stale block of an earlier revision (Slack never sends one, but it must not win).
    values |= modal_values(title="Old")
    values |= revised(modal_values(paste="Call for proposals: ..."), 3)
    view = {"state": {"values": values}}
    assert form_from_view(view) == ChallengeForm(
        title="Lumi", owner="City of Espoo", budget_max="9", visibility="public"
    )
    assert pasted_text(view) == "Call for proposals: ..."
    assert pasted_text({"state": {"values": modal_values(title="T")}}) == ""


def test_errors_are_keyed_by_the_block_ids_of_the_view_shown() -> None:
    view = build_challenge_modal(revision=2)
    errors = {"title": "Give the challenge a title.", "budget_max": "Below the minimum."}
    assert errors_for_view(view, errors) == {
        "title.2": "Give the challenge a title.",
        "budget_max.2": "Below the minimum.",
    }
    assert errors_for_view(build_challenge_modal(), errors) == errors


def test_errors_on_a_prefilled_form_land_on_its_fields(bot: RunningBot, engine: Engine) -> None:
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    values = modal_values(title=" ", deadline=yesterday, visibility="public", paste="Some text")
    reply = bot.sender.view_submission(
        user=STAFF_USER,
        callback_id="challenge_new",
        values=revised(values, 1),
        private_metadata=ORIGIN,
    )
    assert reply.json() == {
        "response_action": "errors",
        "errors": {
            "title.1": "Give the challenge a title.",
            "deadline.1": "The deadline is in the past; pick a later day.",
        },
    }
    assert count_challenges(engine) == 0


def test_a_prefilled_form_is_posted_like_a_typed_one(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    values = modal_values(
        title="Smart snow removal",
        owner="City of Espoo",
        needs="road-weather sensors\nroute optimisation",
        budget_min="80000",
        budget_max="120000",
        visibility="public",
        paste="Call for proposals: Smart snow removal ...",
    )
    link_cast_to_slack(engine)
    reply = bot.sender.view_submission(
        user=STAFF_USER,
        callback_id="challenge_new",
        values=revised(values, 1),
        private_metadata=ORIGIN,
    )
    assert reply.status == 200 and reply.body == ""
    bot.fake.wait_for_method("chat.postEphemeral")
    with session_scope(engine) as session:
        stored = session.scalars(select(Challenge)).one()
        assert (stored.title, stored.owner_member_id, stored.budget_max) == (
            "Smart snow removal",
            cast.espoo_id,
            120000,
        )
        assert stored.needs == ["road-weather sensors", "route optimisation"]
        assert "Call for proposals" not in stored.description


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
