"""*I'm interested* on a card: the organisation is listed once and the thread hears of it."""

from __future__ import annotations

from sqlalchemy import Engine, select

from storage.db import session_scope
from storage.models import Interest
from tests.bot.conftest import LONER_USER, MEMBER_USER, STRANGER_USER, Cast
from tests.bot.listeners.commands.test_challenge import add_challenge
from tests.bot.slack_harness import CHALLENGES_CHANNEL, RunningBot

CARD_TS = "1760000100.000100"


def click(bot: RunningBot, user: str, challenge_id: int) -> None:
    reply = bot.sender.block_action(
        user=user, action_id="challenge_interested", value=str(challenge_id), message_ts=CARD_TS
    )
    assert reply.status == 200


def test_interest_is_noted_in_the_thread_once(bot: RunningBot, engine: Engine, cast: Cast) -> None:
    challenge_id = add_challenge(
        engine, cast, "kirkenes-ice", slack_channel_id=CHALLENGES_CHANNEL, slack_thread_ts=CARD_TS
    )
    click(bot, MEMBER_USER, challenge_id)
    note = bot.fake.wait_for_method("chat.postMessage")[0]
    assert (note.args["channel"], note.args["thread_ts"]) == (CHALLENGES_CHANNEL, CARD_TS)
    assert note.args["text"] == f"<@{MEMBER_USER}> is interested on behalf of *Arctic Sense Oy*."
    click(bot, MEMBER_USER, challenge_id)
    again = bot.fake.wait_for_method("chat.postEphemeral")[0]
    assert again.args["user"] == MEMBER_USER and "already on the list" in again.args["text"]
    assert len(bot.fake.calls_to("chat.postMessage")) == 1
    with session_scope(engine) as session:
        assert [(i.member_id, i.person_id) for i in session.scalars(select(Interest))] == [
            (cast.arctic_id, cast.member_person_id)
        ]


def test_people_without_an_organisation_and_strangers_are_told_privately(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    challenge_id = add_challenge(engine, cast, "kirkenes-ice")
    click(bot, LONER_USER, challenge_id)
    click(bot, STRANGER_USER, challenge_id)
    notes = bot.fake.wait_for_method("chat.postEphemeral", count=2)
    texts = sorted(n.args["text"] for n in notes)
    assert "I don't know you yet" in texts[0] or "I don't know you yet" in texts[1]
    assert any("not linked to a member organisation" in t for t in texts)
    assert bot.fake.calls_to("chat.postMessage") == []
