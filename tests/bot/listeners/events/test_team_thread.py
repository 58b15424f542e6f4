"""Mentions in a challenge card's thread: "who is missing?" and "summarize" answered by the
team service, everything else left to the question flow; restricted threads answer insiders."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.services.matching import SolverMatch, TeamSuggestion
from bot.services.teams import threads
from standins.cluster import MEMBER_USER, STAFF_USER, Cast
from standins.openai_server import FakeOpenAI
from standins.slack import (
    BOT_ID,
    BOT_USER_ID,
    CHALLENGES_CHANNEL,
    STAFF_CHANNEL,
    ApiCall,
    RunningBot,
)
from storage.db import session_scope
from storage.llm_usage import model_calls
from storage.models import Challenge, Team, TeamMembership, Visibility
from tests.bot.listeners.commands.test_challenge import add_challenge

CARD_TS = "1760000100.000100"
POLAR = SolverMatch(
    member_slug="polar-logistics",
    member_name="Polar Logistics AS",
    kind="company",
    city="Tromsø",
    country="Norway",
    score=0.8,
    reason="ran winter port logistics in Hammerfest",
)


class FakeSuggester:
    """Stands in for matching.suggest_team: a fixed answer, and what it was asked."""

    def __init__(self) -> None:
        self.asked: list[list[int]] = []

    def __call__(
        self, session: Session, challenge: Challenge, team_member_ids: Collection[int]
    ) -> TeamSuggestion:
        self.asked.append(sorted(team_member_ids))
        return TeamSuggestion(
            needs=("ice monitoring", "maritime logistics", "port operations"),
            members=(POLAR,),
            # As matching.suggest_team answers: "ice monitoring" is covered by the team.
            covered_by={
                "ice monitoring": (),
                "maritime logistics": ("polar-logistics",),
                "port operations": (),
            },
            uncovered=("port operations",),
            team_covers={"ice monitoring": ("arctic-sense",)},
        )


@pytest.fixture
def suggester(monkeypatch: pytest.MonkeyPatch) -> FakeSuggester:
    fake = FakeSuggester()
    monkeypatch.setattr(threads, "default_team_suggester", lambda search: fake)
    return fake


def card_with_team(engine: Engine, cast: Cast, **changes: object) -> int:
    values: dict[str, object] = {
        "slack_channel_id": CHALLENGES_CHANNEL,
        "slack_thread_ts": CARD_TS,
        "needs": ["ice monitoring", "maritime logistics", "port operations"],
    }
    challenge_id = add_challenge(engine, cast, "kirkenes-ice", **(values | changes))
    with session_scope(engine) as session:
        team = Team(challenge_id=challenge_id)
        session.add(team)
        session.flush()
        session.add(TeamMembership(team_id=team.id, member_id=cast.arctic_id, role="technology"))
    return challenge_id


def mention(
    bot: RunningBot,
    user: str,
    text: str,
    *,
    channel: str = CHALLENGES_CHANNEL,
    thread: str = CARD_TS,
) -> None:
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}",
        "channel": channel,
        "ts": "1760000300.000300",
        "event_ts": "1760000300.000300",
        "thread_ts": thread,
    }
    assert bot.sender.event(event).status == 200


def reply(bot: RunningBot) -> ApiCall:
    call = bot.fake.wait_for_method("chat.postMessage")[0]
    return call


def test_who_is_missing_lists_uncovered_needs_and_who_could_cover_them(
    bot: RunningBot, engine: Engine, cast: Cast, suggester: FakeSuggester
) -> None:
    card_with_team(engine, cast)
    mention(bot, MEMBER_USER, "who is missing?")
    answer = reply(bot)
    assert (answer.args["channel"], answer.args["thread_ts"]) == (CHALLENGES_CHANNEL, CARD_TS)
    text = str(answer.args["blocks"])
    assert "*maritime logistics* — could be covered by *Polar Logistics AS*" in text
    assert "*port operations* — nobody in the cluster's records covers it yet" in text
    assert "Covered: ice monitoring (Arctic Sense Oy)" in text
    assert answer.args["text"] == "Not covered yet: maritime logistics, port operations"
    assert suggester.asked == [[cast.arctic_id]]


def discussion(request_text: str) -> list[dict[str, Any]]:
    """A card's thread: the card, a decision, a question, two tasks, small talk, the request."""
    return [
        {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": "Kirkenes Ice",
            "ts": CARD_TS,
        },
        {
            "type": "message",
            "user": "U0AINO00001",
            "text": "We agreed to bid with LoRaWAN sensors. Who knows the harbour master?",
            "ts": "1760000101.0",
        },
        {
            "type": "message",
            "user": "U0EERO00001",
            "text": "I'll draft the budget by Friday.",
            "ts": "1760000102.0",
        },
        {
            "type": "message",
            "user": "U0MATTI0001",
            "text": "Päätettiin että Espoo on pilottikohde. Hoidan yhteydet satamaan.",
            "ts": "1760000103.0",
        },
        {
            "type": "message",
            "user": "U0AINO00001",
            "text": "Nice weather today",
            "ts": "1760000104.0",
        },
        {
            "type": "message",
            "user": "U0AINO00001",
            "text": f"<@{BOT_USER_ID}> {request_text}",
            "ts": "1760000105.0",
        },
    ]


