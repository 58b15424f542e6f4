"""`scic usage`: the language model's calls per day and task: written answers shown, dropped
(by which check), failed or never sent, and the tokens used."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from bot.cli.store import open_store
from bot.cli.terminal import out

app = typer.Typer()


@app.command()
def usage(
    days: Annotated[int, typer.Option(min=1, max=366, help="How many days back.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The language model's calls and tokens per day and task (empty when LLM_MODEL is off)."""
    from bot.services.llm import usage_report

    with open_store() as engine:
        rows = usage_report(engine=engine, days=days)
    if as_json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return
    if not rows:
        out.print(f"No language model calls in the last {days} days.")
        return
    table = Table(
        "day",
        "task",
        "calls",
        "shown",
        "dropped (by check)",
        "failed",
        "skipped",
        "over limit",
        "tokens in",
        "tokens out",
        title=f"Language model use, last {days} days (UTC)",
    )
    for r in rows:
        checks = ", ".join(f"{check} {n}" for check, n in r.dropped_by.items())
        table.add_row(
            r.day,
            r.task,
            str(r.calls),
            str(r.shown),
            f"{r.dropped} ({checks})" if checks else str(r.dropped),
            str(r.failed),
            str(r.skipped),
            str(r.limited),
            str(r.input_tokens),
            str(r.output_tokens),
        )
    out.print(table)
