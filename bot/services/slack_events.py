"""Slack's event deliveries: each event is answered once, however often Slack retries it and
whichever bot process each delivery reaches; a question's delivery is kept until it is
answered, so that work interrupted by a store outage, Slack refusing the answer or a crash
is taken up again (by `bot.recovery`)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine

from storage import clock
from storage.db import STORE_ERRORS, session_scope
from storage.slack import (
    claim_question,
    forget_events_before,
    mark_question_answered,
    note_question_draft,
    question_draft,
    record_event_once,
    release_question_claim,
    renew_question_claim,
    waiting_questions,
)

log = logging.getLogger(__name__)

# Slack retries an event for about an hour; a day of receipts covers that with room to spare.
EVENT_RECEIPTS_KEPT = timedelta(days=1)
# How long one process may take to answer a question before another may take it over: a
# written answer takes at most LLM_TIMEOUT x (LLM_MAX_RETRIES + 1), a minute by default.
ANSWER_LEASE = timedelta(minutes=2)
# The answering process renews its claim this often while it works (a heartbeat), so a slow
# answer is never taken over, and answered twice, while its process lives.
RENEW_EVERY = ANSWER_LEASE / 4
# How long a posted answer keeps trying to be marked answered while the store is down, and
# how often (past it, the recovery may answer again once the store is back).
SETTLE_FOR = timedelta(minutes=10)
SETTLE_RETRY = 2.0


def first_delivery(*, engine: Engine, event_id: str, body: str | None = None) -> bool:
    """True the first time ``event_id`` arrives, in any process; False for Slack's retries.
    ``body``: a question's delivery, kept until it is answered (`answering`)."""
    with session_scope(engine) as session:
        return record_event_once(
            session=session, event_id=event_id, received_at=clock.now(), body=body
        )


