"""A nudge's buttons and the Home tab's setting, through a real port with signed requests."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select, update

from bot import jobs
from standins.cluster import MEMBER_USER, Cast
from standins.slack import RunningBot, bot_settings
from storage import clock
from storage.db import session_scope
from storage.models import Member, Person
from storage.profile_models import ProfileChange, ProfileNudge, ProfileNudgeOptOut
from tests.bot.block_kit import assert_valid_view


def nudge_aino(bot: RunningBot, engine: Engine, cast: Cast) -> dict[str, str]:
    """Arctic Sense untouched for 200 days, and the nudge job run: Aino's DM's buttons."""
    with session_scope(engine) as session:
        session.get_one(Person, cast.member_person_id).slack_user_id = MEMBER_USER
        session.execute(
            update(Member)
            .where(Member.id == cast.arctic_id)
            .values(updated_at=clock.now() - timedelta(days=200))
        )
    run = jobs.run_nudges(jobs.build_nudge_runtime(bot_settings(bot.fake), engine))
    assert run.sent == [cast.arctic_id]
    [dm] = bot.fake.calls_to("chat.postMessage")
    assert dm.args["channel"] == MEMBER_USER
    actions = next(b for b in dm.args["blocks"] if b["type"] == "actions")
    return {e["action_id"]: e["value"] for e in actions["elements"]}


def test_still_true_is_recorded_and_the_message_replaced(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    buttons = nudge_aino(bot, engine, cast)
    assert set(buttons) == {"profile_still_true", "profile_edit_open", "profile_not_now"}
    bot.sender.block_action(
        user=MEMBER_USER,
        action_id="profile_still_true",
        value=buttons["profile_still_true"],
        channel="D0DIRECT01",
    )
    reply = bot.fake.wait_for_method("response_url")[0].args
    assert reply["replace_original"] is True
    assert "Arctic Sense Oy's profile is marked as still true" in reply["text"]
    with session_scope(engine) as session:
        change = session.scalars(select(ProfileChange)).one()
        assert (change.kind, change.person_id) == ("confirm", cast.member_person_id)
        assert session.scalars(select(ProfileNudge.answer)).one() == "confirmed"
    # Looked at now: nothing is due any more.
    again = jobs.run_nudges(jobs.build_nudge_runtime(bot_settings(bot.fake), engine))
    assert again.sent == [] and again.taken == []


def test_edit_opens_the_form_and_not_now_is_noted(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    buttons = nudge_aino(bot, engine, cast)
    bot.sender.block_action(
        user=MEMBER_USER,
        action_id="profile_edit_open",
        value=buttons["profile_edit_open"],
        channel="D0DIRECT01",
    )
    form = bot.fake.wait_for_method("views.open")[0].args["view"]
    assert form["callback_id"] == "profile_edit"
    bot.sender.block_action(
        user=MEMBER_USER,
        action_id="profile_not_now",
        value=buttons["profile_not_now"],
        channel="D0DIRECT01",
    )
    reply = bot.fake.wait_for_method("response_url")[0].args
    assert reply["text"].startswith("All right, not now.")
    with session_scope(engine) as session:
        assert session.scalars(select(ProfileNudge.answer)).one() == "not_now"


def test_people_turn_nudges_off_on_the_home_tab(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    off = {"text": {"type": "plain_text", "text": "Off"}, "value": "off"}
    bot.sender.block_action(
        user=MEMBER_USER,
        action_id="home_profile_nudges",
        selected_option=off,
        channel=None,
        view={"id": "V1", "type": "home"},
    )
    view = bot.fake.wait_for_method("views.publish")[0].args["view"]
    assert_valid_view(view)
    menu = next(b for b in view["blocks"] if b.get("block_id") == "home_nudges")
    assert menu["accessory"]["initial_option"]["value"] == "off"
    with session_scope(engine) as session:
        assert session.get(ProfileNudgeOptOut, cast.member_person_id) is not None
    # Turned off, Aino gets no nudge when her organisation's profile goes stale.
    with session_scope(engine) as session:
        session.get_one(Person, cast.member_person_id).slack_user_id = MEMBER_USER
        session.execute(
            update(Member)
            .where(Member.id == cast.arctic_id)
            .values(updated_at=clock.now() - timedelta(days=200))
        )
    run = jobs.run_nudges(jobs.build_nudge_runtime(bot_settings(bot.fake), engine))
    assert run.nobody == [cast.arctic_id] and bot.fake.calls_to("chat.postMessage") == []
