"""Team rosters around a challenge: joining, roles, leaving, team status, and the roster
message's place in the challenge's thread.

Slack-free: the card's buttons, `/challenge`, the join modal and the Home tab call these
functions; the listeners do the Slack calls.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.services.challenges import MEMBER_STATUSES, ChallengeSummary, summary_of
from bot.services.identity import Viewer
from storage import challenges as challenge_store
from storage import clock
from storage import teams as store
from storage.db import session_scope
from storage.models import Challenge, Team

# Re-exported: a team's status is the service's vocabulary for the roster's menus too.
from storage.models import TeamStatus as TeamStatus

if TYPE_CHECKING:
    pass


class TeamRole(enum.StrEnum):
    LEAD = "lead"
    TECHNOLOGY = "technology"
    PILOT_SITE = "pilot_site"
    RESEARCH_PARTNER = "research_partner"
    OTHER = "other"


ROLE_LABELS = {
    TeamRole.LEAD: "Lead",
    TeamRole.TECHNOLOGY: "Technology",
    TeamRole.PILOT_SITE: "Pilot site",
    TeamRole.RESEARCH_PARTNER: "Research partner",
    TeamRole.OTHER: "Other",
}
# Teams still taking organisations in; a submitted proposal has its partners fixed.
JOINABLE = (TeamStatus.FORMING, TeamStatus.PROPOSAL_IN_PREPARATION)
# A roster claim older than this was left by a process that died before posting; take it over.
ROSTER_CLAIM_STALE = timedelta(seconds=30)
ROSTER_PENDING = "pending:"


class TeamError(Exception):
    """A team request that cannot be done; the message is for the person asking."""


class TeamNotVisible(TeamError):
    """The challenge is missing or hidden from the person (answered the same way)."""


class TeamNotStaff(TeamError):
    pass


def status_label(status: TeamStatus) -> str:
    return status.value.replace("_", " ")


def role_label(role: str) -> str:
    try:
        return ROLE_LABELS[TeamRole(role)]
    except ValueError:
        return role


def parse_role(text: str) -> str:
    """A role from a menu or typed; '' (no role) is fine, anything unknown is refused."""
    wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
    if wanted in ("", "none"):
        return ""
    try:
        return TeamRole(wanted).value
    except ValueError:
        allowed = ", ".join(r.value for r in TeamRole)
        raise TeamError(f"Unknown role {text!r}. Use one of: {allowed}.") from None


def parse_team_status(text: str) -> TeamStatus:
    wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return TeamStatus(wanted)
    except ValueError:
        allowed = ", ".join(s.value for s in TeamStatus)
        raise TeamError(f"Unknown team status {text!r}. Use one of: {allowed}.") from None


# --- what people see -------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterEntry:
    member_id: int
    member_slug: str
    member_name: str
    role: str


@dataclass(frozen=True)
class TeamRoster:
    team_id: int
    number: int
    team_count: int
    name: str
    status: TeamStatus
    challenge_id: int
    challenge_slug: str
    challenge_title: str
    entries: tuple[RosterEntry, ...]

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        return "Team" if self.team_count == 1 else f"Team {self.number}"


@dataclass(frozen=True)
class TeamChoice:
    team_id: int
    label: str
    members: int


class JoinOutcome(enum.StrEnum):
    JOINED = "joined"
    ALREADY = "already"
    CHOOSE_TEAM = "choose_team"
    NO_ORGANISATION = "no_organisation"
    FORMER_MEMBER = "former_member"
    NOT_FOUND = "not_found"
    CLOSED = "closed"


@dataclass(frozen=True)
class JoinResult:
    outcome: JoinOutcome
    challenge: ChallengeSummary | None
    roster: TeamRoster | None = None
    choices: tuple[TeamChoice, ...] = ()


@dataclass(frozen=True)
class RosterPost:
    """Where a team's roster lives: update ``message_ts`` in place, or post it if ``claimed``.

    With neither, another request is posting it right now and will bring it up to date.
    """

    roster: TeamRoster
    channel_id: str | None
    thread_ts: str | None
    message_ts: str | None
    claimed: bool


@dataclass(frozen=True)
class StatusChange:
    roster: TeamRoster
    previous: TeamStatus
    channel_id: str | None
    thread_ts: str | None


def roster_of_team(session: Session, team: Team) -> TeamRoster:
    challenge = session.get_one(Challenge, team.challenge_id)
    siblings = store.teams_of_challenge(session=session, challenge_id=team.challenge_id)
    number = next((i for i, t in enumerate(siblings, 1) if t.id == team.id), len(siblings))
    lines = store.roster_lines(session=session, team_id=team.id)
    return TeamRoster(
        team_id=team.id,
        number=number,
        team_count=len(siblings),
        name=team.name,
        status=team.status,
        challenge_id=challenge.id,
        challenge_slug=challenge.slug,
        challenge_title=challenge.title,
        entries=tuple(
            RosterEntry(line.member_id, line.member_slug, line.member_name, line.role)
            for line in lines
        ),
    )


def roster(*, session: Session, team_id: int) -> TeamRoster:
    team = store.team_by_id(session=session, team_id=team_id)
    if team is None:
        raise TeamNotVisible("This team no longer exists.")
    return roster_of_team(session, team)


# --- visibility ------------------------------------------------------------------------------


def _visible_challenge(session: Session, viewer: Viewer, challenge_id: int) -> Challenge:
    challenge = challenge_store.challenge_by_key(
        session=session,
        key=str(challenge_id),
        member_id=viewer.member_id,
        is_staff=viewer.is_staff,
    )
    if challenge is None or (not viewer.is_staff and challenge.status not in MEMBER_STATUSES):
        raise TeamNotVisible(
            "This challenge is not open to your organisation, so I cannot change its team."
        )
    return challenge


def _visible_team(session: Session, viewer: Viewer, team_id: int) -> Team:
    team = store.team_by_id(session=session, team_id=team_id)
    if team is None:
        raise TeamNotVisible("This team no longer exists.")
    _visible_challenge(session, viewer, team.challenge_id)
    return team


def _challenge_by_key(session: Session, viewer: Viewer, key: str) -> Challenge:
    challenge = challenge_store.challenge_by_key(
        session=session, key=key, member_id=viewer.member_id, is_staff=viewer.is_staff
    )
    if challenge is None:
        raise TeamNotVisible(
            f"No challenge {key!r}. `/challenge list all` shows the ids and slugs."
        )
    return challenge


def challenge_for_thread(
    *, session: Session, viewer: Viewer, channel_id: str, thread_ts: str
) -> Challenge | None:
    """The challenge whose card opened this thread; None when it is no challenge's thread.

    Raises TeamNotVisible when the asker's organisation may not see that challenge.
    """
    challenge = store.challenge_by_thread(
        session=session, channel_id=channel_id, thread_ts=thread_ts
    )
    if challenge is None:
        return None
    return _visible_challenge(session, viewer, challenge.id)


# --- joining, roles, leaving -----------------------------------------------------------------


def _choices(session: Session, teams: Sequence[Team]) -> tuple[TeamChoice, ...]:
    rosters = [roster_of_team(session, t) for t in teams]
    return tuple(TeamChoice(r.team_id, r.label, len(r.entries)) for r in rosters)


def join_team(
    *,
    engine: Engine,
    viewer: Viewer,
    challenge_id: int,
    team_id: int | None = None,
    role: str = "",
) -> JoinResult:
    """Put the viewer's organisation on the challenge's team; the same request twice is a no-op.

    With several teams still forming the person must choose (``team_id``); otherwise the one
    team is used, created on the first interest.
    """
    with session_scope(engine) as session:
        try:
            challenge = _visible_challenge(session, viewer, challenge_id)
        except TeamNotVisible:
            return JoinResult(JoinOutcome.NOT_FOUND, None)
        summary = summary_of(challenge)
        if viewer.member_id is None:
            return JoinResult(JoinOutcome.NO_ORGANISATION, summary)
        if viewer.former_member:
            return JoinResult(JoinOutcome.FORMER_MEMBER, summary)
        if not challenge.is_open_on(clock.today()):
            return JoinResult(JoinOutcome.CLOSED, summary)
        role = parse_role(role)
        store.lock_challenge(session=session, challenge_id=challenge.id)
        current = store.membership_in_challenge(
            session=session, challenge_id=challenge.id, member_id=viewer.member_id
        )
        if current is not None:
            return JoinResult(
                JoinOutcome.ALREADY, summary, roster(session=session, team_id=current.team_id)
            )
        teams = store.teams_of_challenge(session=session, challenge_id=challenge.id)
        joinable = [t for t in teams if t.status in JOINABLE]
        team: Team | None
        if team_id is not None:
            team = next((t for t in joinable if t.id == team_id), None)
            if team is None:
                return JoinResult(
                    JoinOutcome.CHOOSE_TEAM, summary, choices=_choices(session, joinable)
                )
        elif len(joinable) > 1:
            return JoinResult(JoinOutcome.CHOOSE_TEAM, summary, choices=_choices(session, joinable))
        elif joinable:
            team = joinable[0]
        elif any(t.status is not TeamStatus.DISSOLVED for t in teams):
            return JoinResult(JoinOutcome.CLOSED, summary)
        else:
            team = store.create_team(session=session, challenge_id=challenge.id)
        # The interest is the pipeline's "interested" stage; it stays when the team is left.
        challenge_store.add_interest(
            session=session,
            challenge_id=challenge.id,
            member_id=viewer.member_id,
            person_id=viewer.person_id,
        )
        added = store.add_membership(
            session=session,
            team_id=team.id,
            member_id=viewer.member_id,
            role=role,
            joined_at=clock.now(),
        )
        outcome = JoinOutcome.JOINED if added else JoinOutcome.ALREADY
        return JoinResult(outcome, summary, roster(session=session, team_id=team.id))


def _own_membership(session: Session, viewer: Viewer, team: Team) -> int:
    if viewer.member_id is None:
        raise TeamError(
            "Your person record is not linked to a member organisation; ask the SCIC staff "
            "to link it."
        )
    if store.membership(session=session, team_id=team.id, member_id=viewer.member_id) is None:
        raise TeamError(
            f"*{viewer.member_name}* is not on this team; press *I'm interested* on the card "
            "to join it."
        )
    return viewer.member_id


def leave_team(*, engine: Engine, viewer: Viewer, team_id: int) -> TeamRoster:
    with session_scope(engine) as session:
        team = _visible_team(session, viewer, team_id)
        member_id = _own_membership(session, viewer, team)
        store.remove_membership(session=session, team_id=team.id, member_id=member_id)
        return roster_of_team(session, team)


def change_role(*, engine: Engine, viewer: Viewer, team_id: int, role: str) -> TeamRoster:
    with session_scope(engine) as session:
        team = _visible_team(session, viewer, team_id)
        member_id = _own_membership(session, viewer, team)
        store.set_role(session=session, team_id=team.id, member_id=member_id, role=parse_role(role))
        return roster_of_team(session, team)


# --- team status (staff) ---------------------------------------------------------------------


def _status_change(
    session: Session, viewer: Viewer, team: Team, status: TeamStatus
) -> StatusChange:
    if team.status is status:
        raise TeamError(f"The team is already *{status_label(status)}*.")
    previous = team.status
    store.record_status_change(
        session=session,
        team=team,
        to_status=status,
        changed_by_id=viewer.person_id,
        changed_at=clock.now(),
    )
    challenge = session.get_one(Challenge, team.challenge_id)
    return StatusChange(
        roster=roster_of_team(session, team),
        previous=previous,
        channel_id=challenge.slack_channel_id,
        thread_ts=challenge.slack_thread_ts,
    )


def change_team_status(
    *, engine: Engine, viewer: Viewer, team_id: int, status: str
) -> StatusChange:
    """Move a team to ``status`` (staff only), keeping who did it and when."""
    with session_scope(engine) as session:
        if not viewer.is_staff:
            raise TeamNotStaff("Only SCIC staff can change a team's status.")
        wanted = parse_team_status(status)
        team = _visible_team(session, viewer, team_id)
        return _status_change(session, viewer, team, wanted)


def _pick_team(teams: Sequence[Team], rosters: Sequence[TeamRoster], selector: str) -> Team:
    if selector:
        wanted = selector.strip().casefold().removeprefix("team").strip().lstrip("#")
        for team, shown in zip(teams, rosters, strict=True):
            if wanted in (str(shown.number), team.name.casefold()):
                return team
        raise TeamError(f"No team {selector!r} on this challenge.")
    if len(teams) == 1:
        return teams[0]
    if not teams:
        raise TeamError("This challenge has no team yet.")
    listed = ", ".join(f"{r.number}: {r.label}" for r in rosters)
    raise TeamError(f"This challenge has several teams ({listed}); add the team's number.")


def change_team_status_by_key(
    *,
    engine: Engine,
    viewer: Viewer,
    challenge_key: str,
    status: str,
    team: str = "",
) -> StatusChange:
    """`/challenge team-status <challenge> <status> [team]`."""
    with session_scope(engine) as session:
        if not viewer.is_staff:
            raise TeamNotStaff("Only SCIC staff can change a team's status.")
        wanted = parse_team_status(status)
        challenge = _challenge_by_key(session, viewer, challenge_key)
        teams = store.teams_of_challenge(session=session, challenge_id=challenge.id)
        rosters = [roster_of_team(session, t) for t in teams]
        return _status_change(session, viewer, _pick_team(teams, rosters, team), wanted)


def rosters_of_challenge(*, engine: Engine, viewer: Viewer, challenge_id: int) -> list[TeamRoster]:
    """The challenge's teams (staff only: for the staff view's status menus)."""
    with session_scope(engine) as session:
        if not viewer.is_staff:
            raise TeamNotStaff("Only SCIC staff can change teams.")
        challenge = _visible_challenge(session, viewer, challenge_id)
        teams = store.teams_of_challenge(session=session, challenge_id=challenge.id)
        return [roster_of_team(session, t) for t in teams]


def create_extra_team(
    *, engine: Engine, viewer: Viewer, challenge_key: str, name: str = ""
) -> TeamRoster:
    """A competing team on the same challenge (staff only): people then choose when joining."""
    with session_scope(engine) as session:
        if not viewer.is_staff:
            raise TeamNotStaff("Only SCIC staff can open another team on a challenge.")
        challenge = _challenge_by_key(session, viewer, challenge_key)
        if not store.teams_of_challenge(session=session, challenge_id=challenge.id):
            # The first team is the one interest creates; make it now so the new one is second.
            store.create_team(session=session, challenge_id=challenge.id)
        team = store.create_team(
            session=session, challenge_id=challenge.id, name=name.strip()[:200]
        )
        return roster_of_team(session, team)


# --- the roster message ----------------------------------------------------------------------


def claim_roster_post(
    *,
    engine: Engine,
    team_id: int,
    channel_id: str | None = None,
    thread_ts: str | None = None,
) -> RosterPost:
    """Where the roster goes; the first caller gets ``claimed`` and posts it, later ones update.

    ``channel_id``/``thread_ts`` are used when the challenge has no card of its own on record.
    """
    with session_scope(engine) as session:
        team = store.team_by_id(session=session, team_id=team_id)
        if team is None:
            raise TeamNotVisible("This team no longer exists.")
        shown = roster_of_team(session, team)
        challenge = session.get_one(Challenge, team.challenge_id)
        channel = challenge.slack_channel_id or channel_id
        thread = challenge.slack_thread_ts or thread_ts
        ts = team.roster_message_ts
        if ts and not ts.startswith(ROSTER_PENDING):
            return RosterPost(shown, team.roster_channel_id or channel, thread, ts, claimed=False)
        if not channel or not thread:
            return RosterPost(shown, None, None, None, claimed=False)
        moment = clock.now()
        if ts is not None:
            since = float(ts.removeprefix(ROSTER_PENDING) or 0)
            if moment.timestamp() - since < ROSTER_CLAIM_STALE.total_seconds():
                return RosterPost(shown, channel, thread, None, claimed=False)
        claimed = store.swap_roster_ts(
            session=session,
            team_id=team.id,
            old=ts,
            new=f"{ROSTER_PENDING}{moment.timestamp():.3f}",
        )
        return RosterPost(shown, channel, thread, None, claimed=claimed)


def remember_roster_post(
    *, engine: Engine, team_id: int, channel_id: str, message_ts: str
) -> TeamRoster:
    """Keep the posted roster's place; returns the roster as it is now, to catch up with."""
    with session_scope(engine) as session:
        store.remember_roster(
            session=session, team_id=team_id, channel_id=channel_id, message_ts=message_ts
        )
        return roster(session=session, team_id=team_id)


def release_roster_claim(*, engine: Engine, team_id: int) -> None:
    """Posting failed: let the next change try again."""
    with session_scope(engine) as session:
        team = store.team_by_id(session=session, team_id=team_id)
        if team is not None and (team.roster_message_ts or "").startswith(ROSTER_PENDING):
            store.swap_roster_ts(
                session=session, team_id=team_id, old=team.roster_message_ts, new=None
            )
