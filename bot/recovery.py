"""Questions acknowledged but not answered are taken up again: the store was down, Slack kept
refusing the answer, or the process died after the ack.

Every bot process runs a `QuestionRecovery` thread. It looks, at start-up and then every
SWEEP_INTERVAL seconds, for questions whose delivery (kept by `bot.middleware` before the
ack) has waited over RETRY_AFTER and that no process holds (`slack_events.answering`):
recent ones go through the Bolt app again, exactly as Slack delivered them, and are answered
once; ones older than ANSWER_WITHIN get an apology instead of a late answer. Each sweep
first hands the app what the outage journal kept while the store was down (`bot.journal`).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta

from slack_bolt import App, BoltRequest
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.blocks.messages import build_missed_question
from bot.journal import OutageJournal
from bot.middleware import REDELIVERY
from bot.services.slack_events import answering, unanswered_questions
from storage.db import STORE_ERRORS

log = logging.getLogger(__name__)

# A question waiting this long that no process holds was dropped (a live answer takes its
# delivery within a second of the ack).
RETRY_AFTER = timedelta(seconds=30)
# Older than this, the asker gets an apology instead of a late answer.
ANSWER_WITHIN = timedelta(minutes=10)
SWEEP_INTERVAL = 15.0


class QuestionRecovery:
    """Takes up dropped questions in this process; `start` runs it in a thread."""

    def __init__(
        self,
        app: App,
        engine: Engine,
        *,
        journal: OutageJournal | None = None,
        interval: float = SWEEP_INTERVAL,
    ) -> None:
        self.app, self.engine, self.interval = app, engine, interval
        self.journal = journal
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> QuestionRecovery:
        self._thread = threading.Thread(target=self._run, name="question-recovery", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sweep()
            self._stop.wait(self.interval)

    def sweep(self) -> int:
        """Take up what is waiting; returns how many questions were answered or apologised to
        (or handed to the app to answer)."""
        try:
            waiting = unanswered_questions(engine=self.engine, older_than=RETRY_AFTER)
        except STORE_ERRORS as exc:
            log.info("no recovery sweep while the store is unavailable (%s)", type(exc).__name__)
            return 0
        done = self._replay_journal()
        for event_id, body, age in waiting:
            try:
                if age > ANSWER_WITHIN:
                    done += self._apologise(event_id, body)
                else:
                    self._redeliver(body)
                    done += 1
            except Exception:
                # The next sweep tries again; one bad delivery must not stop the others.
                log.exception("could not take up question %s", event_id)
        if waiting:
            log.info("took up %d of %d waiting questions", done, len(waiting))
        return done

    def _replay_journal(self) -> int:
        """Questions acknowledged while the store was away go through the app as Slack sent
        them: recorded now (once, in any process) and answered."""
        if self.journal is None or not self.journal.waiting():
            return 0
        handed = self.journal.replay(
            lambda body: self.app.dispatch(BoltRequest(body=body, mode="socket_mode"))
        )
        if handed:
            log.info("handed %d questions kept during a store outage to the app", handed)
        return handed

    def _redeliver(self, body: str) -> None:
        # Socket-mode requests skip the signature check: this body was checked when it came.
        self.app.dispatch(BoltRequest(body=body, mode="socket_mode", context={REDELIVERY: True}))

    def _apologise(self, event_id: str, body: str) -> int:
        with answering(engine=self.engine, event_id=event_id) as lease:
            if lease is None:
                return 0
            event = json.loads(body).get("event") or {}
            try:
                self.app.client.chat_postMessage(
                    channel=event["channel"],
                    thread_ts=event.get("thread_ts") or event["ts"],
                    **build_missed_question(),
                )
            except SlackApiError as exc:
                log.warning(
                    "could not apologise for question %s: %s", event_id, exc.response.get("error")
                )
                return 0
            lease.finish(answered=True)
            return 1
