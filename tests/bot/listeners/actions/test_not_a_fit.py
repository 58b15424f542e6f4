"""*Not a fit* checks the clicker's rights before it writes anything."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from standins.cluster import MEMBER_USER, STAFF_USER, STRANGER_USER, Cast
from standins.slack import RunningBot
from storage.db import session_scope
from storage.models import QuestionLog, SolverSuggestion, Visibility
from storage.questions import log_question
from tests.bot.listeners.commands.test_challenge import add_challenge


def click(bot: RunningBot, user: str, value: dict[str, object]) -> str:
    before = len(bot.fake.calls_to("response_url"))
    reply = bot.sender.block_action(
        user=user, action_id="solver_not_a_fit", value=json.dumps(value)
    )
    assert reply.status == 200
    return str(bot.fake.wait_for_method("response_url", count=before + 1)[-1].args["text"])


def suggestions(engine: Engine) -> list[tuple[int, int | None]]:
    with session_scope(engine) as session:
        return [(s.member_id, s.feedback_by_id) for s in session.scalars(select(SolverSuggestion))]


def test_a_restricted_challenge_takes_not_a_fit_only_from_those_who_see_it(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    hidden = add_challenge(engine, cast, "secret-ice", visibility=Visibility.RESTRICTED)
    value = {"member": "arctic-sense", "challenge": hidden}
    assert "I don't know you yet" in click(bot, STRANGER_USER, value)
    assert "Only the person who asked" in click(bot, MEMBER_USER, value)
    assert suggestions(engine) == []
    assert "not a fit" in click(bot, STAFF_USER, value)
    assert suggestions(engine) == [(cast.arctic_id, cast.staff_id)]


def test_only_the_asker_marks_the_answer_to_their_question(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    with session_scope(engine) as session:
        question = log_question(
            session=session,
            person_id=cast.staff_id,
            slack_user_id=STAFF_USER,
            channel_id="D0DIRECT01",
            thread_ts="1760000000.000001",
            question="who can do ice?",
            answer="",
            answered_members=["arctic-sense"],
        )
    value = {"member": "arctic-sense", "question": question}
    assert "Only the person who asked" in click(bot, MEMBER_USER, value)
    with session_scope(engine) as session:
        assert session.get(QuestionLog, question).feedback == ""  # type: ignore[union-attr]
    assert "not a fit" in click(bot, STAFF_USER, value)
    with session_scope(engine) as session:
        entry = session.get(QuestionLog, question)
        assert entry is not None and entry.feedback == "not_a_fit:arctic-sense"


def test_a_malformed_value_writes_nothing(bot: RunningBot, engine: Engine, cast: Cast) -> None:
    reply = bot.sender.block_action(user=STAFF_USER, action_id="solver_not_a_fit", value="{")
    assert reply.status == 200
    bot.fake.settle()
    assert suggestions(engine) == []
