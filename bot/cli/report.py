"""`scic report`: the staff pipeline per challenge, from suggested solvers to won or lost; `scic
report members`: per member, why its profile matters (suggestions, introductions, near misses)."""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.store import open_search, open_store, settings
from bot.services.impact import ProfileImpact, members_report
from bot.services.teams.pipeline import PipelineRow, PipelineStage, read_pipeline

app = typer.Typer()
STAGES = ("suggested", "introduced", "interested", "team_formed", "submitted", "won", "lost")
STAGE_TITLES = ("Suggested", "Introduced", "Interested", "Team formed", "Submitted", "Won", "Lost")


def _day(at: datetime | None) -> str:
    return at.date().isoformat() if at else ""


def _cell(stage: PipelineStage) -> str:
    return f"{stage.count}\n{_day(stage.first_at)}" if stage.count else "–"


def pipeline_table(rows: list[PipelineRow]) -> Table:
    table = Table(title="Challenge pipeline (count and the day each stage was first reached)")
    table.add_column("Challenge", overflow="fold", max_width=40)
    table.add_column("Status")
    for title in STAGE_TITLES:
        table.add_column(title, justify="right")
    for row in rows:
        stages = [getattr(row, name) for name in STAGES]
        table.add_row(f"{row.title}\n{row.slug}", row.status.replace("_", " "), *map(_cell, stages))
    return table


def _as_json(rows: list[PipelineRow]) -> str:
    def stage(s: PipelineStage) -> dict[str, object]:
        return {"count": s.count, "first": s.first_at.isoformat() if s.first_at else None}

    return json.dumps(
        [
            {"slug": r.slug, "title": r.title, "status": r.status}
            | {name: stage(getattr(r, name)) for name in STAGES}
            for r in rows
        ],
        indent=2,
        ensure_ascii=False,
    )


class ReportKind(enum.StrEnum):
    pipeline = "pipeline"
    members = "members"


def members_table(rows: list[ProfileImpact]) -> Table:
    days = rows[0].days if rows else 30
    table = Table(title=f"Members: why their profiles matter (last {days} days)")
    table.add_column("Member", overflow="fold", max_width=30)
    table.add_column("Suggested", justify="right")
    table.add_column("For", overflow="fold", max_width=50)
    table.add_column("Intros (accepted)", justify="right")
    table.add_column("Narrow misses: rank, need, what the profile lacks", overflow="fold")
    for row in rows:
        misses = "\n".join(
            f"{m.rank}. {m.need}" + (f" (lacks: {', '.join(m.missing)})" if m.missing else "")
            for m in row.misses
        )
        table.add_row(
            f"{row.member_name}\n{row.member_slug}",
            str(row.suggested),
            "; ".join(row.topics),
            f"{row.introductions} ({row.introductions_accepted})",
            misses or "–",
        )
    return table


def _members_report(as_json: bool) -> None:
    config = settings()
    with open_store(config) as engine, open_search(engine, config) as search:
        rows = members_report(engine=engine, search=search, operator_member=config.operator_member)
    if as_json:
        typer.echo(json.dumps([r.as_record() for r in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("No active members to report yet.")
        return
    Console(width=160).print(members_table(rows))


@app.command("report")
def report(
    what: Annotated[
        ReportKind,
        typer.Argument(
            help="pipeline: per challenge; members: per member, suggestions in the last 30 "
            "days, for which needs, introductions and narrow misses."
        ),
    ] = ReportKind.pipeline,
    active: Annotated[
        bool, typer.Option("--active", help="Only challenges with suggestions, interest or teams.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Per challenge: suggested → introduced → interested → team formed → submitted → won/lost.

    `scic report members`: per member, how often it was suggested in the last 30 days and for
    which needs, the introductions asked for, and the searches it narrowly missed."""
    if what is ReportKind.members:
        _members_report(as_json)
        return
    with open_store() as engine:
        rows = read_pipeline(engine=engine)
    if active:
        rows = [r for r in rows if r.active]
    if as_json:
        typer.echo(_as_json(rows))
        return
    if not rows:
        typer.echo("No challenges to report yet.")
        return
    # Wide enough for the seven stages side by side, whatever the terminal says.
    Console(width=160).print(pipeline_table(rows))
