"""What the Slack side keeps: which Slack user each person is, and which events were handled.

Each takes the caller's session."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Person
from storage.slack_models import SlackEventReceipt


def record_event_once(
    *, session: Session, event_id: str, received_at: datetime, body: str | None = None
) -> bool:
    """Note that ``event_id`` arrived; True only for the first delivery, in any process.
    ``body``: a question's delivery, kept until it is answered.

    An INSERT that does nothing on conflict, rather than a read then a write, so two processes
    racing on the same retried event cannot both see it as new.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(SlackEventReceipt)
        .values(event_id=event_id, received_at=received_at, body=body)
        .on_conflict_do_nothing(index_elements=["event_id"])
        # RETURNING, not rowcount: drivers report -1 rows for an ORM-run INSERT.
        .returning(SlackEventReceipt.event_id)
    )
    return session.execute(statement).first() is not None


def claim_question(
    *, session: Session, event_id: str, now: datetime, until: datetime
) -> Literal["taken", "held", "unrecorded"]:
    """Take the question delivered as ``event_id`` to answer it, until ``until``: "taken";
    "held" when it is answered or another process holds it; "unrecorded" for an event never
    recorded (nothing to share). One UPDATE, so two processes cannot both take it."""
    claimed = session.execute(
        update(SlackEventReceipt)
        .where(
            SlackEventReceipt.event_id == event_id,
            SlackEventReceipt.answered_at.is_(None),
            or_(SlackEventReceipt.claimed_until.is_(None), SlackEventReceipt.claimed_until < now),
        )
        .values(claimed_until=until)
        .returning(SlackEventReceipt.event_id)
    ).first()
    if claimed is not None:
        return "taken"
    return "held" if session.get(SlackEventReceipt, event_id) is not None else "unrecorded"


def _change_unanswered(
    session: Session, event_id: str, held_until: datetime | None, **values: object
) -> bool:
    """Set ``values`` on the unanswered question's receipt, only while the claim ending at
    ``held_until`` is the one on it (whatever the claim when None); False otherwise."""
    statement = update(SlackEventReceipt).where(
        SlackEventReceipt.event_id == event_id, SlackEventReceipt.answered_at.is_(None)
    )
    if held_until is not None:
        statement = statement.where(SlackEventReceipt.claimed_until == held_until)
    changed = session.execute(
        statement.values(**values).returning(SlackEventReceipt.event_id)
    ).first()
    return changed is not None


def renew_question_claim(
    *, session: Session, event_id: str, held_until: datetime, until: datetime
) -> bool:
    """Hold the question delivered as ``event_id`` on, until ``until``, if the claim that ends
    at ``held_until`` is still the one on it: a claim is known by its end, since a process
    taking a question over always sets a later one. False when another process took it over
    or it was answered. (A claim past its end that nobody took over is still ours.)"""
    return _change_unanswered(session, event_id, held_until, claimed_until=until)


def mark_question_answered(
    *, session: Session, event_id: str, at: datetime, held_until: datetime | None = None
) -> bool:
    """Note that the question was answered; with ``held_until``, only by the holder of that
    claim (False: another process took it over, or it was answered already)."""
    return _change_unanswered(session, event_id, held_until, answered_at=at, claimed_until=None)


def release_question_claim(*, session: Session, event_id: str, held_until: datetime) -> bool:
    """Let the question go (its answer failed) so that the recovery may take it up at once,
    if the claim ending at ``held_until`` is still the one on it."""
    return _change_unanswered(session, event_id, held_until, claimed_until=None)


def note_question_draft(*, session: Session, event_id: str, ts: str) -> None:
    """Keep the message (``ts``) an answer to the unanswered question is being written in."""
    session.execute(
        update(SlackEventReceipt)
        .where(SlackEventReceipt.event_id == event_id, SlackEventReceipt.answered_at.is_(None))
        .values(draft_ts=ts)
    )


def question_draft(*, session: Session, event_id: str) -> str | None:
    """The message an earlier attempt at the question's answer was written in, if any."""
    return session.scalar(
        select(SlackEventReceipt.draft_ts).where(SlackEventReceipt.event_id == event_id)
    )


def waiting_questions(
    *, session: Session, received_before: datetime, now: datetime, limit: int
) -> list[tuple[str, str, datetime]]:
    """Questions received before ``received_before``, still unanswered and held by no one:
    (event id, delivery body, received at), oldest first."""
    rows = session.execute(
        select(SlackEventReceipt.event_id, SlackEventReceipt.body, SlackEventReceipt.received_at)
        .where(
            SlackEventReceipt.body.is_not(None),
            SlackEventReceipt.answered_at.is_(None),
            SlackEventReceipt.received_at < received_before,
            or_(SlackEventReceipt.claimed_until.is_(None), SlackEventReceipt.claimed_until < now),
        )
        .order_by(SlackEventReceipt.received_at)
        .limit(limit)
    )
    return [(event_id, str(body), received_at) for event_id, body, received_at in rows]


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