class QuestionLease:
    """This process's hold on a question while it answers it.

    A heartbeat thread renews the claim every RENEW_EVERY while the work goes on, so the
    recovery (in this or another process) never takes over an answer that is only slow: it
    may take the question only when the holder stopped renewing (it died, or could not reach
    the store for a whole lease). The claim is known by its end (`renew_question_claim`), and
    both `still_ours`, asked right before the answer is posted, and the final mark hold only
    for that claim, so a holder that was overtaken posts nothing and marks nothing.

    `finish` hands the outcome to the same thread, which keeps trying while the store is down:
    an answer posted just as the store went away is still marked answered (not answered
    again by the recovery), and a failed one is let go at once for the recovery to take up.
    """

    def __init__(
        self,
        engine: Engine,
        event_id: str | None,
        held_until: datetime | None,
        *,
        earlier_draft: str | None = None,
    ):
        self.engine, self.event_id, self.held_until = engine, event_id, held_until
        #: The message an earlier attempt at this answer was written in (Slack's ts): the
        #: answer is finished there rather than under it.
        self.earlier_draft = earlier_draft
        self._lock = threading.Lock()
        self._lost = False
        self._outcome: bool | None = None
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        if event_id is not None and held_until is not None:
            self._thread = threading.Thread(
                target=self._run, name=f"question-lease-{event_id}", daemon=True
            )
            self._thread.start()

    def still_ours(self) -> bool:
        """Renew the claim now; False when another process has taken the question over (or it
        was answered). When the store cannot say, the claim counts while it has not ended."""
        if self.held_until is None:
            return True
        try:
            return self._renew()
        except STORE_ERRORS as exc:
            log.info("could not renew the claim on %s (%s)", self.event_id, type(exc).__name__)
            with self._lock:
                return not self._lost and self.held_until > clock.now()

    def finish(self, answered: bool) -> None:
        """The work is over: ``answered`` (posted) is marked, anything else let go; both in
        the background, retried while the store is down."""
        if self._thread is None or self._outcome is not None:
            return
        self._outcome = answered
        self._wake.set()

    def note_draft(self, ts: str) -> None:
        """Keep the message the answer is being written in, for an attempt after a failure
        to finish (best effort: without the store, a retry posts a message of its own)."""
        if self.event_id is None or self.held_until is None:
            return
        try:
            with session_scope(self.engine) as session:
                note_question_draft(session=session, event_id=self.event_id, ts=ts)
        except STORE_ERRORS as exc:
            log.info("could not keep the draft of %s (%s)", self.event_id, type(exc).__name__)

    def _renew(self) -> bool:
        with self._lock:
            if self._lost or self.held_until is None or self.event_id is None:
                return not self._lost
            now = clock.now()
            until = now + ANSWER_LEASE
            with session_scope(self.engine) as session:
                kept = renew_question_claim(
                    session=session,
                    event_id=self.event_id,
                    held_until=self.held_until,
                    until=until,
                )
            if kept:
                self.held_until = until
            else:
                self._lost = True
                log.warning("question %s was taken over by another process", self.event_id)
            return kept

    def _settle(self, answered: bool) -> bool:
        """Mark or let go; True once done (or nothing is left to do)."""
        assert self.event_id is not None and self.held_until is not None
        with self._lock:
            if self._lost:
                return True
            with session_scope(self.engine) as session:
                if answered:
                    done = mark_question_answered(
                        session=session,
                        event_id=self.event_id,
                        at=clock.now(),
                        held_until=self.held_until,
                    )
                else:
                    done = release_question_claim(
                        session=session, event_id=self.event_id, held_until=self.held_until
                    )
            if not done:
                log.warning("question %s was taken over before it was settled", self.event_id)
            return True

    def _run(self) -> None:
        give_up = time.monotonic() + SETTLE_FOR.total_seconds()
        while True:
            outcome = self._outcome
            if outcome is None:
                self._wake.wait(RENEW_EVERY.total_seconds())
                if self._outcome is None:
                    try:
                        if not self._renew():
                            return
                    except STORE_ERRORS as exc:
                        log.info("no heartbeat for %s (%s)", self.event_id, type(exc).__name__)
                continue
            try:
                if self._settle(outcome):
                    return
            except STORE_ERRORS as exc:
                if time.monotonic() > give_up:
                    log.warning("gave up noting how question %s ended", self.event_id)
                    return
                log.info(
                    "could not note how question %s ended (%s); retrying",
                    self.event_id,
                    type(exc).__name__,
                )
            time.sleep(SETTLE_RETRY)


@contextmanager
def answering(*, engine: Engine, event_id: str | None) -> Iterator[QuestionLease | None]:
    """Hold the question delivered as ``event_id`` while the block answers it; None when it is
    answered or another process holds it (the block then does nothing). The block calls
    `lease.finish(True)` once the answer is posted; leaving it otherwise lets the question go
    for the recovery. ``event_id`` None: a question nobody shares, always answered here."""
    if event_id is None:
        yield QuestionLease(engine, None, None)
        return
    now = clock.now()
    until = now + ANSWER_LEASE
    with session_scope(engine) as session:
        claim = claim_question(session=session, event_id=event_id, now=now, until=until)
        draft = question_draft(session=session, event_id=event_id) if claim == "taken" else None
    if claim == "held":
        yield None
        return
    lease = QuestionLease(
        engine, event_id, until if claim == "taken" else None, earlier_draft=draft
    )
    try:
        yield lease
    finally:
        lease.finish(False)  # no-op once the block has said it answered


def unanswered_questions(
    *, engine: Engine, older_than: timedelta, limit: int = 100
) -> list[tuple[str, str, timedelta]]:
    """Questions waiting longer than ``older_than`` that no process is answering: (event id,
    delivery body, how long ago it came), oldest first."""
    now = clock.now()
    with session_scope(engine) as session:
        rows = waiting_questions(
            session=session, received_before=now - older_than, now=now, limit=limit
        )
    return [(event_id, body, now - received_at) for event_id, body, received_at in rows]


def forget_old_deliveries(*, engine: Engine) -> int:
    """Drop receipts older than Slack's retry window; returns how many went."""
    with session_scope(engine) as session:
        return forget_events_before(session=session, before=clock.now() - EVENT_RECEIPTS_KEPT)
