"""What the Slack side keeps: which Slack user each person is, and which events were handled.

Each takes the caller's session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Person
from storage.slack_models import SlackEventReceipt


def record_event_once(*, session: Session, event_id: str, received_at: datetime) -> bool:
    """Note that ``event_id`` arrived; True only for the first delivery, in any process.

    An INSERT that does nothing on conflict, rather than a read then a write, so two processes
    racing on the same retried event cannot both see it as new.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(SlackEventReceipt)
        .values(event_id=event_id, received_at=received_at)
        .on_conflict_do_nothing(index_elements=["event_id"])
        # RETURNING, not rowcount: drivers report -1 rows for an ORM-run INSERT.
        .returning(SlackEventReceipt.event_id)
    )
    return session.execute(statement).first() is not None


def forget_events_before(*, session: Session, before: datetime) -> int:
    """Drop receipts older than Slack's retry window; returns how many went."""
    result = session.execute(
        delete(SlackEventReceipt).where(SlackEventReceipt.received_at < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def person_by_slack_user(*, session: Session, slack_user_id: str) -> Person | None:
    return session.scalars(select(Person).where(Person.slack_user_id == slack_user_id)).first()


def link_slack_user(*, session: Session, person_id: int, slack_user_id: str) -> None:
    """Remember which Slack user a person is, moving the id off anyone who held it before."""
    session.execute(
        update(Person)
        .where(Person.slack_user_id == slack_user_id, Person.id != person_id)
        .values(slack_user_id=None)
    )
    session.execute(
        update(Person).where(Person.id == person_id).values(slack_user_id=slack_user_id)
    )
