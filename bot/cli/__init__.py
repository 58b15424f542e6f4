"""`scic`: the command line staff use to load, inspect and run the bot.

One Typer app with a module here per group of commands; `main` is the installed entry point.
"""

from __future__ import annotations

import logging
import sys

import typer

from bot.cli import bench, digest, records, report, search, serve, usage
from bot.cli.store import settings
from bot.cli.terminal import CommandGroup, reason_for, say_error
from bot.redaction import configure_logging

app = typer.Typer(
    name="scic",
    help="SCIC Bot: the Smart City Innovation Cluster's assistant.",
    cls=CommandGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
# In the order `scic --help` lists them: loading the records first, the benchmarks last.
for commands in (records.app, usage.app, search.app, serve.app, report.app):
    app.add_typer(commands)
app.add_typer(digest.app, name="digest")
app.add_typer(bench.app, name="bench")

log = logging.getLogger(__name__)


def main() -> None:
    """Entry point: logging from the settings, then the command; never a traceback."""
    try:
        configure_logging(settings())
        app()  # usage errors and the known failures are the command group's to print
    except Exception as exc:
        reason = reason_for(exc)
        if reason is not None:  # a failure before any command ran (a bad LOG_LEVEL)
            say_error(reason)
            sys.exit(2)
        # The last line of defence: a bug, said in one line, never a traceback.
        log.debug("unexpected error", exc_info=True)
        say_error(f"unexpected {type(exc).__name__}: {exc} (run with LOG_LEVEL=DEBUG for details)")
        sys.exit(1)
