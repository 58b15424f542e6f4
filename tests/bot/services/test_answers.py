"""Reading questions and answering them from the records, as a member would ask."""

from __future__ import annotations

import chromadb
import pytest
from sqlalchemy import Engine

from bot.blocks.answers import build_answer
from bot.console import render_answer
from bot.services.answers import answer_question, read_question
from storage.db import session_scope
from tests.bot.block_kit import assert_valid_message
from tests.bot.services.test_matching import populate, viewer_at
from tests.retrieval.conftest import FakeEmbedder
from tests.search_fixtures import fresh_search


@pytest.mark.parametrize(
    ("text", "intent", "subject", "place"),
    [
        ("<@U0BOT> who can solve snow on school roofs?", "solvers", "snow on school roofs", ""),
        ("who works on district heating?", "solvers", "district heating", ""),
        ("kuka osaa kaukolämpöä?", "solvers", "kaukolämpöä", ""),
        ("which challenges are open in Kirkenes?", "challenges", "", "Kirkenes"),
        ("Mitkä haasteet ovat auki Tampereella?", "challenges", "", "Tampere"),
        ("what does Kantava do?", "member", "Kantava", ""),
        ("mitä Lämpöverkko tekee?", "member", "Lämpöverkko", ""),
        (
            "We need early warnings for flooding in Nusantara",
            "solvers",
            "We need early warnings for flooding in Nusantara",
            "",
        ),
        ("<@U0BOT>", "unclear", "", ""),
        ("hi", "unclear", "hi", ""),
    ],
)
def test_questions_are_read_for_their_intent(
    text: str, intent: str, subject: str, place: str
) -> None:
    question = read_question(text)
    assert question.intent == intent
    if subject:
        assert question.subject == subject
    if place:
        assert question.place.startswith(place[:6])


def test_a_short_follow_up_continues_the_earlier_question() -> None:
    earlier = ["who can solve snow load on roofs?"]
    assert read_question("and in Tampere?", earlier=earlier).subject == (
        "snow load on roofs and in Tampere"
    )
    listing = ["which challenges are open in Kirkenes?"]
    follow_up = read_question("and in Tampere?", earlier=listing)
    assert (follow_up.intent, follow_up.place) == ("challenges", "Tampere")


@pytest.fixture
def answer_setup(engine: Engine) -> tuple[Engine, object]:
    populate(engine)
    search = fresh_search(chromadb.EphemeralClient(), FakeEmbedder(), engine)
    return engine, search


def ask(engine: Engine, search: object, text: str, member: str | None = "parkly") -> object:
    viewer = viewer_at(engine, member)
    with session_scope(engine) as session:
        return answer_question(session=session, search=search, viewer=viewer, text=text)  # type: ignore[arg-type]


def test_listing_challenges_hides_restricted_ones_from_others(
    answer_setup: tuple[Engine, object],
) -> None:
    engine, search = answer_setup
    seen = ask(engine, search, "which challenges are open?", member="parkly")
    allowed = ask(engine, search, "which challenges are open?", member="kaupunkidata")
    assert "secret-parking" not in [c.slug for c in seen.challenges]  # type: ignore[attr-defined]
    assert "secret-parking" in [c.slug for c in allowed.challenges]  # type: ignore[attr-defined]


def test_place_filter_and_a_member_profile(answer_setup: tuple[Engine, object]) -> None:
    engine, search = answer_setup
    espoo = ask(engine, search, "which challenges are open in Espoo?")
    assert [c.slug for c in espoo.challenges] == ["espoo-winter-roofs"]  # type: ignore[attr-defined]
    profile = ask(engine, search, "what does Kantava do?")
    assert profile.member.name == "Kantava Structural Monitoring Oy"  # type: ignore[attr-defined]
    assert "Roof load alarms for Oulu schools (City of Oulu, 2023)" in profile.member.references  # type: ignore[attr-defined]


def test_every_answer_renders_as_valid_block_kit_and_text(
    answer_setup: tuple[Engine, object],
) -> None:
    engine, search = answer_setup
    for text in (
        "who can solve snow load sensing on flat roofs?",
        "which challenges are open?",
        "what does Parkly do?",
        "hi",
        "xyzzy plugh frobnicate",
    ):
        answer = ask(engine, search, text)
        message = build_answer(answer, staff_channel="C0STAFF", question_id=7)  # type: ignore[arg-type]
        assert_valid_message(message)
        assert render_answer(answer).strip()  # type: ignore[arg-type]


def test_solver_answer_offers_introduction_and_feedback(
    answer_setup: tuple[Engine, object],
) -> None:
    engine, search = answer_setup
    answer = ask(engine, search, "who can solve snow load sensing on flat roofs?")
    message = build_answer(answer, staff_channel="C0STAFF", question_id=7)  # type: ignore[arg-type]
    actions = [
        e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert "solver_introduce" in actions and "solver_not_a_fit" in actions
    assert "<@U0KANTAVA>" in str(message["blocks"])  # linked contacts are mentioned


def test_nothing_found_offers_the_staff_not_silence(answer_setup: tuple[Engine, object]) -> None:
    engine, search = answer_setup
    answer = ask(engine, search, "which challenges are open in Atlantis?")
    message = build_answer(answer, staff_channel="C0STAFF")  # type: ignore[arg-type]
    assert "could not find" in message["text"]
    assert any(
        b["type"] == "actions" and b["elements"][0]["action_id"] == "ask_staff"
        for b in message["blocks"]
    )
