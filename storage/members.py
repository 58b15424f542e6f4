"""Queries over member organisations: by slug, id or name, and with their profiles for the index.

Each takes the caller's session."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from storage.models import (
    Challenge,
    Member,
)


def member_by_slug_or_name(*, session: Session, text: str) -> Member | None:
    wanted = text.strip().lower()
    if not wanted:
        return None
    return session.scalars(
        select(Member).where(or_(Member.slug == wanted, func.lower(Member.name) == wanted))
    ).first()


def member_by_id(*, session: Session, member_id: int) -> Member | None:
    return session.get(Member, member_id)


def members_with_profiles(*, session: Session, ids: Collection[int] | None = None) -> list[Member]:
    """Members with their references and people loaded, as the search index reads them."""
    query = select(Member).options(selectinload(Member.references), selectinload(Member.people))
    if ids is not None:
        query = query.where(Member.id.in_(ids))
    return list(session.scalars(query.order_by(Member.id)))


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


def members_with_people(*, session: Session, ids: Collection[int]) -> dict[int, Member]:
    """The members by id, with their people loaded (the contacts shown with a match)."""
    query = select(Member).where(Member.id.in_(list(ids))).options(selectinload(Member.people))
    return {m.id: m for m in session.scalars(query)}


def member_by_slug(*, session: Session, slug: str) -> Member | None:
    return session.scalars(select(Member).where(Member.slug == slug)).first()
