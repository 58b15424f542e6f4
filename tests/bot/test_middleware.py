"""Middleware: other bots and our own messages ignored, retried events handled once, identity."""

from __future__ import annotations

import urllib.parse
from datetime import timedelta

import time_machine
from sqlalchemy import Engine

from bot.middleware import is_from_a_bot
from bot.recovery import QuestionRecovery
from standins.cluster import MEMBER_USER, STAFF_USER, STRANGER_USER, Cast
from standins.slack import BOT_ID, BOT_USER_ID, RunningBot
from storage.db import session_scope
from storage.models import Person
from storage.slack_models import SlackEventReceipt


def test_bot_messages_are_recognised() -> None:
    assert is_from_a_bot({"event": {"type": "message", "bot_id": "B1", "text": "hi"}})
    assert is_from_a_bot({"event": {"type": "message", "subtype": "bot_message"}})
    assert not is_from_a_bot({"event": {"type": "message", "user": "U1", "text": "hi"}})
    assert not is_from_a_bot({"type": "block_actions"})


def test_a_person_s_dm_gets_the_working_reaction_and_a_reply_in_thread(bot: RunningBot) -> None:
    reply = bot.sender.message(MEMBER_USER, "who can do structural health monitoring?")
    assert reply.status == 200
    calls = bot.fake.wait_for_method("chat.postMessage")
    visible = bot.fake.settle()
    assert [c.method for c in visible] == ["reactions.add", "chat.postMessage"]
    reaction, answer = visible
    assert reaction.args["name"] == "eyes"
    assert answer.args["thread_ts"] == reaction.args["timestamp"]
    assert "Arctic Sense Oy" in calls[0].args["text"]


def test_our_own_messages_and_other_bots_are_ignored(bot: RunningBot) -> None:
    own = bot.sender.message(
        BOT_USER_ID, "These members look best placed to solve it.", extra={"bot_id": BOT_ID}
    )
    own_without_bot_id = bot.sender.message(BOT_USER_ID, "echo")
    other = bot.sender.message("U0OTHERBOT1", "deploy finished", extra={"bot_id": "B0JENKINS1"})
    assert (own.status, own_without_bot_id.status, other.status) == (200, 200, 200)
    # A person's message right after shows the listener was there to answer.
    bot.sender.message(MEMBER_USER, "hello")
    bot.fake.wait_for_method("chat.postMessage")
    posts = bot.fake.settle()
    assert [c.args.get("channel") for c in posts if c.method == "chat.postMessage"] == [
        "D0DIRECT01"
    ]
    assert len([c for c in posts if c.method == "chat.postMessage"]) == 1


def test_a_retried_event_is_answered_once(bot: RunningBot, engine: Engine) -> None:
    first = bot.sender.message(MEMBER_USER, "who can solve ice?", event_id="Ev0RETRY001")
    retry = bot.sender.message(
        MEMBER_USER, "who can solve ice?", event_id="Ev0RETRY001", retry_num=1
    )
    again = bot.sender.message(
        MEMBER_USER, "who can solve ice?", event_id="Ev0RETRY001", retry_num=2
    )
    assert (first.status, retry.status, again.status) == (200, 200, 200)
    bot.fake.wait_for_method("chat.postMessage")
    visible = bot.fake.settle(quiet=0.5)
    assert [c.method for c in visible] == ["reactions.add", "chat.postMessage"]
    with session_scope(engine) as session:
        assert session.get(SlackEventReceipt, "Ev0RETRY001") is not None


def test_a_stranger_gets_the_polite_way_in(bot: RunningBot) -> None:
    bot.sender.message(STRANGER_USER, "who can solve snow loads?")
    answer = bot.fake.wait_for_method("chat.postMessage")[0]
    assert "I don't know you yet" in answer.args["text"]
    assert "ask the SCIC staff to add you (in <#C0STAFF0001>)" in answer.args["text"]
    assert answer.args["thread_ts"]


