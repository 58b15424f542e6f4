"""What was suggested for a challenge and what people said of it (*Introduce me*, *Not a fit*).

The pipeline starts here; each query takes the caller's session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Member, SolverSuggestion, SuggestionFeedback


def rejected_member_ids(*, session: Session, challenge_id: int) -> set[int]:
    """Members people marked *Not a fit* for this challenge: later rankings leave them out."""
    return set(
        session.scalars(
            select(SolverSuggestion.member_id).where(
                SolverSuggestion.challenge_id == challenge_id,
                SolverSuggestion.feedback == SuggestionFeedback.NOT_A_FIT,
            )
        )
    )


def keep_suggestions(
    *, session: Session, challenge_id: int, suggested: Mapping[str, tuple[float, dict[str, Any]]]
) -> None:
    """Keep each suggested member (by slug: its score and evidence); earlier feedback stays."""
    members = session.scalars(select(Member).where(Member.slug.in_(list(suggested))))
    existing = {
        s.member_id: s
        for s in session.scalars(
            select(SolverSuggestion).where(SolverSuggestion.challenge_id == challenge_id)
        )
    }
    for member in members:
        score, evidence = suggested[member.slug]
        row = existing.get(member.id)
        if row is None:
            session.add(
                SolverSuggestion(
                    challenge_id=challenge_id, member_id=member.id, score=score, evidence=evidence
                )
            )
        else:
            row.score, row.evidence = score, evidence
    session.flush()


def set_suggestion_feedback(
    *,
    session: Session,
    challenge_id: int,
    member_slug: str,
    feedback: SuggestionFeedback,
    person_id: int | None,
) -> None:
    """Record feedback on a suggestion, creating it if the member was suggested ad hoc."""
    member = session.scalars(select(Member).where(Member.slug == member_slug)).one()
    row = session.scalars(
        select(SolverSuggestion).where(
            SolverSuggestion.challenge_id == challenge_id,
            SolverSuggestion.member_id == member.id,
        )
    ).first()
    if row is None:
        row = SolverSuggestion(challenge_id=challenge_id, member_id=member.id, score=0.0)
        session.add(row)
    row.feedback = feedback
    row.feedback_by_id = person_id
    session.flush()
