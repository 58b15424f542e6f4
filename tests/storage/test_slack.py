"""Slack event receipts: the first delivery wins across sessions (processes), old ones go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from storage import clock
from storage.db import session_scope
from storage.slack import (
    claim_question,
    forget_events_before,
    mark_question_answered,
    note_question_draft,
    question_draft,
    record_event_once,
    renew_question_claim,
)


def test_only_the_first_delivery_of_an_event_counts(engine: Engine) -> None:
    now = datetime.now(UTC)
    seen = []
    for _ in range(3):
        with session_scope(engine) as session:
            seen.append(record_event_once(session=session, event_id="Ev1", received_at=now))
    assert seen == [True, False, False]


def test_a_racing_process_sees_the_event_as_taken_once_committed(engine: Engine) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as first:
        assert record_event_once(session=first, event_id="Ev2", received_at=now)
    with session_scope(engine) as second:
        assert not record_event_once(session=second, event_id="Ev2", received_at=now)
        assert record_event_once(session=second, event_id="Ev3", received_at=now)


def test_old_receipts_are_forgotten(engine: Engine) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        record_event_once(session=session, event_id="old", received_at=now - timedelta(days=2))
        record_event_once(session=session, event_id="new", received_at=now)
    with session_scope(engine) as session:
        assert forget_events_before(session=session, before=now - timedelta(days=1)) == 1
    with session_scope(engine) as session:
        assert record_event_once(session=session, event_id="old", received_at=now)
        assert not record_event_once(session=session, event_id="new", received_at=now)


def test_a_claim_is_renewed_and_marked_only_by_its_holder(engine: Engine) -> None:
    """The claim is known by its end: once another process has taken the question over, the
    first holder can neither renew it nor mark it answered (on both backends, where the end
    must compare equal after the round trip)."""
    now = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
    first_end, second_end = now + timedelta(minutes=2), now + timedelta(minutes=5, seconds=1)
    with session_scope(engine) as session:
        record_event_once(session=session, event_id="EvQ", received_at=now, body="{}")
        assert claim_question(session=session, event_id="EvQ", now=now, until=first_end) == (
            "taken"
        )
    with session_scope(engine) as session:
        renewed = first_end + timedelta(seconds=30)
        assert renew_question_claim(
            session=session, event_id="EvQ", held_until=first_end, until=renewed
        )
        first_end = renewed
    later = first_end + timedelta(seconds=1)
    with session_scope(engine) as session:
        assert claim_question(session=session, event_id="EvQ", now=now, until=later) == "held"
        assert claim_question(session=session, event_id="EvQ", now=later, until=second_end) == (
            "taken"
        )
    with session_scope(engine) as session:
        assert not renew_question_claim(
            session=session, event_id="EvQ", held_until=first_end, until=second_end
        )
        assert not mark_question_answered(
            session=session, event_id="EvQ", at=later, held_until=first_end
        )
        assert mark_question_answered(
            session=session, event_id="EvQ", at=later, held_until=second_end
        )
    with session_scope(engine) as session:
        assert claim_question(session=session, event_id="EvQ", now=later, until=later) == "held"
        assert claim_question(session=session, event_id="EvX", now=later, until=later) == (
            "unrecorded"
        )


def test_the_draft_of_an_unanswered_question_is_kept_for_the_next_attempt(engine: Engine) -> None:
    now = clock.now()
    with session_scope(engine) as session:
        record_event_once(session=session, event_id="EvDRAFT", received_at=now, body="{}")
        assert question_draft(session=session, event_id="EvDRAFT") is None
        note_question_draft(session=session, event_id="EvDRAFT", ts="1760000000.000100")
    with session_scope(engine) as session:
        assert question_draft(session=session, event_id="EvDRAFT") == "1760000000.000100"
        mark_question_answered(session=session, event_id="EvDRAFT", at=now)
        # Answered: a late attempt's draft is not noted over the answer's message.
        note_question_draft(session=session, event_id="EvDRAFT", ts="1760000000.000200")
    with session_scope(engine) as session:
        assert question_draft(session=session, event_id="EvDRAFT") == "1760000000.000100"
        assert question_draft(session=session, event_id="EvNEVER") is None