def test_the_slack_user_is_linked_once_and_remembered(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    for text in ("list", "list all", "help"):
        bot.sender.command("/challenge", text, user=STAFF_USER)
    bot.fake.wait_for_method("response_url", count=3)
    assert len(bot.fake.calls_to("users.info")) == 1
    with session_scope(engine) as session:
        assert session.get_one(Person, cast.staff_id).slack_user_id == STAFF_USER


def test_a_stranger_is_not_looked_up_again_at_once(bot: RunningBot) -> None:
    for _ in range(3):
        bot.sender.command("/challenge", "list", user=STRANGER_USER)
    answers = bot.fake.wait_for_method("response_url", count=3)
    assert all("I don't know you yet" in a.args["text"] for a in answers)
    assert len(bot.fake.calls_to("users.info")) == 1


def test_a_replayed_command_or_interaction_does_nothing_the_second_time(
    bot: RunningBot,
) -> None:
    # The exact bytes again, freshly signed: same trigger_id.
    form = urllib.parse.urlencode(
        {
            "team_id": "T0SCIC0001",
            "channel_id": "C0GENERAL01",
            "user_id": STAFF_USER,
            "command": "/challenge",
            "text": "list",
            "response_url": bot.fake.response_url("replayed"),
            "trigger_id": "98765.4321.replayed",
        }
    )
    for _ in range(3):
        assert bot.sender.post(form, "application/x-www-form-urlencoded").status == 200
    bot.fake.wait_for_method("response_url")
    payload = {
        "type": "block_actions",
        "user": {"id": STAFF_USER, "username": "staff", "team_id": "T0SCIC0001"},
        "team": {"id": "T0SCIC0001", "domain": "scic"},
        "trigger_id": "98765.4322.replayed",
        "actions": [
            {"action_id": "home_challenges_page", "block_id": "b1", "type": "button", "value": "0"}
        ],
        "container": {"type": "view", "view_id": "V0VIEW0001"},
        "view": {"id": "V0VIEW0001", "type": "home"},
    }
    for _ in range(2):
        assert bot.sender.interaction(payload).status == 200
    bot.fake.wait_for_method("views.publish")
    bot.fake.settle(quiet=0.5)
    assert len(bot.fake.calls_to("response_url")) == 1
    assert len(bot.fake.calls_to("views.publish")) == 1


def test_a_new_user_is_acknowledged_before_slack_says_who_they_are(bot: RunningBot) -> None:
    released = bot.fake.hold("users.info")
    try:
        # Acknowledged while users.info is still stuck: the lookup comes after the ack.
        event = bot.sender.message(MEMBER_USER, "who can do structural health monitoring?")
        command = bot.sender.command("/challenge", "list", user=MEMBER_USER)
        assert (event.status, command.status) == (200, 200)
        assert bot.fake.calls_to("chat.postMessage", "response_url") == []
    finally:
        released.set()
    answer = bot.fake.wait_for_method("chat.postMessage")[0]
    assert "Arctic Sense Oy" in answer.args["text"]
    bot.fake.wait_for_method("response_url")


def test_a_failed_identity_lookup_is_retried_not_taken_for_a_stranger(bot: RunningBot) -> None:
    bot.fake.server_error("users.info", times=1, status=500)
    bot.sender.message(MEMBER_USER, "who can do structural health monitoring?")
    answer = bot.fake.wait_for_method("chat.postMessage")[0]
    assert "Arctic Sense Oy" in answer.args["text"]
    assert len(bot.fake.calls_to("users.info")) == 2


def test_slack_failing_to_say_who_someone_is_gets_try_again_not_the_stranger_reply(
    bot: RunningBot, engine: Engine
) -> None:
    bot.fake.fail("users.info", "fatal_error")
    bot.sender.command("/solvers", "structural health monitoring", user=MEMBER_USER)
    reply = bot.fake.wait_for_method("response_url")[0]
    assert "could not check who you are" in reply.args["text"]
    assert "I don't know you yet" not in reply.args["text"]
    # Not remembered as a stranger: once Slack answers, the same person is served.
    bot.fake._errors.clear()
    bot.sender.command("/solvers", "structural health monitoring", user=MEMBER_USER)
    answers = bot.fake.wait_for_method("response_url", count=2)
    assert "Arctic Sense Oy" in answers[1].args["text"]


def test_a_question_slack_cannot_say_who_asked_is_kept_and_answered_once_it_can(
    bot: RunningBot, engine: Engine, clock: time_machine.Traveller
) -> None:
    """Acknowledged, so never lost: the asker is told once that the answer will come, and the
    recovery brings the question back until Slack says who asked."""
    bot.fake.fail("users.info", "fatal_error")
    bot.sender.message(MEMBER_USER, "who can do structural health monitoring?")
    told = bot.fake.wait_for_method("chat.postMessage")[0]
    assert "no need to ask again" in told.args["text"]
    assert "I don't know you yet" not in told.args["text"]
    sweeper = QuestionRecovery(bot.server.app, engine)
    clock.shift(timedelta(minutes=1))
    assert sweeper.sweep() == 1  # Slack still cannot say: nothing more is posted
    bot.fake.settle(quiet=1.0)
    assert len(bot.fake.calls_to("chat.postMessage")) == 1
    bot.fake._errors.clear()
    clock.shift(timedelta(minutes=1))
    assert sweeper.sweep() == 1
    answer = bot.fake.wait_for_method("chat.postMessage", count=2)[1]
    assert "Arctic Sense Oy" in answer.args["text"]
    bot.fake.settle(quiet=0.5)
    clock.shift(timedelta(minutes=3))
    assert sweeper.sweep() == 0
