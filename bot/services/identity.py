"""Who is talking to the bot: a Slack user linked to a person record by their profile email.

The link is looked up by Slack user id first; only the first time is the email needed, and the
caller passes a function that fetches it so that Slack is asked only when the link is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from storage.db import session_scope
from storage.models import DigestFrequency, MembershipStatus, Person
from storage.people import first_staff_person, person_by_email
from storage.slack import link_slack_user, person_by_slack_user


class IdentityUnavailable(Exception):
    """Slack could not say who the user is just now (after retries): not the same as a
    stranger, who Slack says has no profile email in the records."""


@dataclass(frozen=True)
class Viewer:
    """A known person, as the services need them: plain values, safe to copy between threads."""

    person_id: int
    name: str
    email: str
    is_staff: bool
    member_id: int | None
    member_name: str
    digest_frequency: DigestFrequency
    slack_user_id: str
    #: The person's organisation has left the cluster (kept in the records for its history):
    #: its people no longer join teams or put it on challenges' interest lists.
    former_member: bool = False


def viewer_of(person: Person, slack_user_id: str) -> Viewer:
    return Viewer(
        person_id=person.id,
        name=person.name,
        email=person.email,
        is_staff=person.is_staff,
        member_id=person.member_id,
        member_name=person.member.name if person.member else "",
        digest_frequency=person.digest_frequency,
        slack_user_id=slack_user_id,
        former_member=person.member is not None
        and person.member.membership_status is MembershipStatus.FORMER,
    )


def identify_slack_user(
    *, engine: Engine, slack_user_id: str, profile_email: Callable[[], str | None]
) -> Viewer | None:
    """The person behind a Slack user, linked by email the first time; None when unknown.

    ``profile_email`` raises IdentityUnavailable when Slack cannot answer; it passes through.
    """
    with session_scope(engine) as session:
        person = person_by_slack_user(session=session, slack_user_id=slack_user_id)
        if person is None:
            email = profile_email()
            if not email:
                return None
            person = person_by_email(session=session, email=email)
            if person is None:
                return None
            link_slack_user(session=session, person_id=person.id, slack_user_id=slack_user_id)
        return viewer_of(person, slack_user_id)


def person_at_the_terminal(*, engine: Engine, email: str | None) -> Viewer | None:
    """Who `scic ask` and `scic console` speak as: the person with ``email``, or the first
    staff member."""
    with session_scope(engine) as session:
        person = (
            person_by_email(session=session, email=email)
            if email
            else first_staff_person(session=session)
        )
        return viewer_of(person, person.slack_user_id or "console") if person else None
