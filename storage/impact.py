"""Queries behind "why your profile matters": what members were suggested for, introductions,
and the solver questions asked lately. Each takes the caller's session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.challenges import _visible_to
from storage.models import (
    Challenge,
    Introduction,
    IntroductionStatus,
    QuestionLog,
    SolverSuggestion,
)


def questions_since(*, session: Session, since: datetime) -> list[tuple[str, list[str]]]:
    """Questions answered with members listed since ``since``, newest first: the question and
    the slugs listed (never who asked)."""
    rows = session.execute(
        select(QuestionLog.question, QuestionLog.answered_members)
        .where(QuestionLog.created_at >= since)
        .order_by(QuestionLog.created_at.desc(), QuestionLog.id.desc())
    )
    return [(question, list(listed or [])) for question, listed in rows if listed]


def suggested_for_challenges(
    *,
    session: Session,
    member_id: int,
    since: datetime,
    viewer_member_id: int | None,
    is_staff: bool,
) -> list[str]:
    """Titles of the challenges the member was suggested for since ``since`` (on their cards),
    only those the viewer may see: a restricted challenge is never counted for outsiders."""
    return list(
        session.scalars(
            select(Challenge.title)
            .join(SolverSuggestion, SolverSuggestion.challenge_id == Challenge.id)
            .where(
                SolverSuggestion.member_id == member_id,
                SolverSuggestion.created_at >= since,
                _visible_to(viewer_member_id, is_staff),
            )
            .order_by(SolverSuggestion.created_at.desc())
        )
    )


def hidden_challenge_titles(
    *, session: Session, viewer_member_id: int | None, is_staff: bool
) -> list[str]:
    """Titles of the challenges the viewer may not see: no topic shown may name one."""
    if is_staff:
        return []
    # NOT IN the visible ones, not NOT(visible): a challenge without an owner makes the
    # visibility test NULL, and NOT NULL would hide it from this list too.
    visible = select(Challenge.id).where(_visible_to(viewer_member_id, False))
    return list(session.scalars(select(Challenge.title).where(Challenge.id.not_in(visible))))


def introductions_since(*, session: Session, member_id: int, since: datetime) -> tuple[int, int]:
    """Introductions asked of the member since ``since``, and how many its people accepted."""
    total, accepted = session.execute(
        select(
            func.count(),
            func.count().filter(Introduction.status == IntroductionStatus.ACCEPTED),
        ).where(Introduction.member_id == member_id, Introduction.created_at >= since)
    ).one()
    return int(total or 0), int(accepted or 0)