@pytest.mark.parametrize("request_text", ["summarize", "please summarise this", "tiivistä"])
def test_summary_picks_decisions_questions_and_tasks_with_their_authors(
    bot: RunningBot, engine: Engine, cast: Cast, request_text: str
) -> None:
    card_with_team(engine, cast)
    thread = discussion(request_text)
    bot.fake.add_thread(CHALLENGES_CHANNEL, CARD_TS, thread)
    mention(bot, MEMBER_USER, request_text)
    answer = reply(bot)
    assert answer.args["thread_ts"] == CARD_TS
    blocks = [b["text"]["text"] for b in answer.args["blocks"] if b["type"] == "section"]
    # The bot's own words in the request's language; the picked sentences as written.
    finnish = request_text == "tiivistä"
    people = "<@U0AINO00001> <@U0EERO00001> <@U0MATTI0001>"
    counted = f"4 viestiä – {people}" if finnish else f"4 messages from {people}"
    assert counted in blocks[0]
    headings = (
        ("Päätökset", "Avoimet kysymykset", "Kuka tekee mitä")
        if finnish
        else ("Decisions", "Open questions", "Who does what")
    )
    assert blocks[1] == (
        f"*{headings[0]}*\n• <@U0AINO00001>: We agreed to bid with LoRaWAN sensors.\n"
        "• <@U0MATTI0001>: Päätettiin että Espoo on pilottikohde."
    )
    assert blocks[2] == f"*{headings[1]}*\n• <@U0AINO00001>: Who knows the harbour master?"
    assert blocks[3] == (
        f"*{headings[2]}*\n• <@U0EERO00001>: I'll draft the budget by Friday.\n"
        "• <@U0MATTI0001>: Hoidan yhteydet satamaan."
    )
    replies = bot.fake.calls_to("conversations.replies")
    assert replies[0].args["channel"] == CHALLENGES_CHANNEL and replies[0].args["ts"] == CARD_TS


def test_other_threads_and_other_questions_go_to_the_question_flow(
    bot: RunningBot, engine: Engine, cast: Cast, suggester: FakeSuggester
) -> None:
    card_with_team(engine, cast)
    mention(bot, MEMBER_USER, "who is missing?", thread="1760000999.000999")
    mention(bot, MEMBER_USER, "who can monitor sea ice?")
    answers = bot.fake.wait_for_method("chat.postMessage", count=2)
    # Answered from the records (members or "could not find"), never by the team service.
    assert all(
        "could solve" in a.args["text"] or "could not find" in a.args["text"] for a in answers
    )
    assert suggester.asked == []


def test_restricted_thread_answers_only_people_allowed_to_see_the_challenge(
    bot: RunningBot, engine: Engine, cast: Cast, suggester: FakeSuggester
) -> None:
    card_with_team(engine, cast, visibility=Visibility.RESTRICTED, slack_channel_id=STAFF_CHANNEL)
    mention(bot, MEMBER_USER, "who is missing?", channel=STAFF_CHANNEL)
    refusal = bot.fake.wait_for_method("chat.postEphemeral")[0]
    assert refusal.args["user"] == MEMBER_USER and "restricted" in refusal.args["text"]
    assert bot.fake.calls_to("chat.postMessage") == [] and suggester.asked == []
    mention(bot, STAFF_USER, "who is missing?", channel=STAFF_CHANNEL)
    assert "Polar Logistics AS" in str(reply(bot).args["blocks"])


