"""Slack's event deliveries: each event is answered once, however often Slack retries it and
whichever bot process each delivery reaches; a question's delivery is kept until it is
answered, so that work interrupted by a store outage, Slack refusing the answer or a crash
is taken up again (by `bot.recovery`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from storage import clock
from storage.db import session_scope
from storage.slack import (
    claim_question,
    forget_events_before,
    mark_question_answered,
    record_event_once,
    waiting_questions,
)

# Slack retries an event for about an hour; a day of receipts covers that with room to spare.
EVENT_RECEIPTS_KEPT = timedelta(days=1)
# How long one process may take to answer a question before another may take it over: a
# written answer takes at most LLM_TIMEOUT x (LLM_MAX_RETRIES + 1), a minute by default.
ANSWER_LEASE = timedelta(minutes=2)


def first_delivery(*, engine: Engine, event_id: str, body: str | None = None) -> bool:
    """True the first time ``event_id`` arrives, in any process; False for Slack's retries.
    ``body``: a question's delivery, kept until `question_answered`."""
    with session_scope(engine) as session:
        return record_event_once(
            session=session, event_id=event_id, received_at=clock.now(), body=body
        )


def take_question(*, engine: Engine, event_id: str) -> bool:
    """This process answers the question now (False: answered, or another process has it)."""
    now = clock.now()
    with session_scope(engine) as session:
        return claim_question(session=session, event_id=event_id, now=now, until=now + ANSWER_LEASE)


def question_answered(*, engine: Engine, event_id: str) -> None:
    with session_scope(engine) as session:
        mark_question_answered(session=session, event_id=event_id, at=clock.now())


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
