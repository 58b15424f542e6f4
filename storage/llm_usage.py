"""The language model's bookkeeping: one row per call, and the tokens a person used today."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import LanguageModelCall


def record_model_call(
    *,
    session: Session,
    person_id: int | None,
    task: str,
    model: str,
    prompt_version: str,
    input_tokens: int,
    output_tokens: int,
    outcome: str,
    duration_ms: int,
    dropped_by: str = "",
) -> LanguageModelCall:
    call = LanguageModelCall(
        person_id=person_id,
        task=task[:32],
        model=model[:100],
        prompt_version=prompt_version[:16],
        input_tokens=max(0, input_tokens),
        output_tokens=max(0, output_tokens),
        outcome=outcome,
        duration_ms=max(0, duration_ms),
        dropped_by=dropped_by[:32],
    )
    session.add(call)
    session.flush()
    return call


def start_of_day(moment: datetime) -> datetime:
    """Midnight UTC of ``moment``'s day: the daily limit resets for everyone at once."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def tokens_used_since(*, session: Session, person_id: int, since: datetime) -> int:
    used = session.scalar(
        select(
            func.coalesce(
                func.sum(LanguageModelCall.input_tokens + LanguageModelCall.output_tokens), 0
            )
        ).where(LanguageModelCall.person_id == person_id, LanguageModelCall.created_at >= since)
    )
    return int(used or 0)


def model_calls(*, session: Session, task: str | None = None) -> list[LanguageModelCall]:
    """Every recorded call, oldest first (for reports and tests)."""
    query = select(LanguageModelCall).order_by(LanguageModelCall.id)
    if task is not None:
        query = query.where(LanguageModelCall.task == task)
    return list(session.scalars(query))


def model_calls_since(*, session: Session, since: datetime) -> list[LanguageModelCall]:
    """The calls made since ``since``, oldest first."""
    return list(
        session.scalars(
            select(LanguageModelCall)
            .where(LanguageModelCall.created_at >= since)
            .order_by(LanguageModelCall.id)
        )
    )
