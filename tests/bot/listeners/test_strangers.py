"""The contract every listener keeps with a stranger (a Slack user with no person record).

Each request type answers in its own place: privately in the channel for a button on a
message, through the response_url for a slash command or an answer's buttons, in the thread
(after the working reaction) for a mention or a DM, and on the form itself for a modal. The
request is acknowledged at once, nothing else is shown, and nothing is stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func, select

from bot import ids
from bot.blocks.team_roster import JOIN_UNKNOWN_PERSON
from standins.cluster import STRANGER_USER
from standins.slack import (
    BOT_USER_ID,
    CHALLENGES_CHANNEL,
    GENERAL_CHANNEL,
    TEAM_ID,
    ApiCall,
    RunningBot,
    SlackReply,
    modal_values,
)
from storage.db import session_scope
from storage.models import Challenge, Interest, Introduction, QuestionLog, TeamMembership

POLITE = "I don't know you yet"
ASKED_TS = "1760000400.000400"
THREAD_TS = "1760000300.000300"


@dataclass(frozen=True)
class Where:
    """Where the polite reply must go: a Web API method and the arguments that place it."""

    method: str
    placed: dict[str, str | None]
    reaction_first: bool = False


# In the channel itself, not in a thread under the clicked message.
PRIVATELY_IN_CHANNEL = Where(
    "chat.postEphemeral", {"channel": CHALLENGES_CHANNEL, "user": STRANGER_USER, "thread_ts": None}
)
BY_RESPONSE_URL = Where("response_url", {})


def click(action_id: str, value: str = "1") -> Callable[[RunningBot], SlackReply]:
    def send(bot: RunningBot) -> SlackReply:
        return bot.sender.block_action(user=STRANGER_USER, action_id=action_id, value=value)

    return send


def choose(action_id: str, value: str) -> Callable[[RunningBot], SlackReply]:
    def send(bot: RunningBot) -> SlackReply:
        option = {"text": {"type": "plain_text", "text": value}, "value": value}
        return bot.sender.block_action(
            user=STRANGER_USER, action_id=action_id, selected_option=option
        )

    return send


def choose_on_home(action_id: str, value: str) -> Callable[[RunningBot], SlackReply]:
    def send(bot: RunningBot) -> SlackReply:
        option = {"text": {"type": "plain_text", "text": value}, "value": value}
        return bot.sender.block_action(
            user=STRANGER_USER, action_id=action_id, selected_option=option, channel=None
        )

    return send


def command(name: str, text: str) -> Callable[[RunningBot], SlackReply]:
    def send(bot: RunningBot) -> SlackReply:
        return bot.sender.command(name, text, user=STRANGER_USER)

    return send


def open_source_in_thread(bot: RunningBot) -> SlackReply:
    """The sources menu under a written answer, which lives in the question's thread."""
    option = {"text": {"type": "plain_text", "text": "Arctic Sense"}, "value": "member:x"}
    payload = {
        "type": "block_actions",
        "user": {"id": STRANGER_USER, "username": "stranger", "team_id": TEAM_ID},
        "api_app_id": "A0SCICAPP1",
        "token": "legacy-verification-token",
        "team": {"id": TEAM_ID, "domain": "scic"},
        "trigger_id": bot.sender.new_trigger_id(),
        "container": {
            "type": "message",
            "message_ts": ASKED_TS,
            "channel_id": CHALLENGES_CHANNEL,
            "thread_ts": THREAD_TS,
        },
        "channel": {"id": CHALLENGES_CHANNEL, "name": "challenges"},
        "message": {"type": "message", "ts": ASKED_TS, "thread_ts": THREAD_TS, "text": ""},
        "response_url": bot.fake.response_url("action"),
        "actions": [
            {
                "action_id": ids.OPEN_SOURCE,
                "block_id": "b1",
                "type": "static_select",
                "selected_option": option,
                "action_ts": "1760000401.000001",
            }
        ],
    }
    return bot.sender.interaction(payload)


def mention(bot: RunningBot) -> SlackReply:
    event = {
        "type": "app_mention",
        "user": STRANGER_USER,
        "text": f"<@{BOT_USER_ID}> who can solve snow loads?",
        "channel": GENERAL_CHANNEL,
        "ts": ASKED_TS,
        "event_ts": ASKED_TS,
    }
    return bot.sender.event(event)


def mention_in_thread(bot: RunningBot) -> SlackReply:
    event = {
        "type": "app_mention",
        "user": STRANGER_USER,
        "text": f"<@{BOT_USER_ID}> and ice?",
        "channel": GENERAL_CHANNEL,
        "ts": ASKED_TS,
        "event_ts": ASKED_TS,
        "thread_ts": THREAD_TS,
    }
    return bot.sender.event(event)


def direct_message(bot: RunningBot) -> SlackReply:
    return bot.sender.message(STRANGER_USER, "who can solve snow loads?", extra={"ts": ASKED_TS})


