"""/digest subscribe|unsubscribe|preview: a channel or the person, as typed; preview shows it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from standins.cluster import MEMBER_USER, Cast, add_challenge
from standins.slack import GENERAL_CHANNEL, RunningBot
from storage.db import session_scope
from storage.models import DigestFrequency, DigestSubscription, Person

DM = "D0DIRECT01"


def digest(bot: RunningBot, text: str, channel: str = GENERAL_CHANNEL) -> dict[str, Any]:
    before = len(bot.fake.calls_to("response_url"))
    assert bot.sender.command("/digest", text, user=MEMBER_USER, channel=channel).status == 200
    return bot.fake.wait_for_method("response_url", count=before + 1)[-1].args


def channel_subscriptions(engine: Engine) -> list[tuple[str | None, DigestFrequency]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(DigestSubscription.slack_channel_id, DigestSubscription.frequency).where(
                DigestSubscription.slack_channel_id.is_not(None)
            )
        )
        return [(c, f) for c, f in rows]


def test_subscribing_in_a_channel_subscribes_the_channel(bot: RunningBot, engine: Engine) -> None:
    answer = digest(bot, "subscribe")
    assert (
        answer["text"]
        == "Done: this channel now gets the *weekly* digest of new public challenges."
    )
    assert digest(bot, "subscribe daily")["text"].startswith("This channel gets the *daily*")
    assert channel_subscriptions(engine) == [(GENERAL_CHANNEL, DigestFrequency.DAILY)]
    assert "This channel gets it *daily*" in digest(bot, "")["text"]
    assert digest(bot, "unsubscribe")["text"] == "Done: this channel no longer gets the digest."
    assert digest(bot, "unsubscribe")["text"] == "This channel does not get the digest."
    assert channel_subscriptions(engine) == [(GENERAL_CHANNEL, DigestFrequency.OFF)]


def test_in_the_dm_subscribe_and_unsubscribe_are_the_persons(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    assert digest(bot, "unsubscribe", DM)["text"] == "Done: you no longer get the digest."
    assert (
        digest(bot, "subscribe daily", DM)["text"] == "Done: you get the digest *daily*, in my DM."
    )
    with session_scope(engine) as session:
        person = session.get_one(Person, cast.member_person_id)
        assert person.digest_frequency is DigestFrequency.DAILY
        subscription = session.scalars(
            select(DigestSubscription).where(DigestSubscription.person_id == person.id)
        ).one()
        assert subscription.slack_channel_id is None
    assert channel_subscriptions(engine) == []


def test_preview_shows_the_digest_or_says_there_is_nothing(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    assert digest(bot, "preview")["text"].startswith("Nothing new for you right now")
    with session_scope(engine) as session:
        # Arctic Sense Oy offers structural health monitoring (tests.bot.conftest).
        add_challenge(
            session,
            "bridge-monitoring",
            title="Bridge monitoring in Tampere",
            needs=["structural health monitoring"],
        )
    answer = digest(bot, "preview")
    assert answer["text"].startswith("Your weekly opportunity digest: 1 new challenge")
    assert "Bridge monitoring in Tampere" in str(answer["blocks"])
    # A preview sends nothing and claims nothing.
    assert bot.fake.calls_to("chat.postMessage") == []


def test_garbled_digest_commands_get_the_usage(bot: RunningBot) -> None:
    for text, problem in [
        ("frequency hourly", "Say how often"),
        ("subscribe monthly", "takes `weekly` or `daily`"),
        ("preview everything now", "I don't know `/digest preview everything now`"),
    ]:
        answer = digest(bot, text)["text"]
        assert problem in answer and "/digest subscribe" in answer
