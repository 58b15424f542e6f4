"""The digest's buttons: *Interested* lists the organisation, *Not relevant* drops the challenge."""

from __future__ import annotations

from sqlalchemy import Engine, select

from standins.cluster import LONER_USER, MEMBER_USER, Cast, add_challenge
from standins.slack import CHALLENGES_CHANNEL, RunningBot
from storage.db import session_scope
from storage.digest_models import DigestFeedback
from storage.models import Interest

DM = "D0DIRECT01"


def click(bot: RunningBot, user: str, action: str, challenge_id: int) -> str:
    before = len(bot.fake.calls_to("chat.postEphemeral"))
    reply = bot.sender.block_action(
        user=user, action_id=action, value=str(challenge_id), channel=DM
    )
    assert reply.status == 200
    note = bot.fake.wait_for_method("chat.postEphemeral", count=before + 1)[-1]
    assert (note.args["channel"], note.args["user"]) == (DM, user)
    return str(note.args["text"])


def test_not_relevant_is_kept_once_and_leaves_the_next_digests(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    with session_scope(engine) as session:
        challenge = add_challenge(
            session, "bridges", title="Bridges", needs=["structural health monitoring"]
        ).id
    assert bot.sender.command("/digest", "preview", user=MEMBER_USER).status == 200
    assert "Bridges" in str(bot.fake.wait_for_method("response_url")[-1].args["blocks"])
    text = click(bot, MEMBER_USER, "digest_not_relevant", challenge)
    assert text == "Noted: *Bridges* will not be in *Arctic Sense Oy*'s digests again."
    again = click(bot, MEMBER_USER, "digest_not_relevant", challenge)
    assert again == "*Arctic Sense Oy* had already said *Bridges* is not relevant."
    with session_scope(engine) as session:
        rows = [(f.member_id, f.challenge_id) for f in session.scalars(select(DigestFeedback))]
    assert rows == [(cast.arctic_id, challenge)]
    bot.sender.command("/digest", "preview", user=MEMBER_USER)
    latest = bot.fake.wait_for_method("response_url", count=2)[-1]
    assert str(latest.args["text"]).startswith("Nothing new for you right now")


def test_interested_lists_the_organisation_and_tells_the_challenge_thread(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    with session_scope(engine) as session:
        challenge = add_challenge(
            session,
            "ice",
            title="Ice",
            slack_channel_id=CHALLENGES_CHANNEL,
            slack_thread_ts="1760000100.000100",
        ).id
    text = click(bot, MEMBER_USER, "digest_interested", challenge)
    assert text.startswith("Noted: *Arctic Sense Oy* is on the list for *Ice*.")
    note = bot.fake.wait_for_method("chat.postMessage")[0]
    assert (note.args["channel"], note.args["thread_ts"]) == (
        CHALLENGES_CHANNEL,
        "1760000100.000100",
    )
    assert "already on the list" in click(bot, MEMBER_USER, "digest_interested", challenge)
    assert "not linked to a member" in click(bot, LONER_USER, "digest_not_relevant", challenge)
    with session_scope(engine) as session:
        assert [i.member_id for i in session.scalars(select(Interest))] == [cast.arctic_id]