ANSWERED_IN_PLACE = [
    pytest.param(command("/challenge", "list"), BY_RESPONSE_URL, id="/challenge"),
    pytest.param(command("/digest", ""), BY_RESPONSE_URL, id="/digest"),
    pytest.param(command("/solvers", "snow loads"), BY_RESPONSE_URL, id="/solvers"),
    pytest.param(click(ids.JOIN_FROM_CARD), PRIVATELY_IN_CHANNEL, id="card interested"),
    pytest.param(click(ids.INTEREST_FROM_DIGEST), PRIVATELY_IN_CHANNEL, id="digest interested"),
    pytest.param(click(ids.NOT_RELEVANT), PRIVATELY_IN_CHANNEL, id="digest not relevant"),
    pytest.param(click(ids.TEAM_LEAVE), PRIVATELY_IN_CHANNEL, id="team leave"),
    pytest.param(choose(ids.TEAM_ROLE, "1:technology"), PRIVATELY_IN_CHANNEL, id="team role"),
    pytest.param(choose(ids.TEAM_STATUS, "1:submitted"), PRIVATELY_IN_CHANNEL, id="team status"),
    pytest.param(
        click(ids.INTRODUCE, json.dumps({"member": "arctic-sense"})),
        BY_RESPONSE_URL,
        id="introduce",
    ),
    pytest.param(click(ids.SHARE, "snow loads"), BY_RESPONSE_URL, id="share answer"),
    pytest.param(click(ids.ASK_STAFF, "snow loads?"), BY_RESPONSE_URL, id="ask staff"),
    pytest.param(
        click(ids.NOT_A_FIT, json.dumps({"member": "arctic-sense"})),
        BY_RESPONSE_URL,
        id="not a fit",
    ),
    pytest.param(click(ids.PROFILE_STILL_TRUE), BY_RESPONSE_URL, id="profile still true"),
    pytest.param(click(ids.PROFILE_NOT_NOW), BY_RESPONSE_URL, id="profile not now"),
    pytest.param(click(ids.PROFILE_EDIT), BY_RESPONSE_URL, id="profile edit"),
    pytest.param(
        choose(ids.CHALLENGE_AFTER_DEADLINE, "1:won"), PRIVATELY_IN_CHANNEL, id="after deadline"
    ),
    pytest.param(
        choose_on_home(ids.HOME_NUDGES, "off"),
        Where("chat.postMessage", {"channel": STRANGER_USER}),
        id="home nudges",
    ),
    pytest.param(
        open_source_in_thread,
        Where(
            "chat.postEphemeral",
            {"channel": CHALLENGES_CHANNEL, "user": STRANGER_USER, "thread_ts": THREAD_TS},
        ),
        id="open a source",
    ),
    pytest.param(
        mention,
        Where("chat.postMessage", {"channel": GENERAL_CHANNEL, "thread_ts": ASKED_TS}, True),
        id="mention",
    ),
    pytest.param(
        mention_in_thread,
        Where("chat.postMessage", {"channel": GENERAL_CHANNEL, "thread_ts": THREAD_TS}, True),
        id="mention in a thread",
    ),
    pytest.param(
        direct_message,
        Where("chat.postMessage", {"channel": "D0DIRECT01", "thread_ts": ASKED_TS}, True),
        id="direct message",
    ),
]


def nothing_stored(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return all(
            session.scalar(select(func.count()).select_from(table)) == 0
            for table in (Challenge, Interest, TeamMembership, Introduction, QuestionLog)
        )


@pytest.mark.parametrize(("send", "where"), ANSWERED_IN_PLACE)
def test_a_stranger_is_told_how_to_get_added_where_the_request_answers(
    bot: RunningBot, engine: Engine, send: Callable[[RunningBot], SlackReply], where: Where
) -> None:
    reply = send(bot)
    assert reply.status == 200
    assert reply.body == ""  # acknowledged, with the reply sent separately
    bot.fake.wait_for_method(where.method)
    visible = bot.fake.settle()
    expected = ["reactions.add", where.method] if where.reaction_first else [where.method]
    assert [c.method for c in visible] == expected
    polite: ApiCall = visible[-1]
    assert POLITE in polite.args["text"]
    assert polite.args.get("blocks")
    assert {k: polite.args.get(k) for k in where.placed} == where.placed
    if where.reaction_first:
        assert visible[0].args["timestamp"] == ASKED_TS
    assert nothing_stored(engine)


def submit_challenge(bot: RunningBot) -> SlackReply:
    values = modal_values(title="Snow loads on roofs", visibility="public")
    metadata = json.dumps({"channel_id": GENERAL_CHANNEL})
    return bot.sender.view_submission(
        user=STRANGER_USER,
        callback_id=ids.CHALLENGE_MODAL,
        values=values,
        private_metadata=metadata,
    )


def submit_team_choice(bot: RunningBot) -> SlackReply:
    option = {"text": {"type": "plain_text", "text": "Team 1"}, "value": "1"}
    values = {"team": {"value": {"type": "static_select", "selected_option": option}}}
    metadata = json.dumps({"challenge_id": 1, "channel": CHALLENGES_CHANNEL})
    return bot.sender.view_submission(
        user=STRANGER_USER,
        callback_id=ids.TEAM_JOIN_MODAL,
        values=values,
        private_metadata=metadata,
    )


@pytest.mark.parametrize(
    ("send", "errors"),
    [
        pytest.param(
            submit_challenge, {"title": "Only SCIC staff can post challenges."}, id="new challenge"
        ),
        pytest.param(submit_team_choice, {"team": JOIN_UNKNOWN_PERSON}, id="team choice"),
    ],
)
def test_a_stranger_s_modal_stays_open_with_the_reason_on_the_form(
    bot: RunningBot,
    engine: Engine,
    send: Callable[[RunningBot], SlackReply],
    errors: dict[str, str],
) -> None:
    reply = send(bot)
    assert reply.status == 200
    assert reply.json() == {"response_action": "errors", "errors": errors}
    assert bot.fake.settle() == []
    assert nothing_stored(engine)


def test_a_modal_submission_waits_for_no_slack_call_before_its_ack(bot: RunningBot) -> None:
    """Its acknowledgement carries the form's errors, so who submits it is read from the store
    alone: a slow users.info (held here) never holds the ack back."""
    held = bot.fake.hold("users.info")
    try:
        reply = submit_challenge(bot)
        assert reply.status == 200 and reply.seconds < 3
        assert reply.json()["errors"] == {"title": "Only SCIC staff can post challenges."}
        assert bot.fake.calls_to("users.info") == []
    finally:
        held.set()
