"""What a person sees on the bot's Home tab: their organisation, open challenges, teams, digest,
and for staff the pipeline of the busiest challenges."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.services.challenges import ChallengeSummary, summary_of
from bot.services.identity import Viewer
from bot.services.impact import ProfileImpact, member_impact
from bot.services.matching import SolverSearch, challenges_for_member
from bot.services.profiles import ProfileError
from bot.services.teams.pipeline import PipelineRow, pipeline_report
from storage import challenges as store
from storage import clock
from storage import members as member_store
from storage import profiles as profile_store
from storage import teams as team_store
from storage.db import session_scope
from storage.models import Challenge, DigestFrequency, Member, MembershipStatus

CHALLENGES_PER_PAGE = 5
INTERESTS_SHOWN = 10
TEAMS_SHOWN = 10
PIPELINE_SHOWN = 8  # the Home tab's staff view; `scic report` shows every challenge


@dataclass(frozen=True)
class OrganisationProfile:
    slug: str
    name: str
    kind: str
    city: str
    country: str
    description: str
    capabilities: tuple[str, ...]
    technologies: tuple[str, ...]
    #: The member's id, and whether its people may edit its profile (not a former member's).
    member_id: int = 0
    editable: bool = False


@dataclass(frozen=True)
class TeamSummary:
    name: str
    status: str
    challenge_title: str


@dataclass(frozen=True)
class HomePage:
    viewer: Viewer
    organisation: OrganisationProfile | None
    challenges: tuple[ChallengeSummary, ...]
    challenges_total: int
    page: int
    page_size: int
    interests: tuple[ChallengeSummary, ...]
    teams: tuple[TeamSummary, ...]
    digest_frequency: DigestFrequency
    pipeline: tuple[PipelineRow, ...] = ()  # staff only: challenges with something going on
    #: Whether the person gets profile nudges (bot.services.nudges).
    profile_nudges: bool = True
    #: Why the organisation's profile matters (bot.services.impact); None without one.
    impact: ProfileImpact | None = None

    @property
    def has_next_page(self) -> bool:
        return (self.page + 1) * self.page_size < self.challenges_total


def _profile(member: Member) -> OrganisationProfile:
    return OrganisationProfile(
        slug=member.slug,
        name=member.name,
        kind=member.kind.value,
        city=member.city,
        country=member.country,
        description=member.description,
        capabilities=tuple(member.capabilities),
        technologies=tuple(member.technologies),
        member_id=member.id,
        editable=member.membership_status is not MembershipStatus.FORMER,
    )


def challenges_for_home(
    *, session: Session, viewer: Viewer, limit: int, offset: int, search: SolverSearch | None
) -> tuple[list[ChallengeSummary], int]:
    """The open challenges the Home tab lists, best fit first, and how many there are.

    Someone with an organisation sees them ranked by fit to it; anyone else the newest.
    """
    if search is not None and viewer.member_id is not None:
        fits = challenges_for_member(
            session=session,
            search=search,
            member_id=viewer.member_id,
            viewer=viewer,
            limit=10_000,
            within=None,
        )
        page = [session.get(Challenge, f.challenge_id) for f in fits[offset : offset + limit]]
        return [summary_of(c) for c in page if c is not None], len(fits)
    found = store.visible_challenges(
        session=session,
        member_id=viewer.member_id,
        is_staff=viewer.is_staff,
        open_on=clock.today(),
        limit=limit,
        offset=offset,
    )
    total = store.count_visible_challenges(
        session=session,
        member_id=viewer.member_id,
        is_staff=viewer.is_staff,
        open_on=clock.today(),
    )
    return [summary_of(c) for c in found], total


def home_page(
    *,
    engine: Engine,
    viewer: Viewer,
    page: int = 0,
    search: SolverSearch | None = None,
    operator_member: str = "",
) -> HomePage:
    impact = None
    if search is not None and viewer.member_id is not None:
        try:
            impact = member_impact(
                engine=engine,
                search=search,
                viewer=viewer,
                member_id=viewer.member_id,
                operator_member=operator_member,
            )
        except ProfileError:
            impact = None  # a member record gone since the viewer was read
    with session_scope(engine) as session:
        page = max(page, 0)
        challenges, total = challenges_for_home(
            session=session,
            viewer=viewer,
            search=search,
            limit=CHALLENGES_PER_PAGE,
            offset=page * CHALLENGES_PER_PAGE,
        )
        member = (
            member_store.member_by_id(session=session, member_id=viewer.member_id)
            if viewer.member_id is not None
            else None
        )
        interests: list[ChallengeSummary] = []
        teams: list[TeamSummary] = []
        if member is not None:
            interests = [
                summary_of(c)
                for c in store.interests_of_member(
                    session=session, member_id=member.id, limit=INTERESTS_SHOWN
                )
            ]
            teams = [
                TeamSummary(name=team.name, status=team.status.value, challenge_title=title)
                for team, title in team_store.teams_of_member(
                    session=session, member_id=member.id, limit=TEAMS_SHOWN
                )
            ]
        return HomePage(
            viewer=viewer,
            organisation=_profile(member) if member else None,
            challenges=tuple(challenges),
            challenges_total=total,
            page=page,
            page_size=CHALLENGES_PER_PAGE,
            interests=tuple(interests),
            teams=tuple(teams),
            digest_frequency=viewer.digest_frequency,
            pipeline=tuple(_pipeline(session, viewer)),
            profile_nudges=not profile_store.nudges_off(
                session=session, person_id=viewer.person_id
            ),
            impact=impact if member is not None and member.slug != operator_member else None,
        )


def _pipeline(session: Session, viewer: Viewer) -> list[PipelineRow]:
    if not viewer.is_staff:
        return []
    return [row for row in pipeline_report(session=session) if row.active][:PIPELINE_SHOWN]
