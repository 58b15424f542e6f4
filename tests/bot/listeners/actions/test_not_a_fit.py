"""*Not a fit* checks the clicker's rights before it writes anything."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from standins.cluster import MEMBER_USER, STAFF_USER, STRANGER_USER, Cast
from standins.slack import RunningBot
from storage.db import session_scope
from storage.models import (
    Member,
    MemberKind,
    Person,
    QuestionLog,
    SolverSuggestion,
    Visibility,
)
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


def test_a_challenge_s_suggestions_change_only_by_staff_its_owner_or_the_member_itself(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    """Leaving a member out of a challenge's suggestions changes them for everyone (the card,
    "who is missing?"): a member who merely sees a public challenge cannot take a competitor
    off it. Their click is noted on their own question, if they asked one."""
    with session_scope(engine) as session:
        kantava = Member(slug="kantava", name="Kantava Oy", kind=MemberKind.COMPANY)
        session.add(kantava)
        session.flush()
        session.add(Person(email="o@kantava.example", name="Olli", member_id=kantava.id))
    bot.fake.add_user("U0OLLI00001", "o@kantava.example", "Olli")
    public = add_challenge(engine, cast, "open-roads")
    value = {"member": "arctic-sense", "challenge": public}
    assert "Only the SCIC staff, the challenge's owner or the member itself" in click(
        bot, "U0OLLI00001", value
    )
    assert suggestions(engine) == []
    with session_scope(engine) as session:
        olli = session.scalars(select(Person).where(Person.name == "Olli")).one()
        question = log_question(
            session=session,
            person_id=olli.id,
            slack_user_id="U0OLLI00001",
            channel_id="D0DIRECT02",
            thread_ts="1760000000.000002",
            question="who can monitor the open roads?",
            answer="",
            answered_members=["arctic-sense"],
        )
    told = click(bot, "U0OLLI00001", value | {"question": question})
    assert "noted" in told and "left out of later suggestions" not in told
    assert suggestions(engine) == []
    with session_scope(engine) as session:
        assert session.get_one(QuestionLog, question).feedback == "not_a_fit:arctic-sense"
    # The member itself says it is not a fit: that counts for the challenge.
    assert "left out of later suggestions" in click(bot, MEMBER_USER, value)
    assert suggestions(engine) == [(cast.arctic_id, cast.member_person_id)]
