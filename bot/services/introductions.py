"""Introductions between members: both sides agree before anyone is put in touch.

*Introduce me* asks the member's contact first; only their *Accept* opens the conversation.
One request per asker and member: asking again sends nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.services.identity import Viewer
from storage import clock
from storage import introductions as store
from storage import members as member_store
from storage.db import session_scope
from storage.models import Introduction, IntroductionStatus, Member, MembershipStatus, Person
from storage.questions import question_asked_by, question_text


@dataclass(frozen=True)
class IntroductionRequest:
    id: int
    new: bool
    status: IntroductionStatus
    member_name: str
    #: the contact who is asked; None when nobody at the member is on Slack yet
    contact_slack_user_id: str | None
    contact_name: str
    contact_email: str
    asker_slack_user_id: str
    asker_name: str
    asker_organisation: str
    question: str

    @property
    def accepted(self) -> bool:
        return self.status is IntroductionStatus.ACCEPTED


class IntroductionError(Exception):
    """The request cannot be made or answered; the message is for the person clicking."""


def _contact(member: Member, asker_person_id: int) -> Person | None:
    people = [p for p in member.people if p.id != asker_person_id]
    on_slack = [p for p in people if p.slack_user_id]
    candidates = on_slack or people
    return candidates[0] if candidates else None


def _request(intro: Introduction, session: Session, *, new: bool) -> IntroductionRequest:
    member = session.get_one(Member, intro.member_id)
    asker = session.get_one(Person, intro.asker_person_id)
    contact = session.get(Person, intro.contact_person_id) if intro.contact_person_id else None
    return IntroductionRequest(
        id=intro.id,
        new=new,
        status=intro.status,
        member_name=member.name,
        contact_slack_user_id=contact.slack_user_id if contact else None,
        contact_name=contact.name if contact else "",
        contact_email=contact.email if contact else "",
        asker_slack_user_id=asker.slack_user_id or "",
        asker_name=asker.name,
        asker_organisation=asker.member.name if asker.member else "",
        question=intro.question,
    )


def request_introduction(
    *, engine: Engine, asker: Viewer, member_slug: str, question_id: int | None
) -> IntroductionRequest:
    """Ask to be introduced to ``member_slug`` about the logged question ``question_id`` (none:
    an answer no question was logged for); the same request twice returns the first."""
    with session_scope(engine) as session:
        # The button's value comes from Slack: another person's question is never copied into
        # a request that goes to a contact (only the asker's own, or none).
        asked_by = question_asked_by(session=session, question_id=question_id or 0)
        own = question_id is not None and asked_by is not None and asked_by == asker.person_id
        question = question_text(session=session, question_id=question_id) if own else ""
        return _request_introduction(
            session=session, asker=asker, member_slug=member_slug, question=question
        )


def _request_introduction(
    *, session: Session, asker: Viewer, member_slug: str, question: str
) -> IntroductionRequest:
    member = member_store.member_by_slug(session=session, slug=member_slug)
    if member is None or member.membership_status is not MembershipStatus.ACTIVE:
        # Former and pending members are never suggested, so never introduced either.
        raise IntroductionError("That member is no longer in the cluster's records.")
    if member.id == asker.member_id:
        raise IntroductionError(f"You are at {member.name} yourself.")
    existing = store.introduction_between(
        session=session, asker_person_id=asker.person_id, member_id=member.id
    )
    if existing is not None:
        return _request(existing, session, new=False)
    contact = _contact(member, asker.person_id)
    if contact is None:
        raise IntroductionError(f"{member.name} has no contact person in the records yet.")
    intro = store.add_introduction(
        session=session,
        asker_person_id=asker.person_id,
        member_id=member.id,
        contact_person_id=contact.id,
        question=question[:2000],
    )
    if intro is None:  # a double click racing this one got there first
        return _request_introduction(
            session=session, asker=asker, member_slug=member_slug, question=question
        )
    return _request(intro, session, new=True)


def decide_introduction(
    *, engine: Engine, introduction_id: int, by_slack_user_id: str, accept: bool
) -> IntroductionRequest:
    """The contact's answer; only they may give it, and only the first answer counts."""
    with session_scope(engine) as session:
        intro = store.introduction_by_id(session=session, introduction_id=introduction_id)
        if intro is None:
            raise IntroductionError("That introduction request no longer exists.")
        contact = session.get(Person, intro.contact_person_id) if intro.contact_person_id else None
        if contact is None or contact.slack_user_id != by_slack_user_id:
            raise IntroductionError("Only the person who was asked can answer this request.")
        if intro.status is not IntroductionStatus.REQUESTED:
            return _request(intro, session, new=False)
        intro.status = IntroductionStatus.ACCEPTED if accept else IntroductionStatus.DECLINED
        intro.decided_at = clock.now()
        session.flush()
        return _request(intro, session, new=True)