# --- the summary written by a language model ----------------------------------------------------


def answered_discussion(request_text: str) -> list[dict[str, Any]]:
    """The discussion, with the harbour master question answered before the request."""
    thread = discussion(request_text)
    answer = {
        "type": "message",
        "user": "U0MATTI0001",
        "text": "The harbour master is Kari Berg; I met her in <https://kirkenes.no|Kirkenes>.",
        "ts": "1760000104.5",
    }
    return [*thread[:-1], answer, thread[-1]]


WRITTEN = {
    "overview": "The team bids with LoRaWAN sensors and Espoo is the pilot site.",
    "decisions": [{"author": "U0AINO00001", "text": "Bid with LoRaWAN sensors."}],
    "open_questions": [],
    "actions": [
        {"owner": "U0EERO00001", "text": "Draft the budget by Friday."},
        {"owner": "U0NOBODY001", "text": "Sign the contract."},
    ],
}


def test_with_a_model_the_summary_is_written_and_checked_against_the_thread(
    llm_bot: RunningBot, engine: Engine, cast: Cast, server: FakeOpenAI
) -> None:
    card_with_team(engine, cast)
    llm_bot.fake.add_thread(CHALLENGES_CHANNEL, CARD_TS, answered_discussion("summarize"))
    server.reply_json(WRITTEN)
    mention(llm_bot, MEMBER_USER, "summarize")
    answer = reply(llm_bot)
    assert answer.args["thread_ts"] == CARD_TS
    blocks = [b["text"]["text"] for b in answer.args["blocks"] if b["type"] == "section"]
    assert "5 messages from <@U0AINO00001> <@U0EERO00001> <@U0MATTI0001>" in blocks[0]
    assert blocks[1:] == [
        "The team bids with LoRaWAN sensors and Espoo is the pilot site.",
        "*Decisions*\n• <@U0AINO00001>: Bid with LoRaWAN sensors.",
        # Answered by Matti later in the thread: not open (the picked summary lists it).
        "*Open questions*\nnone so far",
        # The contract "owner" never appears in the thread: that task is dropped.
        "*Who does what*\n• <@U0EERO00001>: Draft the budget by Friday.",
    ]
    (request,) = server.requests
    assert request.response_format is not None and "Write in English" in request.system
    assert "The harbour master is Kari Berg; I met her in Kirkenes." in request.user
    assert "Nice weather today" in request.user and "summarize" not in request.user
    with session_scope(engine) as session:
        (call,) = model_calls(session=session)
        assert (call.task, call.person_id) == ("thread_summary", cast.member_person_id)


def test_a_summary_asked_for_in_finnish_is_written_in_finnish(
    llm_bot: RunningBot, engine: Engine, cast: Cast, server: FakeOpenAI
) -> None:
    card_with_team(engine, cast)
    llm_bot.fake.add_thread(CHALLENGES_CHANNEL, CARD_TS, answered_discussion("tiivistä"))
    server.reply_json(WRITTEN | {"overview": "Tiimi tarjoaa LoRaWAN-antureita."})
    mention(llm_bot, MEMBER_USER, "tiivistä")
    answer = reply(llm_bot)
    blocks = [b["text"]["text"] for b in answer.args["blocks"] if b["type"] == "section"]
    assert blocks[0].startswith("*Yhteenveto ketjusta tähän asti*")
    assert blocks[1] == "Tiimi tarjoaa LoRaWAN-antureita."
    assert "Write in Finnish" in server.requests[0].system


def test_when_the_model_keeps_failing_the_picked_summary_is_posted(
    llm_bot: RunningBot, engine: Engine, cast: Cast, server: FakeOpenAI
) -> None:
    card_with_team(engine, cast)
    llm_bot.fake.add_thread(CHALLENGES_CHANNEL, CARD_TS, discussion("summarize"))
    server.fail(500, times=2)
    mention(llm_bot, MEMBER_USER, "summarize")
    answer = reply(llm_bot)
    blocks = [b["text"]["text"] for b in answer.args["blocks"] if b["type"] == "section"]
    assert blocks[2] == "*Open questions*\n• <@U0AINO00001>: Who knows the harbour master?"
    assert "Picked from the messages as written" in str(answer.args["blocks"])
    assert "error" not in answer.args["text"].lower()
    assert len(server.requests) == 2  # the call and its one retry
