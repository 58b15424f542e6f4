"""/digest shows and changes how often the digest comes."""

from __future__ import annotations

from sqlalchemy import Engine

from standins.cluster import MEMBER_USER, Cast
from standins.slack import RunningBot
from storage.db import session_scope
from storage.models import DigestFrequency, Person


def digest(bot: RunningBot, text: str) -> str:
    before = len(bot.fake.calls_to("response_url"))
    assert bot.sender.command("/digest", text, user=MEMBER_USER).status == 200
    return str(bot.fake.wait_for_method("response_url", count=before + 1)[-1].args["text"])


def test_show_change_and_refuse_unknown_settings(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    assert digest(bot, "") == "You get the digest: *weekly*."
    assert digest(bot, "OFF") == "Done: you now get the digest *off*."
    assert "Unknown digest setting 'hourly'. Use one of: weekly, daily, off." in digest(
        bot, "hourly"
    )
    with session_scope(engine) as session:
        assert (
            session.get_one(Person, cast.member_person_id).digest_frequency is DigestFrequency.OFF
        )


def test_solvers_without_a_problem_prints_usage(bot: RunningBot) -> None:
    assert bot.sender.command("/solvers", "", user=MEMBER_USER).status == 200
    (answer,) = bot.fake.wait_for_method("response_url", count=1)
    assert "Describe the problem" in str(answer.args["text"])
