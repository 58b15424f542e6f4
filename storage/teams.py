"""Queries over teams: membership, the roster message in a challenge's thread, status history,
and the raw rows of the staff pipeline report. Each function takes the caller's session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import (
    Challenge,
    ChallengeStatus,
    Interest,
    Member,
    SolverSuggestion,
    SuggestionFeedback,
    Team,
    TeamMembership,
    TeamStatus,
    TeamStatusChange,
)


@dataclass(frozen=True)
class RosterLine:
    member_id: int
    member_slug: str
    member_name: str
    role: str
    joined_at: datetime


@dataclass(frozen=True)
class StageRow:
    """How many of something a challenge has, and when the first one happened."""

    challenge_id: int
    count: int
    first_at: datetime | None


@dataclass(frozen=True)
class TeamHistoryRow:
    team_id: int
    challenge_id: int
    status: TeamStatus
    updated_at: datetime


def lock_challenge(*, session: Session, challenge_id: int) -> None:
    """Hold the challenge until commit, so that team changes on it happen one at a time.

    Two first clicks at once would otherwise both find no team and each create one. On
    PostgreSQL a no-op UPDATE takes the row lock. SQLite has no row locks, and its reads run
    outside a transaction, so the database's write lock is taken first (BEGIN IMMEDIATE): a
    transaction that waits for it while holding a read lock could deadlock with a commit.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not getattr(raw, "in_transaction", True):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    session.execute(
        update(Challenge)
        .where(Challenge.id == challenge_id)
        .values(updated_at=Challenge.updated_at)  # names the column, so onupdate leaves it be
    )


def teams_of_challenge(*, session: Session, challenge_id: int) -> list[Team]:
    """Every team of the challenge, oldest first (their position is the number people see)."""
    return list(
        session.scalars(select(Team).where(Team.challenge_id == challenge_id).order_by(Team.id))
    )


def team_by_id(*, session: Session, team_id: int) -> Team | None:
    return session.get(Team, team_id)


def create_team(*, session: Session, challenge_id: int, name: str = "") -> Team:
    team = Team(challenge_id=challenge_id, name=name, status=TeamStatus.FORMING)
    session.add(team)
    session.flush()
    return team


def membership_in_challenge(
    *, session: Session, challenge_id: int, member_id: int
) -> TeamMembership | None:
    """The organisation's place in any team of the challenge (it is in at most one)."""
    return session.scalars(
        select(TeamMembership)
        .join(Team, Team.id == TeamMembership.team_id)
        .where(Team.challenge_id == challenge_id, TeamMembership.member_id == member_id)
    ).first()


def membership(*, session: Session, team_id: int, member_id: int) -> TeamMembership | None:
    return session.scalars(
        select(TeamMembership).where(
            TeamMembership.team_id == team_id, TeamMembership.member_id == member_id
        )
    ).first()


def add_membership(
    *, session: Session, team_id: int, member_id: int, role: str, joined_at: datetime
) -> bool:
    """Put the organisation on the team; False when it already was (a racing click included)."""
    if membership(session=session, team_id=team_id, member_id=member_id) is not None:
        return False
    try:
        # A savepoint: the unique (team, member) key makes a concurrent second click lose quietly.
        with session.begin_nested():
            session.add(
                TeamMembership(team_id=team_id, member_id=member_id, role=role, joined_at=joined_at)
            )
    except IntegrityError:
        return False
    return True


