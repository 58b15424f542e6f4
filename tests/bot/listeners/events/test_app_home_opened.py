"""The Home tab: published on opening, valid Block Kit, paged, with a working digest menu."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from standins.cluster import MEMBER_USER, STRANGER_USER, Cast
from standins.slack import RunningBot
from storage.db import session_scope
from storage.models import DigestFrequency, Interest, Person
from tests.bot.block_kit import assert_valid_view
from tests.bot.listeners.commands.test_challenge import add_challenge


def open_home(bot: RunningBot, user: str, tab: str = "home") -> None:
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0DIRECT01",
        "tab": tab,
        "event_ts": "1760000000.000100",
    }
    assert bot.sender.event(event).status == 200


def published(bot: RunningBot, count: int = 1) -> dict[str, Any]:
    call = bot.fake.wait_for_method("views.publish", count=count)[-1]
    assert_valid_view(call.args["view"])
    return call.args


def test_home_shows_organisation_challenges_interests_and_digest(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    first = add_challenge(engine, cast, "kirkenes-ice")
    for n in range(7):
        add_challenge(engine, cast, f"challenge-{n}")
    with session_scope(engine) as session:
        session.add(
            Interest(challenge_id=first, member_id=cast.arctic_id, person_id=cast.member_person_id)
        )
    open_home(bot, MEMBER_USER)
    args = published(bot)
    assert args["user_id"] == MEMBER_USER
    text = str(args["view"]["blocks"])
    assert (
        "Hello, Aino Virtanen" in text and "Arctic Sense Oy" in text and "embedded sensors" in text
    )
    assert "Open challenges (1–5 of 8)" in text and "Kirkenes Ice" in text  # as interest
    assert "'value': 'weekly'" in text

    bot.sender.block_action(
        user=MEMBER_USER,
        action_id="home_challenges_page",
        value="1",
        channel=None,
        view=args["view"],
    )
    second = str(published(bot, 2)["view"]["blocks"])
    assert "Open challenges (6–8 of 8)" in second


def test_digest_menu_changes_the_setting(bot: RunningBot, engine: Engine, cast: Cast) -> None:
    daily = {"text": {"type": "plain_text", "text": "Daily"}, "value": "daily"}
    bot.sender.block_action(
        user=MEMBER_USER,
        action_id="home_digest_frequency",
        selected_option=daily,
        channel=None,
        view={"id": "V1", "type": "home"},
    )
    view = published(bot)["view"]
    digest = next(b for b in view["blocks"] if b.get("block_id") == "home_digest")
    assert digest["accessory"]["initial_option"]["value"] == "daily"
    with session_scope(engine) as session:
        assert (
            session.get_one(Person, cast.member_person_id).digest_frequency is DigestFrequency.DAILY
        )


def test_strangers_see_how_to_get_added_and_the_messages_tab_is_left_alone(bot: RunningBot) -> None:
    open_home(bot, STRANGER_USER, tab="messages")
    open_home(bot, STRANGER_USER)
    args = published(bot)
    assert "ask the SCIC staff to add you" in str(args["view"]["blocks"])
    assert len(bot.fake.settle()) == 1
