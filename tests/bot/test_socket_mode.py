"""The bot in Socket Mode, end to end: it asks apps.connections.open for a WebSocket URL,
connects to a local server speaking Slack's Socket Mode protocol, acknowledges every envelope
by its envelope_id within Slack's 3 seconds (commands and modals with their response
payloads), answers through the Web API as in HTTP mode, reconnects when the socket drops, and
answers a redelivered envelope once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select

from standins.cluster import LONER_USER, MEMBER_USER, STAFF_USER, Cast, link_cast_to_slack
from standins.slack import GENERAL_CHANNEL, FakeSlack, modal_values
from standins.socket_mode import ACK_SECONDS, SocketModeBot, socket_mode_bot
from storage.db import session_scope
from storage.models import Challenge, Interest
from tests.bot.listeners.commands.test_challenge import add_challenge

QUESTION = "who can do structural health monitoring?"
# The protocol does not depend on the store: those tests run on SQLite only; the envelope and
# event receipts that keep deliveries to one answer run on both.
SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
MENTION_TS = "1760000200.000100"


@pytest.fixture
def bot(engine: Engine, fake_slack: FakeSlack, cast: Cast) -> Iterator[SocketModeBot]:
    with socket_mode_bot(engine, fake_slack) as running:
        yield running


def mention(bot: SocketModeBot, text: str = QUESTION, ts: str = MENTION_TS) -> float:
    """Mention the bot in #general; the seconds the acknowledgement took."""
    reply = bot.sender.event(
        {
            "type": "app_mention",
            "user": LONER_USER,
            "text": f"<@U0SCICBOT1> {text}",
            "channel": GENERAL_CHANNEL,
            "ts": ts,
            "event_ts": ts,
        }
    )
    assert reply.status == 200 and reply.body == ""
    return reply.seconds


@SQLITE_ONLY
def test_the_bot_connects_with_its_app_token_and_answers_a_mention(bot: SocketModeBot) -> None:
    assert len(bot.fake.calls_to("apps.connections.open")) == 1
    assert bot.socket.connections == 1
    assert mention(bot) < ACK_SECONDS
    answer = bot.fake.wait_for_method("chat.postMessage")[0]
    assert (answer.args["channel"], answer.args["thread_ts"]) == (GENERAL_CHANNEL, MENTION_TS)
    assert "Arctic Sense Oy" in str(answer.args["blocks"])
    (envelope_id,) = bot.sender.envelope_ids
    assert len(bot.socket.acks[envelope_id]) == 1


@SQLITE_ONLY
def test_a_slash_command_is_acknowledged_then_answered_through_its_response_url(
    bot: SocketModeBot,
) -> None:
    reply = bot.sender.command("/solvers", "structural health monitoring", user=LONER_USER)
    assert reply.status == 200 and reply.seconds < ACK_SECONDS
    (answer,) = bot.fake.wait_for_method("response_url")
    assert "Arctic Sense Oy" in str(answer.args)


@SQLITE_ONLY
def test_a_button_is_acknowledged_and_does_its_work(
    bot: SocketModeBot, engine: Engine, cast: Cast
) -> None:
    challenge_id = add_challenge(engine, cast, "kirkenes-ice")
    reply = bot.sender.block_action(
        user=MEMBER_USER, action_id="challenge_interested", value=str(challenge_id)
    )
    assert reply.status == 200 and reply.seconds < ACK_SECONDS
    bot.fake.wait_for(lambda calls: any(c.method == "chat.postMessage" for c in calls))
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Interest)) == 1


@SQLITE_ONLY
def test_a_modal_submission_gets_its_errors_in_the_ack_or_is_stored(
    bot: SocketModeBot, engine: Engine
) -> None:
    origin = json.dumps({"channel_id": GENERAL_CHANNEL})
    link_cast_to_slack(engine)  # staff opened the modal: identified then
    wrong = bot.sender.view_submission(
        user=STAFF_USER,
        callback_id="challenge_new",
        values=modal_values(title="  ", visibility="public"),
        private_metadata=origin,
    )
    # The errors travel back in the acknowledgement's payload, as Slack expects them.
    assert wrong.json() == {
        "response_action": "errors",
        "errors": {"title": "Give the challenge a title."},
    }
    right = bot.sender.view_submission(
        user=STAFF_USER,
        callback_id="challenge_new",
        values=modal_values(
            title="Ice-free harbour in Kirkenes",
            owner="city-of-espoo",
            deadline=(date.today() + timedelta(days=30)).isoformat(),
            visibility="public",
        ),
        private_metadata=origin,
    )
    assert right.status == 200 and right.body == "" and right.seconds < ACK_SECONDS
    bot.fake.wait_for_method("chat.postEphemeral")
    with session_scope(engine) as session:
        titles = list(session.scalars(select(Challenge.title)))
    assert titles == ["Ice-free harbour in Kirkenes"]


@SQLITE_ONLY
def test_a_dropped_connection_is_opened_again_and_answers_go_on(
    engine: Engine, fake_slack: FakeSlack, cast: Cast
) -> None:
    # slack_sdk's client notices a dead connection by its unanswered pings: a short interval
    # makes it notice within seconds.
    with socket_mode_bot(engine, fake_slack, ping_interval=0.5) as bot:
        bot.socket.drop()
        bot.socket.wait_connected(2)
        assert len(bot.fake.calls_to("apps.connections.open")) == 2  # a fresh URL for each
        assert mention(bot) < ACK_SECONDS
        answer = bot.fake.wait_for_method("chat.postMessage")[0]
    assert answer.args["thread_ts"] == MENTION_TS


def test_the_same_envelope_twice_is_acknowledged_twice_and_answered_once(
    bot: SocketModeBot,
) -> None:
    mention(bot)
    bot.fake.wait_for_method("chat.postMessage")
    bot.sender.next_envelope_id = bot.sender.envelope_ids[0]
    mention(bot)  # the same envelope (and event) again
    bot.sender.next_envelope_id = None
    bot.fake.settle()
    (envelope_id,) = set(bot.sender.envelope_ids)
    assert len(bot.socket.acks[envelope_id]) == 2
    assert len(bot.fake.calls_to("chat.postMessage")) == 1


def test_a_slash_command_delivered_twice_is_answered_once(bot: SocketModeBot) -> None:
    bot.sender.command("/solvers", "structural health monitoring", user=LONER_USER)
    bot.fake.wait_for_method("response_url")
    bot.sender.next_envelope_id = bot.sender.envelope_ids[0]
    again = bot.sender.command("/solvers", "structural health monitoring", user=LONER_USER)
    assert again.status == 200
    bot.fake.settle()
    assert len(bot.fake.calls_to("response_url")) == 1


def test_a_retried_event_in_a_new_envelope_is_answered_once(bot: SocketModeBot) -> None:
    bot.sender.event(
        {
            "type": "app_mention",
            "user": LONER_USER,
            "text": f"<@U0SCICBOT1> {QUESTION}",
            "channel": GENERAL_CHANNEL,
            "ts": MENTION_TS,
        },
        event_id="Ev0SOCKET01",
    )
    bot.fake.wait_for_method("chat.postMessage")
    bot.sender.event(
        {
            "type": "app_mention",
            "user": LONER_USER,
            "text": f"<@U0SCICBOT1> {QUESTION}",
            "channel": GENERAL_CHANNEL,
            "ts": MENTION_TS,
        },
        event_id="Ev0SOCKET01",
        retry_num=1,
    )
    bot.fake.settle()
    assert len(set(bot.sender.envelope_ids)) == 2
    assert len(bot.fake.calls_to("chat.postMessage")) == 1
