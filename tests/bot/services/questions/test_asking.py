"""The question use case end to end on a store: thread memory kept in the question log, the
language model's reading and its fallback, and what is logged and shown."""

from __future__ import annotations

import chromadb
import pytest
from sqlalchemy import Engine, func, select

from bot.blocks.answer_layout import reply_text
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch
from bot.services.questions.asking import (
    Thread,
    asked_in_thread,
    read_question,
    reply_json,
    reply_to,
    summary_line,
)
from standins.search import FakeEmbedder, fresh_search
from storage.db import session_scope
from storage.models import QuestionLog
from tests.bot.services.scripted_models import answering, broken
from tests.bot.services.test_matching import populate, viewer_at


@pytest.fixture
def store(engine: Engine) -> tuple[Engine, SolverSearch]:
    populate(engine)
    return engine, fresh_search(chromadb.EphemeralClient(), FakeEmbedder(), engine)


def test_a_follow_up_in_the_same_thread_keeps_the_need(store: tuple[Engine, SolverSearch]) -> None:
    engine, search = store
    viewer = viewer_at(engine, "parkly")
    thread = Thread("D0PARKLY", "100.1")
    first = reply_to(
        engine=engine,
        search=search,
        viewer=viewer,
        text="who can do snow load sensing on flat roofs?",
        thread=thread,
    )
    assert first.question_id is not None
    assert asked_in_thread(engine=engine, thread=thread)
    assert not asked_in_thread(engine=engine, thread=Thread("D0PARKLY", "200.1"))

    follow_up = reply_to(
        engine=engine,
        search=search,
        viewer=viewer,
        text="and in Espoo?",
        thread=thread,
    )
    understood = follow_up.answer.question
    assert understood.follows_up
    assert understood.intent == "solvers"
    assert understood.need == first.answer.question.need != ""
    assert understood.filters.place == "Espoo"
    assert understood.filters.local

    # A new thread starts with a clean memory: "and in Espoo?" alone asks for nothing known.
    fresh = reply_to(
        engine=engine,
        search=search,
        viewer=viewer,
        text="and in Espoo?",
        thread=Thread("D0PARKLY", "300.1"),
    )
    assert not fresh.answer.question.follows_up


def test_every_question_in_a_thread_is_logged_with_what_was_said(
    store: tuple[Engine, SolverSearch],
) -> None:
    engine, search = store
    viewer = viewer_at(engine, "parkly")
    reply = reply_to(
        engine=engine,
        search=search,
        viewer=viewer,
        text="what does Kantava do?",
        thread=Thread("C0GENERAL", "1.1"),
    )
    with session_scope(engine) as session:
        logged = session.get(QuestionLog, reply.question_id)
        assert logged is not None
        assert logged.question == "what does Kantava do?"
        assert logged.answer == summary_line(reply.answer) == "member: kantava"
        assert logged.channel_id == "C0GENERAL"

    # Without a thread (a one-off `scic ask`) nothing is logged.
    before = _questions(engine)
    unlogged = reply_to(
        engine=engine,
        search=search,
        viewer=viewer,
        text="what does Kantava do?",
    )
    assert unlogged.question_id is None
    assert _questions(engine) == before


def test_the_json_reply_says_what_was_understood_and_listed(
    store: tuple[Engine, SolverSearch],
) -> None:
    engine, search = store
    reply = reply_to(
        engine=engine,
        search=search,
        viewer=viewer_at(engine, "parkly"),
        text="which challenges are open in Espoo?",
    )
    shown = reply_json(reply, "the text")
    assert shown["intent"] == "challenges"
    assert shown["language"] == "en"
    assert shown["understood"]["place"] == "Espoo"
    assert [c["slug"] for c in shown["challenges"]] == ["espoo-winter-roofs"]
    assert shown["written"] is False
    assert shown["text"] == "the text"


def test_the_models_reading_is_resolved_against_the_records(
    store: tuple[Engine, SolverSearch],
) -> None:
    engine, search = store
    viewer = viewer_at(engine, "parkly")
    # No asking word decides this; the model reads it as a question about a member.
    text = "those roof-load folks up in Oulu"
    offline = read_question(engine=engine, search=search, viewer=viewer, text=text)
    assert not offline.settled
    model = answering({"operation": "member", "organisation": "Kantava"})
    understood = read_question(
        engine=engine,
        search=search,
        viewer=viewer,
        text=text,
        llm=LanguageModel(model),
    )
    assert understood.intent == "member"
    assert understood.member_id == viewer_at(engine, "kantava").member_id
    assert model.seen, "the model was asked"
    assert "roof-load folks" in str(model.seen[0][-1].content)


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(lambda: LanguageModel(broken()), id="model fails"),
        pytest.param(
            lambda: LanguageModel(answering({"operation": "member", "organisation": "Nokia"})),
            id="model names no member",
        ),
        pytest.param(
            lambda: LanguageModel(answering({"operation": "member", "surprise": 1})),
            id="model answers the wrong shape",
        ),
    ],
)
def test_the_offline_reading_stands_when_the_model_cannot_be_used(
    store: tuple[Engine, SolverSearch], model: object
) -> None:
    engine, search = store
    viewer = viewer_at(engine, "parkly")
    text = "snow load on flat roofs"
    offline = read_question(engine=engine, search=search, viewer=viewer, text=text)
    assert not offline.settled, "the model is asked"
    with_model = read_question(
        engine=engine,
        search=search,
        viewer=viewer,
        text=text,
        llm=model(),  # type: ignore[operator]
    )
    assert with_model == offline


def test_the_model_cannot_point_at_a_challenge_the_asker_may_not_see(
    store: tuple[Engine, SolverSearch],
) -> None:
    engine, search = store
    model = answering({"operation": "challenge", "challenge": "secret parking"})
    understood = read_question(
        engine=engine,
        search=search,
        viewer=viewer_at(engine, "parkly"),
        text="that hush-hush parking thing",
        llm=LanguageModel(model),
    )
    assert model.seen, "the model was asked"
    assert understood.challenge_id is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("thanks!", "other"),
        ("who can do snow load sensing on flat roofs?", "solvers"),
        ("which challenges are open in Espoo?", "challenges"),
    ],
)
def test_what_asking_words_decide_never_reaches_the_model(
    store: tuple[Engine, SolverSearch], text: str, intent: str
) -> None:
    engine, search = store
    model = answering({"operation": "person", "person": "Nobody"})
    understood = read_question(
        engine=engine,
        search=search,
        viewer=viewer_at(engine, "parkly"),
        text=text,
        llm=LanguageModel(model),
    )
    assert understood.intent == intent
    assert not model.seen


def _questions(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(QuestionLog)) or 0


def test_an_empty_message_gets_the_help_text(store: tuple[Engine, SolverSearch]) -> None:
    engine, search = store
    reply = reply_to(engine=engine, search=search, viewer=viewer_at(engine, "parkly"), text="?")
    assert reply_text(reply).startswith("I answer from the cluster's own records.")


def test_comparing_members_profiles_each(store: tuple[Engine, SolverSearch]) -> None:
    engine, search = store
    reply = reply_to(
        engine=engine,
        search=search,
        viewer=viewer_at(engine, "parkly"),
        text="compare Kantava and Kaupunkidata",
    )
    assert reply.answer.members_listed == ("kantava", "kaupunkidata")
    text = reply_text(reply)
    assert text.index("Kantava Structural Monitoring Oy") < text.index("Kaupunkidata")
    assert {s.key for s in reply.answer.sources if s.kind == "member"} >= {
        "kantava",
        "kaupunkidata",
    }
