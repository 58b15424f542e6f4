"""The Home tab shows a member's people why their profile matters, and staff get the same numbers
per member with `/profile impact`; a restricted challenge is never counted for outsiders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from standins.cluster import MEMBER_USER, STAFF_USER, Cast, add_challenge, add_member
from standins.slack import RunningBot
from storage import clock
from storage.db import session_scope
from storage.models import Member, QuestionLog, SolverSuggestion, Visibility
from tests.bot.block_kit import assert_valid_view


def busy_month(engine: Engine, cast: Cast) -> None:
    now = clock.now()
    with session_scope(engine) as session:
        arctic = session.get_one(Member, cast.arctic_id)
        arctic.capabilities = ["district heating network monitoring"]
        add_member(session, "leakfind", capabilities=["district heating leak detection"])
        session.add_all(
            [
                QuestionLog(
                    question="who can do district heating leak detection?",
                    answered_members=["leakfind"],
                    created_at=now - timedelta(days=1),
                ),
                QuestionLog(
                    question="who can help with embedded sensors for bridges?",
                    answered_members=["arctic-sense"],
                    created_at=now - timedelta(days=2),
                ),
            ]
        )
        public = add_challenge(session, "roof-loads", title="Roof loads in Espoo schools")
        secret = add_challenge(
            session, "secret-bridge", title="Secret bridge", visibility=Visibility.RESTRICTED
        )
        session.add_all(
            [
                SolverSuggestion(challenge_id=c.id, member_id=arctic.id, score=0.5)
                for c in (public, secret)
            ]
        )


def test_the_home_tab_shows_why_the_profile_matters(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    busy_month(engine, cast)
    bot.sender.event(
        {"type": "app_home_opened", "user": MEMBER_USER, "tab": "home", "channel": "D1"}
    )
    view = bot.fake.wait_for_method("views.publish")[0].args["view"]
    assert_valid_view(view)
    text = str(view["blocks"])
    assert "*Why your profile matters*" in text
    assert "Suggested *2* times in the last 30 days" in text
    assert "_embedded sensors for bridges_ · _Roof loads in Espoo schools_" in text
    assert "Secret bridge" not in text
    assert (
        "You were 2nd for _district heating leak detection_; your profile does not mention "
        "*leak detection*." in text
    )


def test_staff_see_the_numbers_per_member(bot: RunningBot, engine: Engine, cast: Cast) -> None:
    busy_month(engine, cast)
    bot.sender.command("/profile", "impact arctic-sense", user=STAFF_USER)
    shown = bot.fake.wait_for_method("response_url")[0].args
    assert "Suggested *3* times" in shown["blocks"][0]["text"]["text"]  # the restricted one too
    bot.sender.command("/profile", "impact city-of-espoo", user=MEMBER_USER)
    refused = bot.fake.wait_for_method("response_url", count=2)[-1].args
    assert "City of Espoo is not yours" in refused["text"]


def test_an_edit_adding_the_missing_words_shows_at_once(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    busy_month(engine, cast)
    home = {"type": "app_home_opened", "user": MEMBER_USER, "tab": "home", "channel": "D1"}
    bot.sender.event(home)
    first = str(bot.fake.wait_for_method("views.publish")[0].args["view"]["blocks"])
    assert "does not mention *leak detection*" in first
    bot.sender.command("/profile", "", user=MEMBER_USER)
    form = bot.fake.wait_for_method("views.open")[0].args["view"]
    values = {
        b["block_id"]: {
            "value": {"type": "plain_text_input", "value": b["element"].get("initial_value")}
        }
        for b in form["blocks"]
        if b["type"] == "input"
    }
    values["capabilities@0"]["value"]["value"] = (
        "district heating network monitoring\ndistrict heating leak detection"
    )
    reply = bot.sender.view_submission(
        user=MEMBER_USER,
        callback_id="profile_edit",
        values=values,
        private_metadata=form["private_metadata"],
    )
    assert reply.body == ""
    bot.fake.wait_for_method("chat.postMessage")
    bot.sender.event(home)
    second = str(bot.fake.wait_for_method("views.publish", count=2)[-1].args["view"]["blocks"])
    # Still ranked below the member the answer listed, but no longer for want of the words.
    assert "You were 2nd for _district heating leak detection_." in second
    assert "does not mention" not in second
