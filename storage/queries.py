"""Read queries over the records that several callers share; each takes the caller's session."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from storage.challenges import member_by_slug_or_name
from storage.models import (
    Base,
    Challenge,
    IndexOutbox,
    Member,
    QuestionLog,
)


def count_rows(*, session: Session) -> dict[str, int]:
    """How many rows each table holds, in the schema's order."""
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


def members_with_profiles(*, session: Session, ids: Collection[int] | None = None) -> list[Member]:
    """Members with their references and people loaded, as the search index reads them."""
    query = select(Member).options(selectinload(Member.references), selectinload(Member.people))
    if ids is not None:
        query = query.where(Member.id.in_(ids))
    return list(session.scalars(query.order_by(Member.id)))


def challenges_by_id(*, session: Session, ids: Collection[int] | None = None) -> list[Challenge]:
    query = select(Challenge)
    if ids is not None:
        query = query.where(Challenge.id.in_(ids))
    return list(session.scalars(query.order_by(Challenge.id)))


def pending_index_changes(*, session: Session, limit: int = 1000) -> list[IndexOutbox]:
    """The oldest queued index changes (see storage.outbox)."""
    return list(session.scalars(select(IndexOutbox).order_by(IndexOutbox.id).limit(limit)))


def last_index_change_id(*, session: Session) -> int:
    return session.scalar(select(func.max(IndexOutbox.id))) or 0


def forget_index_changes(*, session: Session, up_to_id: int) -> None:
    """Drop queued changes the index has caught up with; later ones stay queued."""
    session.execute(delete(IndexOutbox).where(IndexOutbox.id <= up_to_id))


def find_member(*, session: Session, text: str) -> Member | None:
    """A member named in ``text``: by slug, exact name, or the longest name it contains."""
    wanted = text.strip().lower()
    if not wanted:
        return None
    exact = member_by_slug_or_name(session=session, text=wanted)
    if exact is not None:
        return exact
    # The longest member name the text contains ("Kantava Structural Monitoring Oy"), else
    # the shortest name that starts with the text ("Kantava").
    best: Member | None = None
    prefixed: Member | None = None
    for member in session.scalars(select(Member)):
        name = member.name.lower()
        short = _without_company_form(name)
        if (name in wanted or (len(short) >= 4 and short in wanted)) and (
            best is None or len(member.name) > len(best.name)
        ):
            best = member
        if (
            len(wanted) >= 4
            and name.startswith(wanted)
            and (prefixed is None or len(member.name) < len(prefixed.name))
        ):
            prefixed = member
    return best or prefixed


COMPANY_FORMS = (" oy", " oyj", " ab", " as", " gmbh", " ltd", " inc", " s.l.", " s.a.", " ry")


def _without_company_form(name: str) -> str:
    for form in COMPANY_FORMS:
        if name.endswith(form):
            return name[: -len(form)].strip()
    return name


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


def question_text(*, session: Session, question_id: int | None) -> str:
    entry = session.get(QuestionLog, question_id) if question_id is not None else None
    return entry.question if entry is not None else ""


def record_names(*, session: Session) -> list[str]:
    """Every member's name (also without its company form, "Oy") and every challenge's title.

    Whoever may see them: used to check that a written answer names no record it was not
    given, so this must include the ones the asker may not see.
    """
    names: list[str] = []
    for name in session.scalars(select(Member.name)):
        names.append(name)
        short = _without_company_form(name.lower())
        if short != name.lower():
            names.append(name[: len(short)])
    names += list(session.scalars(select(Challenge.title)))
    return names