def remove_membership(*, session: Session, team_id: int, member_id: int) -> bool:
    result = session.execute(
        delete(TeamMembership).where(
            TeamMembership.team_id == team_id, TeamMembership.member_id == member_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


def set_role(*, session: Session, team_id: int, member_id: int, role: str) -> bool:
    result = session.execute(
        update(TeamMembership)
        .where(TeamMembership.team_id == team_id, TeamMembership.member_id == member_id)
        .values(role=role)
    )
    return bool(getattr(result, "rowcount", 0))


def roster_lines(*, session: Session, team_id: int) -> list[RosterLine]:
    """The team's organisations in the order they joined."""
    query = (
        select(Member.id, Member.slug, Member.name, TeamMembership.role, TeamMembership.joined_at)
        .join(TeamMembership, TeamMembership.member_id == Member.id)
        .where(TeamMembership.team_id == team_id)
        .order_by(TeamMembership.joined_at, TeamMembership.id)
    )
    return [RosterLine(*row) for row in session.execute(query)]


def swap_roster_ts(*, session: Session, team_id: int, old: str | None, new: str | None) -> bool:
    """Compare-and-set the roster message ts: True only for the one caller that saw ``old``.

    This is how exactly one request gets to post a team's roster, however many bot processes
    handle clicks at the same moment.
    """
    same: ColumnElement[bool] = (
        Team.roster_message_ts.is_(None) if old is None else Team.roster_message_ts == old
    )
    result = session.execute(
        update(Team).where(Team.id == team_id, same).values(roster_message_ts=new)
    )
    return bool(getattr(result, "rowcount", 0))


def remember_roster(*, session: Session, team_id: int, channel_id: str, message_ts: str) -> None:
    session.execute(
        update(Team)
        .where(Team.id == team_id)
        .values(roster_channel_id=channel_id, roster_message_ts=message_ts)
    )


def record_status_change(
    *,
    session: Session,
    team: Team,
    to_status: TeamStatus,
    changed_by_id: int | None,
    changed_at: datetime,
) -> TeamStatusChange:
    change = TeamStatusChange(
        team_id=team.id,
        from_status=team.status,
        to_status=to_status,
        changed_by_id=changed_by_id,
        changed_at=changed_at,
    )
    team.status = to_status
    session.add(change)
    session.flush()
    return change


def status_changes(*, session: Session, team_id: int) -> list[TeamStatusChange]:
    return list(
        session.scalars(
            select(TeamStatusChange)
            .where(TeamStatusChange.team_id == team_id)
            .order_by(TeamStatusChange.changed_at, TeamStatusChange.id)
        )
    )


def challenge_by_thread(*, session: Session, channel_id: str, thread_ts: str) -> Challenge | None:
    """The challenge whose card opened this thread, whoever asks (the caller checks visibility)."""
    return session.scalars(
        select(Challenge).where(
            Challenge.slack_channel_id == channel_id, Challenge.slack_thread_ts == thread_ts
        )
    ).first()


# --- the pipeline report ---------------------------------------------------------------------


def reported_challenges(*, session: Session) -> list[Challenge]:
    """Every challenge past the draft stage, newest first."""
    return list(
        session.scalars(
            select(Challenge)
            .where(Challenge.status != ChallengeStatus.DRAFT)
            .order_by(Challenge.created_at.desc(), Challenge.id.desc())
        )
    )


def _stage_rows(session: Session, query: Select[int, int, datetime]) -> dict[int, StageRow]:
    return {cid: StageRow(cid, count, first) for cid, count, first in session.execute(query)}


def suggestion_stages(*, session: Session) -> dict[int, StageRow]:
    query = select(
        SolverSuggestion.challenge_id, func.count(), func.min(SolverSuggestion.created_at)
    ).group_by(SolverSuggestion.challenge_id)
    return _stage_rows(session, query)


def introduction_stages(*, session: Session) -> dict[int, StageRow]:
    # Feedback has no timestamp of its own; the row's last change is when it was given.
    query = (
        select(SolverSuggestion.challenge_id, func.count(), func.min(SolverSuggestion.updated_at))
        .where(SolverSuggestion.feedback == SuggestionFeedback.INTRODUCE)
        .group_by(SolverSuggestion.challenge_id)
    )
    return _stage_rows(session, query)


def interest_stages(*, session: Session) -> dict[int, StageRow]:
    query = select(Interest.challenge_id, func.count(), func.min(Interest.created_at)).group_by(
        Interest.challenge_id
    )
    return _stage_rows(session, query)


def team_rows(*, session: Session) -> list[TeamHistoryRow]:
    query = select(Team.id, Team.challenge_id, Team.status, Team.updated_at).order_by(Team.id)
    return [TeamHistoryRow(*row) for row in session.execute(query)]


def membership_dates(*, session: Session) -> dict[int, list[datetime]]:
    """When each team's organisations joined, per team, earliest first."""
    query = select(TeamMembership.team_id, TeamMembership.joined_at).order_by(
        TeamMembership.team_id, TeamMembership.joined_at
    )
    dates: dict[int, list[datetime]] = {}
    for team_id, joined_at in session.execute(query):
        dates.setdefault(team_id, []).append(joined_at)
    return dates


def status_history(*, session: Session) -> list[tuple[int, TeamStatus, datetime]]:
    """(team, status reached, when) for every recorded change, oldest first."""
    query = select(
        TeamStatusChange.team_id, TeamStatusChange.to_status, TeamStatusChange.changed_at
    ).order_by(TeamStatusChange.changed_at, TeamStatusChange.id)
    return [(team_id, status, at) for team_id, status, at in session.execute(query)]


def teams_of_member(*, session: Session, member_id: int, limit: int) -> list[tuple[Team, str]]:
    """The member's teams with the title of the challenge each works on."""
    query = (
        select(Team, Challenge.title)
        .join(TeamMembership, TeamMembership.team_id == Team.id)
        .join(Challenge, Challenge.id == Team.challenge_id)
        .where(TeamMembership.member_id == member_id)
        .order_by(Team.created_at.desc(), Team.id.desc())
        .limit(limit)
    )
    return [(team, title) for team, title in session.execute(query)]
