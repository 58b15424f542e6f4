"""What every `scic` command writes through, and the one way a command fails.

Results go to stdout; progress and errors to stderr. A failure the user can fix (bad input, a
bad file or setting, an unreachable store, an unknown person) is one line, `Error: <reason>`,
and exit code 2, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from bot.redaction import redact_output
from bot.settings import SettingsError
from storage.db import StoreUnavailable
from storage.files import RecordFileError

out = Console()
# Soft wrap: an error stays one line however narrow the terminal (or the test's pipe) is.
err = Console(stderr=True, soft_wrap=True)


class CliError(Exception):
    """Bad input from the command line; printed as one line, exit code 2."""


def fail(message: str) -> NoReturn:
    raise CliError(message)


def no_such_person(email: str) -> NoReturn:
    fail(f"no person with the email {email!r} in the store; `scic import people` adds them")


def say_error(message: str) -> None:
    # Errors echo settings and URLs back (an unparseable DATABASE_URL, a refused token).
    err.print(f"[red]Error:[/red] {escape(redact_output(message))}", highlight=False)


def reason_for(exc: BaseException) -> str | None:
    """The one line a failure the user can fix prints; None for anything else (a bug)."""
    if isinstance(exc, CliError | SettingsError | StoreUnavailable | RecordFileError):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        return (
            f"the store failed: {str(exc).splitlines()[0]}. "
            "Check DATABASE_URL and that the server is running."
        )
    return None


class CommandGroup(TyperGroup):
    """The `scic` group: every command below it fails in the one style.

    Failures become one line here, around the whole command tree, rather than in each command,
    so a new command cannot forget it, and Typer's test runner sees what staff see.
    """

    # Any: Typer types the context with the click it bundles, which it does not export.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.BadParameter as exc:
            # Click would list a choice's values on lines of their own; the reason stays on one.
            if exc.ctx is not None:
                err.print(exc.ctx.get_usage(), highlight=False, markup=False)
                err.print(f"Try '{exc.ctx.command_path} --help' for help.\n", highlight=False)
            say_error(" ".join(exc.format_message().split()))
            raise typer.Exit(2) from exc
        except Exception as exc:
            reason = reason_for(exc)
            if reason is None:
                raise
            say_error(reason)
            raise typer.Exit(2) from exc


@contextmanager
def progress_bar() -> Iterator[Progress]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    with progress:
        yield progress
