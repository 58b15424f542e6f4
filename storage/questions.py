"""The question log: who asked what in which thread, what the bot answered, and feedback."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import (
    QuestionLog,
)


def log_question(
    *,
    session: Session,
    person_id: int | None,
    slack_user_id: str,
    channel_id: str,
    thread_ts: str,
    question: str,
    answer: str,
    answered_members: list[str],
) -> int:
    """Keep who asked what and what the bot answered; returns the log entry's id."""
    entry = QuestionLog(
        person_id=person_id,
        slack_user_id=slack_user_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        question=question,
        answer=answer,
        answered_members=answered_members,
    )
    session.add(entry)
    session.flush()
    return entry.id


def earlier_questions(*, session: Session, channel_id: str, thread_ts: str) -> list[str]:
    """The questions already asked in a thread, oldest first: the thread's context."""
    return list(
        session.scalars(
            select(QuestionLog.question)
            .where(QuestionLog.channel_id == channel_id, QuestionLog.thread_ts == thread_ts)
            .order_by(QuestionLog.id)
        )
    )


def set_question_feedback(*, session: Session, question_id: int, feedback: str) -> None:
    entry = session.get(QuestionLog, question_id)
    if entry is not None:
        entry.feedback = feedback[:32]


def question_asked_by(*, session: Session, question_id: int) -> int | None:
    """The person who asked a logged question (None: unknown, or no such question)."""
    entry = session.get(QuestionLog, question_id)
    return entry.person_id if entry is not None else None


def question_text(*, session: Session, question_id: int | None) -> str:
    entry = session.get(QuestionLog, question_id) if question_id is not None else None
    return entry.question if entry is not None else ""


def latest_question_by(*, session: Session, person_id: int) -> str | None:
    """The last question ``person_id`` asked anywhere, or None: the language they write in."""
    return session.scalars(
        select(QuestionLog.question)
        .where(QuestionLog.person_id == person_id)
        .order_by(QuestionLog.id.desc())
        .limit(1)
    ).first()
