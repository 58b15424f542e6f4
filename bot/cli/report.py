"""`scic report`: the staff pipeline per challenge, from suggested solvers to won or lost."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.store import open_store
from bot.services.teams.pipeline import PipelineRow, PipelineStage, pipeline_report
from storage.db import session_scope

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


@app.command("report")
def report(
    active: Annotated[
        bool, typer.Option("--active", help="Only challenges with suggestions, interest or teams.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Per challenge: suggested → introduced → interested → team formed → submitted → won/lost."""
    with open_store() as engine, session_scope(engine) as session:
        rows = pipeline_report(session=session)
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
