"""*I'm interested* on a card: people without an organisation and strangers are told privately.

The team roster the button builds is tested in test_team_roster.py.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from standins.cluster import LONER_USER, STRANGER_USER, Cast
from standins.slack import RunningBot
from storage.db import session_scope
from storage.models import Interest, TeamMembership
from tests.bot.listeners.commands.test_challenge import add_challenge

CARD_TS = "1760000100.000100"


def click(bot: RunningBot, user: str, challenge_id: int) -> None:
    reply = bot.sender.block_action(
        user=user, action_id="challenge_interested", value=str(challenge_id), message_ts=CARD_TS
    )
    assert reply.status == 200


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
    with session_scope(engine) as session:
        assert list(session.scalars(select(Interest))) == []
        assert list(session.scalars(select(TeamMembership))) == []
