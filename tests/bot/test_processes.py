"""Several bot processes side by side on one store: Slack's retry reaching another process,
or two processes getting the same event at once, still gets one answer."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from standins.cluster import MEMBER_USER, Cast
from standins.slack import FakeSlack, SlackSender, running_bot
from storage.db import make_engine


def test_the_same_event_at_two_processes_is_answered_once(
    engine: Engine, fake_slack: FakeSlack, cast: Cast
) -> None:
    # A second engine is what a second process would have: its own pool to the same store.
    other_engine = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with (
            running_bot(engine, fake_slack) as first,
            running_bot(other_engine, fake_slack) as second,
        ):
            statuses: list[int] = []

            def deliver(sender: SlackSender, retry: int | None) -> None:
                reply = sender.message(
                    MEMBER_USER,
                    "who can do structural health monitoring?",
                    event_id="Ev0TWOPROC1",
                    retry_num=retry,
                )
                statuses.append(reply.status)

            threads = [
                threading.Thread(target=deliver, args=(first.sender, None)),
                threading.Thread(target=deliver, args=(second.sender, 1)),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            fake_slack.wait_for_method("chat.postMessage")
            fake_slack.settle()
            assert statuses == [200, 200]
            answers = fake_slack.calls_to("chat.postMessage")
            assert len(answers) == 1
            assert "Arctic Sense Oy" in answers[0].args["text"]
    finally:
        other_engine.dispose()
