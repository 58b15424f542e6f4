"""Slack event receipts: the first delivery wins across sessions (processes), old ones go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from storage.db import session_scope
from storage.slack import forget_events_before, record_event_once


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
