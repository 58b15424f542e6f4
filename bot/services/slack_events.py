"""Slack's event deliveries: each event is answered once, however often Slack retries it and
whichever bot process each delivery reaches."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from storage import clock
from storage.db import session_scope
from storage.slack import forget_events_before, record_event_once

# Slack retries an event for about an hour; a day of receipts covers that with room to spare.
EVENT_RECEIPTS_KEPT = timedelta(days=1)


def first_delivery(*, engine: Engine, event_id: str) -> bool:
    """True the first time ``event_id`` arrives, in any process; False for Slack's retries."""
    with session_scope(engine) as session:
        return record_event_once(session=session, event_id=event_id, received_at=clock.now())


def forget_old_deliveries(*, engine: Engine) -> int:
    """Drop receipts older than Slack's retry window; returns how many went."""
    with session_scope(engine) as session:
        return forget_events_before(session=session, before=clock.now() - EVENT_RECEIPTS_KEPT)
