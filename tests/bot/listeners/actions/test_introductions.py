"""*Introduce me*: the contact agrees first; only then is a group DM opened, and only once."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from bot import ids
from standins.cluster import MEMBER_USER, STAFF_USER
from standins.slack import RunningBot
from storage.db import session_scope
from storage.models import Introduction, IntroductionStatus

VALUE = json.dumps({"member": "arctic-sense", "question": None, "challenge": None})


def test_introduction_needs_the_contacts_consent_and_happens_once(
    bot: RunningBot, engine: Engine
) -> None:
    bot.sender.message(MEMBER_USER, "hi")  # Aino is on Slack: her user gets linked
    bot.fake.wait_for_method("chat.postMessage")
    bot.fake.settle()

    bot.sender.block_action(user=STAFF_USER, action_id=ids.INTRODUCE, value=VALUE)
    ask = bot.fake.wait_for_method("chat.postMessage", count=2)[-1]
    (opened,) = bot.fake.calls_to("conversations.open")
    assert opened.args["users"] == MEMBER_USER and ask.args["channel"] == "D0DIRECT01"
    buttons = [
        e["action_id"] for b in ask.args["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == [ids.INTRODUCTION_ACCEPT, ids.INTRODUCTION_DECLINE]
    note = bot.fake.wait_for_method("response_url")[-1]
    assert "whether they'd like to talk" in note.args["text"]

    bot.sender.block_action(user=STAFF_USER, action_id=ids.INTRODUCE, value=VALUE)  # twice
    bot.fake.wait_for_method("response_url", count=2)
    bot.fake.settle()
    assert len(bot.fake.calls_to("chat.postMessage")) == 2  # nothing new was sent
    assert "already asked" in bot.fake.calls_to("response_url")[-1].args["text"]

    with session_scope(engine) as session:
        intro = session.scalars(select(Introduction)).one()
        intro_id = intro.id
        assert intro.status is IntroductionStatus.REQUESTED

    bot.sender.block_action(user=STAFF_USER, action_id=ids.INTRODUCTION_ACCEPT, value=str(intro_id))
    bot.fake.wait_for_method("response_url", count=3)
    assert "Only the person who was asked" in bot.fake.calls_to("response_url")[-1].args["text"]

    bot.sender.block_action(
        user=MEMBER_USER, action_id=ids.INTRODUCTION_ACCEPT, value=str(intro_id)
    )
    group = bot.fake.wait_for_method("chat.postMessage", count=3)[-1]
    assert group.args["channel"] == "G0GROUPDM1"
    assert (
        bot.fake.calls_to("conversations.open")[-1].args["users"] == f"{STAFF_USER},{MEMBER_USER}"
    )
    assert f"<@{STAFF_USER}>" in group.args["text"] or f"<@{STAFF_USER}>" in str(
        group.args["blocks"]
    )

    bot.sender.block_action(
        user=MEMBER_USER, action_id=ids.INTRODUCTION_ACCEPT, value=str(intro_id)
    )
    bot.fake.wait_for_method("response_url", count=5)
    bot.fake.settle()
    assert len(bot.fake.calls_to("chat.postMessage")) == 3  # no second group DM
    with session_scope(engine) as session:
        assert session.scalars(select(Introduction)).one().status is IntroductionStatus.ACCEPTED


def test_not_now_tells_the_asker_and_opens_nothing(bot: RunningBot, engine: Engine) -> None:
    bot.sender.message(MEMBER_USER, "hi")
    bot.fake.wait_for_method("chat.postMessage")
    bot.fake.settle()
    bot.sender.block_action(user=STAFF_USER, action_id=ids.INTRODUCE, value=VALUE)
    bot.fake.wait_for_method("chat.postMessage", count=2)
    with session_scope(engine) as session:
        intro_id = session.scalars(select(Introduction.id)).one()
    bot.sender.block_action(
        user=MEMBER_USER, action_id=ids.INTRODUCTION_DECLINE, value=str(intro_id)
    )
    told = bot.fake.wait_for_method("chat.postMessage", count=3)[-1]
    assert "can't take this on right now" in told.args["text"]
    assert all("," not in c.args["users"] for c in bot.fake.calls_to("conversations.open"))
