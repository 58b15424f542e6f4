"""Written answers streamed with Slack's own methods (chat.startStream / appendStream /
stopStream): whole sentences as the model writes them, the sources and the solvers' buttons when
the stream stops; the draft editing of test_written_answers.py wherever Slack will not stream,
and the template answer in the message's place when the model's text does not stand."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from sqlalchemy import Engine, select

from bot import ids
from bot.listeners.events import questions
from bot.services.llm import LanguageModel
from standins.cluster import Cast
from standins.openai_server import FakeOpenAI
from standins.slack import GENERAL_CHANNEL, TEAM_ID, ApiCall, FakeSlack, RunningBot, running_bot
from storage.db import session_scope
from storage.models import QuestionLog
from tests.bot.block_kit import assert_valid_blocks
from tests.bot.listeners.events.test_written_answers import (
    ASKER,
    QUESTION,
    WRITTEN,
    Slow,
    assert_template,
    buttons,
    llm_bot,
    texts,
)

SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
LONG = " ".join(["Arctic Sense Oy monitors bridges and roofs through the winter [1]."] * 6)


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.responder = lambda request: WRITTEN
        yield fake


def streaming_bot(engine: Engine, fake: FakeSlack, server: FakeOpenAI, **settings: Any) -> Any:
    values: dict[str, Any] = {
        "llm_model": "test-model",
        "openai_base_url": server.base_url,
        "llm_timeout": 1,
        "llm_max_retries": 1,
    }
    return running_bot(engine, fake, **(values | settings))


@pytest.fixture
def bot(
    engine: Engine, fake_slack: FakeSlack, cast: Cast, server: FakeOpenAI
) -> Iterator[RunningBot]:
    with streaming_bot(engine, fake_slack, server) as running:
        yield running


def stopped(bot: RunningBot) -> ApiCall:
    # A long answer streams a word every 0.02 s after the search: on a loaded CI machine it
    # took over 5 s to stop. Waiting longer only waits; what was streamed is asserted after.
    (stop,) = bot.fake.wait_for_method("chat.stopStream", timeout=30.0)
    bot.fake.settle()
    return stop


def test_a_written_answer_streams_and_gets_its_sources_and_buttons_when_it_stops(
    bot: RunningBot, engine: Engine
) -> None:
    bot.sender.message(ASKER, QUESTION)
    stop = stopped(bot)
    reaction, start, *rest = bot.fake.visible_calls()
    assert (reaction.method, start.method) == ("reactions.add", "chat.startStream")
    assert [c.method for c in rest][-1] == "chat.stopStream"
    assert {c.method for c in rest} <= {"chat.appendStream", "chat.stopStream"}
    assert start.args["thread_ts"] == reaction.args["timestamp"]
    assert (start.args["recipient_user_id"], start.args["recipient_team_id"]) == (ASKER, TEAM_ID)
    assert bot.fake.streamed_text() == WRITTEN
    # Under the text: the cited source, its menu, then the answer as the templates give it.
    blocks = stop.args["blocks"]
    assert_valid_blocks(blocks)
    assert blocks[0]["elements"][0]["text"] == "*Sources*\n[1] Arctic Sense Oy"
    assert blocks[1]["block_id"] == "answer_sources" and blocks[2]["type"] == "divider"
    with session_scope(engine) as session:
        logged = session.scalars(select(QuestionLog)).one()
        assert logged.answer == WRITTEN
    value = f'{{"member":"arctic-sense","question":{logged.id},"challenge":null}}'
    assert (ids.INTRODUCE, value) in buttons(stop)
    # Nothing was posted or edited: the stream is the answer.
    assert not bot.fake.calls_to("chat.postMessage", "chat.update")


@SQLITE_ONLY
def test_a_long_answer_goes_out_a_few_whole_words_at_a_time(
    engine: Engine, fake_slack: FakeSlack, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(questions, "STREAM_BUFFER", 60)
    chat = Slow(messages=iter([AIMessage(content=LONG)]))
    with running_bot(engine, fake_slack, llm=LanguageModel(chat)) as bot:
        bot.sender.message(ASKER, QUESTION)
        stop = stopped(bot)
    chunks = [
        chunk["text"]
        for call in bot.fake.calls_to("chat.startStream", "chat.appendStream", "chat.stopStream")
        for chunk in call.args.get("chunks") or []
    ]
    assert len(bot.fake.calls_to("chat.appendStream")) >= 3
    assert "".join(chunks) == LONG
    # Every piece but the last ends a sentence: only checked, complete sentences go out.
    assert all(c.endswith(". ") for c in chunks[:-1])
    assert [a for a, _ in buttons(stop)] == [ids.INTRODUCE, ids.NOT_A_FIT]


def test_where_slack_will_not_stream_a_short_answer_is_posted_whole(
    bot: RunningBot, fake_slack: FakeSlack
) -> None:
    fake_slack.streaming = False
    bot.sender.message(ASKER, QUESTION)
    bot.fake.wait_for_method("chat.postMessage")
    visible = bot.fake.settle()
    (refused,) = bot.fake.calls_to("chat.startStream")
    assert refused.refused
    assert [c.method for c in visible] == ["reactions.add", "chat.postMessage"]
    assert visible[1].args["blocks"][0]["text"]["text"] == WRITTEN
    assert [a for a, _ in buttons(visible[1])] == [ids.INTRODUCE, ids.NOT_A_FIT]


@SQLITE_ONLY
def test_where_slack_will_not_stream_the_draft_is_edited_instead(
    engine: Engine, fake_slack: FakeSlack, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(questions, "UPDATE_INTERVAL", 0.2)
    monkeypatch.setattr(questions, "DRAFT_PACE", questions.DraftPace(0.0))
    fake_slack.streaming = False
    chat = Slow(messages=iter([AIMessage(content=LONG)]))
    with running_bot(engine, fake_slack, llm=LanguageModel(chat)) as bot:
        bot.sender.message(ASKER, QUESTION)
        bot.fake.wait_for(
            lambda calls: any(
                c.method == "chat.update" and len(c.args.get("blocks", [])) > 1 for c in calls
            )
        )
        visible = bot.fake.settle()
    (refused,) = bot.fake.calls_to("chat.startStream")
    assert refused.refused
    methods = [c.method for c in visible]
    assert methods[:2] == ["reactions.add", "chat.postMessage"]
    assert visible[1].args["text"] == "Looking through the cluster's records…"
    assert set(methods[2:]) == {"chat.update"} and len(methods) >= 4  # drafts, then the end
    assert visible[-1].args["blocks"][0]["text"]["text"] == LONG
    assert not bot.fake.calls_to("chat.appendStream", "chat.stopStream")


@SQLITE_ONLY
def test_a_model_text_that_fails_a_check_midway_is_replaced_by_the_template(
    bot: RunningBot, server: FakeOpenAI
) -> None:
    server.responder = lambda request: (
        "Arctic Sense Oy builds structural health monitoring for bridges [1]. Evil Corp "
        "does it better and cheaper, with more sensors on every one of them [7]."
    )
    bot.sender.message(ASKER, QUESTION)
    final = bot.fake.wait_for_method("chat.update")[-1]
    bot.fake.settle()
    (stop,) = bot.fake.calls_to("chat.stopStream")
    # The words streamed so far cannot be taken back: the message is replaced as a whole.
    assert "Arctic Sense Oy builds" in bot.fake.streamed_text()
    assert final.args["ts"] == stop.args["ts"]
    assert not stop.args.get("blocks")
    assert_template(final)
    assert "Evil Corp" not in bot.fake.streamed_text() + texts(final)


@SQLITE_ONLY
def test_a_stream_slack_stops_taking_is_finished_with_an_update(
    engine: Engine, fake_slack: FakeSlack, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(questions, "STREAM_BUFFER", 40)
    fake_slack.fail("chat.appendStream", "message_not_in_streaming_state")
    chat = Slow(messages=iter([AIMessage(content=LONG)]))
    with running_bot(engine, fake_slack, llm=LanguageModel(chat)) as bot:
        bot.sender.message(ASKER, QUESTION)
        final = bot.fake.wait_for_method("chat.update")[-1]
        bot.fake.settle()
    (start,) = bot.fake.calls_to("chat.startStream")
    assert final.args["blocks"][0]["text"]["text"] == LONG
    assert [a for a, _ in buttons(final)] == [ids.INTRODUCE, ids.NOT_A_FIT]
    assert not bot.fake.calls_to("chat.postMessage")
    assert start.args["thread_ts"]


@SQLITE_ONLY
def test_a_mention_in_a_channel_streams_to_the_asker_in_the_thread(bot: RunningBot) -> None:
    bot.sender.event(
        {
            "type": "app_mention",
            "user": ASKER,
            "text": f"<@U0SCICBOT1> {QUESTION}",
            "channel": GENERAL_CHANNEL,
            "ts": "1760000300.000100",
        }
    )
    stopped(bot)
    (start,) = bot.fake.calls_to("chat.startStream")
    assert (start.args["channel"], start.args["thread_ts"]) == (
        GENERAL_CHANNEL,
        "1760000300.000100",
    )
    assert (start.args["recipient_user_id"], start.args["recipient_team_id"]) == (ASKER, TEAM_ID)
    assert bot.fake.streamed_text() == WRITTEN


@SQLITE_ONLY
def test_an_assistant_thread_gets_its_status_then_the_stream(bot: RunningBot) -> None:
    bot.sender.assistant_message(ASKER, QUESTION, thread_ts="1760000400.000100")
    stopped(bot)
    methods = [c.method for c in bot.fake.visible_calls()]
    assert methods[:3] == [
        "assistant.threads.setStatus",
        "assistant.threads.setTitle",
        "chat.startStream",
    ]
    assert bot.fake.calls_to("chat.startStream")[0].args["thread_ts"] == "1760000400.000100"
    assert bot.fake.streamed_text() == WRITTEN


@SQLITE_ONLY
def test_with_streaming_turned_off_no_stream_is_tried(
    engine: Engine, fake_slack: FakeSlack, cast: Cast, server: FakeOpenAI
) -> None:
    with llm_bot(engine, fake_slack, server) as bot:  # SLACK_STREAMING=false
        bot.sender.message(ASKER, QUESTION)
        bot.fake.wait_for_method("chat.update")
        bot.fake.settle()
    assert not bot.fake.calls_to("chat.startStream")
