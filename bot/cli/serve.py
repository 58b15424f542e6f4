"""`scic serve`: the Slack bot itself; `bot.serve` checks the Slack settings and opens the store."""

from __future__ import annotations

import typer

from bot.cli.store import settings

app = typer.Typer()


@app.command()
def serve() -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on HOST:PORT."""
    from bot.serve import run

    run(settings())
