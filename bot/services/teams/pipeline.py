"""The staff pipeline: per challenge, how far it got (suggested, introduced, interested, team
formed, submitted, won or lost) and the day each stage was first reached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storage import teams as store
from storage.db import session_scope
from storage.models import TeamStatus


@dataclass(frozen=True)
class PipelineStage:
    count: int = 0
    first_at: datetime | None = None


@dataclass(frozen=True)
class PipelineRow:
    """One challenge's way from suggested solvers to a won or lost proposal."""

    challenge_id: int
    slug: str
    title: str
    status: str
    suggested: PipelineStage
    introduced: PipelineStage
    interested: PipelineStage
    team_formed: PipelineStage
    submitted: PipelineStage
    won: PipelineStage
    lost: PipelineStage

    @property
    def active(self) -> bool:
        return any(
            s.count for s in (self.suggested, self.introduced, self.interested, self.team_formed)
        )


def _stage(row: store.StageRow | None) -> PipelineStage:
    return PipelineStage(row.count, row.first_at) if row else PipelineStage()


def _add(stages: dict[int, PipelineStage], challenge_id: int, at: datetime | None) -> None:
    old = stages.get(challenge_id, PipelineStage())
    first = min((d for d in (old.first_at, at) if d is not None), default=None)
    stages[challenge_id] = PipelineStage(old.count + 1, first)


def pipeline_report(*, session: Session) -> list[PipelineRow]:
    """Per challenge (newest first): suggested → introduced → interested → team formed →
    proposal submitted → won / lost, with how many and the day each stage was first reached."""
    suggested = store.suggestion_stages(session=session)
    introduced = store.introduction_stages(session=session)
    interested = store.interest_stages(session=session)
    joined = store.membership_dates(session=session)
    reached: dict[int, dict[TeamStatus, datetime]] = {}
    for team_id, status, at in store.status_history(session=session):
        reached.setdefault(team_id, {}).setdefault(status, at)
    formed: dict[int, PipelineStage] = {}
    submitted: dict[int, PipelineStage] = {}
    won: dict[int, PipelineStage] = {}
    lost: dict[int, PipelineStage] = {}
    for team in store.team_rows(session=session):
        dates = joined.get(team.team_id, [])
        if len(dates) >= 2:
            _add(formed, team.challenge_id, dates[1])
        statuses = reached.get(team.team_id, {})
        # A status set without history (imported records) dates from the team's last change.
        statuses.setdefault(team.status, team.updated_at)
        ends = [
            statuses[s]
            for s in (TeamStatus.SUBMITTED, TeamStatus.WON, TeamStatus.LOST)
            if s in statuses
        ]
        if ends:
            _add(submitted, team.challenge_id, statuses.get(TeamStatus.SUBMITTED, min(ends)))
        if team.status is TeamStatus.WON:
            _add(won, team.challenge_id, statuses[TeamStatus.WON])
        if team.status is TeamStatus.LOST:
            _add(lost, team.challenge_id, statuses[TeamStatus.LOST])
    return [
        PipelineRow(
            challenge_id=c.id,
            slug=c.slug,
            title=c.title,
            status=c.status.value,
            suggested=_stage(suggested.get(c.id)),
            introduced=_stage(introduced.get(c.id)),
            interested=_stage(interested.get(c.id)),
            team_formed=formed.get(c.id, PipelineStage()),
            submitted=submitted.get(c.id, PipelineStage()),
            won=won.get(c.id, PipelineStage()),
            lost=lost.get(c.id, PipelineStage()),
        )
        for c in store.reported_challenges(session=session)
    ]


def read_pipeline(*, engine: Engine) -> list[PipelineRow]:
    """`pipeline_report` in a transaction of its own (`scic report`; the App Home reads it in
    the session it builds the page in)."""
    with session_scope(engine) as session:
        return pipeline_report(session=session)
