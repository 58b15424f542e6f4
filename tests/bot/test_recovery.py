"""No acknowledged question is lost: Slack refusing the answer, the store failing mid-answer
or a crash after the ack leave the question to `bot.recovery`, which answers it once (or
apologises when it is too old); an error is never said as "no answer in the records"."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from bot.journal import OutageJournal
from bot.listeners.events import questions
from bot.recovery import RETRY_AFTER, QuestionRecovery
from bot.services import slack_events
from bot.services.questions.asking import reply_to
from bot.services.slack_events import first_delivery, unanswered_questions
from standins.cluster import MEMBER_USER, STRANGER_USER, Cast
from standins.slack import BOT_USER_ID, TEAM_ID, FakeSlack, RunningBot, running_bot
from standins.tcp_proxy import CuttableProxy
from storage.db import make_engine, session_scope
from storage.questions import log_question

QUESTION = "who can do structural health monitoring?"


def recovery(bot: RunningBot) -> QuestionRecovery:
    return QuestionRecovery(bot.server.app, bot.engine)


def answers(bot: RunningBot) -> list[str]:
    return [str(c.args.get("text", "")) for c in bot.fake.calls_to("chat.postMessage")]


def delivery(event_id: str, ts: str) -> str:
    """A DM question as Slack delivers it (what the bot kept before acknowledging it)."""
    event = {
        "type": "message",
        "channel": "D0DIRECT01",
        "user": MEMBER_USER,
        "text": QUESTION,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
    }
    body: dict[str, Any] = {
        "type": "event_callback",
        "event_id": event_id,
        "team_id": TEAM_ID,
        "api_app_id": "A0SCICAPP1",
        "event": event,
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }
    return json.dumps(body)


def test_an_answer_slack_keeps_refusing_is_answered_once_slack_is_back(
    bot: RunningBot, cast: Cast, clock: time_machine.Traveller
) -> None:
    bot.fake.server_error("chat.postMessage", times=4)  # the first try and its 3 retries
    assert bot.sender.message(MEMBER_USER, QUESTION).status == 200
    bot.fake.wait_for_method("chat.postMessage", count=4, timeout=30)
    bot.fake.settle(quiet=1.0)
    sweeper = recovery(bot)
    assert sweeper.sweep() == 0  # still held by the process that was answering it
    clock.shift(timedelta(minutes=3))
    assert sweeper.sweep() == 1
    bot.fake.wait_for_method("chat.postMessage", count=5)
    bot.fake.settle(quiet=0.5)
    clock.shift(timedelta(minutes=3))
    assert sweeper.sweep() == 0
    posted = answers(bot)
    assert len(posted) == 5 and "Arctic Sense Oy" in posted[-1]


def test_questions_acknowledged_before_a_crash_are_answered_or_apologised_for(
    bot: RunningBot, engine: Engine, cast: Cast, clock: time_machine.Traveller
) -> None:
    first_delivery(engine=engine, event_id="Ev0CRASHOLD", body=delivery("Ev0CRASHOLD", "1.1"))
    clock.shift(timedelta(minutes=20))
    first_delivery(engine=engine, event_id="Ev0CRASHNEW", body=delivery("Ev0CRASHNEW", "2.2"))
    clock.shift(timedelta(seconds=45))
    sweeper = recovery(bot)
    assert sweeper.sweep() == 2
    posted = bot.fake.wait_for_method("chat.postMessage", count=2)
    by_thread = {c.args["thread_ts"]: str(c.args["text"]) for c in posted}
    assert "Sorry, I was unavailable" in by_thread["1.1"]
    assert "Arctic Sense Oy" in by_thread["2.2"]
    bot.fake.settle(quiet=0.5)
    clock.shift(timedelta(minutes=3))
    assert sweeper.sweep() == 0
    assert len(answers(bot)) == 2


def test_a_store_failure_mid_answer_leaves_the_question_to_recovery(
    bot: RunningBot, cast: Cast, clock: time_machine.Traveller, monkeypatch: pytest.MonkeyPatch
) -> None:
    def store_down(**kwargs: Any) -> None:
        raise OperationalError("SELECT 1", None, ConnectionRefusedError("store down"))

    monkeypatch.setattr(questions, "reply_to", store_down)
    assert bot.sender.message(MEMBER_USER, QUESTION).status == 200
    bot.fake.wait_for_method("reactions.add")
    bot.fake.settle(quiet=0.5)
    assert answers(bot) == []  # no false "I found no member..."
    monkeypatch.undo()
    clock.shift(timedelta(minutes=3))
    assert recovery(bot).sweep() == 1
    (answer,) = bot.fake.wait_for_method("chat.postMessage")
    assert "Arctic Sense Oy" in answer.args["text"]


def test_an_error_while_answering_is_said_as_an_error(
    bot: RunningBot, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(questions, "reply_to", broken)
    bot.sender.message(MEMBER_USER, QUESTION)
    (reply,) = bot.fake.wait_for_method("chat.postMessage")
    assert "something went wrong on my side" in reply.args["text"]
    assert "I found no member" not in reply.args["text"]


def slow_first_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[threading.Event, threading.Event, list[int]]:
    """The first answer waits for ``release`` (a model taking its time); later ones do not.
    ``calls`` counts the answers written, the slow one once it is written."""
    started, release, calls = threading.Event(), threading.Event(), []

    def slow(**kwargs: Any) -> Any:
        if not started.is_set():
            started.set()
            release.wait(30)
        try:
            return reply_to(**kwargs)
        finally:
            calls.append(1)

    monkeypatch.setattr(questions, "reply_to", slow)
    return started, release, calls


def test_an_answer_slower_than_its_claim_is_kept_by_its_heartbeat_and_posted_once(
    bot: RunningBot,
    engine: Engine,
    cast: Cast,
    clock: time_machine.Traveller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(slack_events, "RENEW_EVERY", timedelta(seconds=0.05))
    started, release, calls = slow_first_answer(monkeypatch)
    assert bot.sender.message(MEMBER_USER, QUESTION).status == 200
    assert started.wait(10)
    clock.shift(timedelta(minutes=3))  # past the two-minute claim taken at the start
    deadline = time.monotonic() + 10
    while unanswered_questions(engine=engine, older_than=RETRY_AFTER):
        assert time.monotonic() < deadline, "the answering process never renewed its claim"
        time.sleep(0.05)
    sweeper = recovery(bot)
    assert sweeper.sweep() == 0
    release.set()
    bot.fake.wait_for_method("chat.postMessage")
    bot.fake.settle(quiet=0.5)
    clock.shift(timedelta(minutes=3))
    assert sweeper.sweep() == 0
    assert len(answers(bot)) == 1 and len(calls) == 1


def test_an_answer_taken_over_by_the_recovery_is_not_posted_by_its_first_process(
    bot: RunningBot, cast: Cast, clock: time_machine.Traveller, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first process could not renew its claim (stalled, or the store out of its reach).
    monkeypatch.setattr(slack_events, "RENEW_EVERY", timedelta(hours=1))
    started, release, calls = slow_first_answer(monkeypatch)
    assert bot.sender.message(MEMBER_USER, QUESTION).status == 200
    assert started.wait(10)
    clock.shift(timedelta(minutes=3))
    sweeper = recovery(bot)
    assert sweeper.sweep() == 1
    (answer,) = bot.fake.wait_for_method("chat.postMessage")
    assert "Arctic Sense Oy" in answer.args["text"]
    release.set()
    deadline = time.monotonic() + 10
    while len(calls) < 2:  # the slow answer is written, and would be posted now
        assert time.monotonic() < deadline
        time.sleep(0.05)
    bot.fake.settle(quiet=1.0)
    clock.shift(timedelta(minutes=3))
    assert sweeper.sweep() == 0
    assert len(answers(bot)) == 1


@pytest.fixture
def store_outage(engine: Engine) -> Iterator[tuple[Engine, CuttableProxy]]:
    """The test's PostgreSQL store seen through a proxy that can cut it (a store outage)."""
    with CuttableProxy(engine.url.host or "127.0.0.1", engine.url.port or 5432) as proxy:
        url = engine.url.set(host="127.0.0.1", port=proxy.port)
        behind = make_engine(url.render_as_string(hide_password=False))
        yield behind, proxy
        behind.dispose()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_through_a_store_outage_every_acknowledged_question_is_answered_once(
    store_outage: tuple[Engine, CuttableProxy],
    tmp_path: Path,
    fake_slack: FakeSlack,
    cast: Cast,
    clock: time_machine.Traveller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, proxy = store_outage
    monkeypatch.setattr(slack_events, "SETTLE_RETRY", 0.1)
    journal = OutageJournal(tmp_path / "outage-journal")
    with running_bot(store, fake_slack, data_dir=tmp_path) as bot:
        # Down at the ack: acknowledged at once all the same, the delivery kept on disk.
        proxy.cut()
        kept = bot.sender.message(MEMBER_USER, QUESTION, event_id="Ev0DOWNATACK")
        assert kept.status == 200 and kept.seconds < 3
        assert journal.waiting() == 1
        # Anything else is refused, so that Slack delivers it again (nothing to keep it in).
        assert bot.sender.command("/solvers", QUESTION, user=MEMBER_USER).status == 500
        proxy.restore()

        # Down mid-answer: nothing posted, and no false "no member fits".
        def cut_then_answer(**kwargs: Any) -> Any:
            proxy.cut()
            return reply_to(**kwargs)

        monkeypatch.setattr(questions, "reply_to", cut_then_answer)
        assert bot.sender.message(MEMBER_USER, QUESTION, event_id="Ev0MIDANSWER").status == 200
        bot.fake.wait_for_method("reactions.add")
        bot.fake.settle(quiet=1.0)
        assert answers(bot) == []
        monkeypatch.setattr(questions, "reply_to", reply_to)
        proxy.restore()

        # Down just after the answer was posted: it is still marked answered once back.
        held = bot.fake.hold("chat.postMessage")
        assert bot.sender.message(MEMBER_USER, QUESTION, event_id="Ev0AFTERPOST").status == 200
        bot.fake.wait_for_method("chat.postMessage")
        proxy.cut()
        held.set()
        bot.fake.settle(quiet=1.0)
        proxy.restore()

        # The recovery's sweep after the outage: the one kept at the ack, the one cut mid-answer.
        time.sleep(1.0)  # the posted answer's mark, retried every 0.1 s, gets through
        clock.shift(timedelta(minutes=3))
        sweeper = QuestionRecovery(bot.server.app, store, journal=journal)
        assert sweeper.sweep() == 2
        assert journal.waiting() == 0
        bot.fake.wait_for_method("chat.postMessage", count=3, timeout=10)
        bot.fake.settle(quiet=1.0)
        # A late copy of the kept one (Slack retrying, had the ack been lost) is a repeat.
        again = bot.sender.message(MEMBER_USER, QUESTION, event_id="Ev0DOWNATACK", retry_num=1)
        assert again.status == 200
        bot.fake.settle(quiet=1.0)
        clock.shift(timedelta(minutes=3))
        assert sweeper.sweep() == 0
        posted = bot.fake.calls_to("chat.postMessage")
        assert len(posted) == 3 and len({c.args["thread_ts"] for c in posted}) == 3
        assert all("Arctic Sense Oy" in c.args["text"] for c in posted)


def test_a_follow_up_in_a_channel_thread_is_taken_up_after_a_store_failure(
    bot: RunningBot,
    engine: Engine,
    cast: Cast,
    clock: time_machine.Traveller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A plain reply in a channel thread where the bot answered is kept before the ack like a
    mention; other thread chatter is not (nothing to take up, nothing said)."""
    thread, channel = "1760000000.000100", "C0GENERAL1"
    with session_scope(engine) as session:
        log_question(
            session=session,
            person_id=cast.member_person_id,
            slack_user_id=MEMBER_USER,
            channel_id=channel,
            thread_ts=thread,
            question="who can do ice roads?",
            answer="",
            answered_members=[],
        )

    def store_down(**kwargs: Any) -> None:
        raise OperationalError("SELECT 1", None, ConnectionRefusedError("store down"))

    monkeypatch.setattr(questions, "reply_to", store_down)
    in_thread = {"channel_type": "channel", "thread_ts": thread}
    assert bot.sender.message(MEMBER_USER, QUESTION, channel=channel, extra=in_thread).status == 200
    elsewhere = {"channel_type": "channel", "thread_ts": "1760000000.000999"}
    assert bot.sender.message(MEMBER_USER, "lunch?", channel=channel, extra=elsewhere).status == 200
    bot.fake.wait_for_method("reactions.add")
    bot.fake.settle(quiet=0.5)
    assert answers(bot) == []
    monkeypatch.undo()
    clock.shift(timedelta(minutes=3))
    sweeper = recovery(bot)
    assert sweeper.sweep() == 1
    (answer,) = bot.fake.wait_for_method("chat.postMessage")
    assert answer.args["thread_ts"] == thread and "Arctic Sense Oy" in answer.args["text"]
    bot.fake.settle(quiet=0.5)
    clock.shift(timedelta(minutes=3))
    assert sweeper.sweep() == 0


def test_a_stranger_told_in_an_assistant_thread_is_not_told_again_by_the_recovery(
    bot: RunningBot, clock: time_machine.Traveller
) -> None:
    """The polite reply answers the kept message like any answer: the recovery leaves it."""
    thread = "1760000500.000100"
    bot.sender.assistant_message(STRANGER_USER, QUESTION, thread_ts=thread)
    (told,) = bot.fake.wait_for_method("chat.postMessage")
    assert told.args["thread_ts"] == thread and "I don't know you yet" in told.args["text"]
    bot.fake.settle(quiet=0.5)
    clock.shift(timedelta(minutes=3))
    assert recovery(bot).sweep() == 0
    bot.fake.settle(quiet=0.5)
    assert len(answers(bot)) == 1
