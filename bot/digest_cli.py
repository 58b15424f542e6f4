"""`scic digest preview|send`: a digest in the terminal, or a digest run now.

A Typer sub-app; bot.cli mounts it with ``app.add_typer(digest_app, name="digest")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from sqlalchemy import Engine

from bot import jobs
from bot.blocks.digest import digest_text
from bot.deps import BotDeps
from bot.services import records
from bot.services.digests.choosing import default_ranker, preview_for_channel, preview_for_person
from bot.services.digests.sending import Outcome, due_digest_previews, send_due_digests
from bot.services.identity import viewer_of
from bot.services.llm import LanguageModel
from bot.settings import Settings, SettingsError, load_settings, slack_settings_problems
from storage.db import make_engine, session_scope
from storage.models import DigestFrequency
from storage.people import person_by_email

digest_app = typer.Typer(
    help="The opportunity digest: preview it, or send the current period's now.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
FREQUENCIES = (DigestFrequency.WEEKLY, DigestFrequency.DAILY)


@contextmanager
def _store(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.store_url)
    try:
        records.require_schema(engine)
        yield engine
    finally:
        engine.dispose()


def _stop(message: str) -> typer.Exit:
    err.print(f"[red]Error:[/red] {message}", highlight=False)
    return typer.Exit(2)


@digest_app.command()
def preview(
    person: Annotated[
        str | None,
        typer.Option(
            "--person", metavar="EMAIL", help="Whose digest; without it, a channel's digest."
        ),
    ] = None,
) -> None:
    """Print the digest as it would go out now; sends nothing and records nothing."""
    settings = load_settings()
    timezone = ZoneInfo(settings.digest_timezone)
    with _store(settings) as engine:
        # Its calls are logged like any other; the preview itself records nothing.
        llm = LanguageModel.from_settings(settings, engine)
        if person:
            with session_scope(engine) as session:
                found = person_by_email(session=session, email=person)
                if found is None:
                    raise _stop(
                        f"no person with the email {person!r}; `scic import people` adds them"
                    )
                viewer = viewer_of(found, found.slack_user_id or "")
                who = f"{found.name} <{found.email}>"
            rank = default_ranker(BotDeps(settings=settings, engine=engine).solver_search)
            # Read, then the transaction is over before the model writes the opening; staff
            # at the terminal asked, not the person: counted for nobody.
            digest = preview_for_person(
                engine=engine, viewer=viewer, rank=rank, timezone=timezone, asked_by=None, llm=llm
            )
        else:
            digest = preview_for_channel(engine=engine, channel_id=None, timezone=timezone, llm=llm)
            who = "a channel"
    if digest is None:
        out.print(f"Nothing to say to {who} right now: no digest would be sent.", highlight=False)
        return
    out.print(digest_text(digest), highlight=False, markup=False)


@digest_app.command()
def send(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List who would get what; send nothing.")
    ] = False,
) -> None:
    """Send this period's weekly and daily digests to everyone who has not had theirs."""
    settings = load_settings()
    timezone = ZoneInfo(settings.digest_timezone)
    with _store(settings) as engine:
        rank = default_ranker(BotDeps(settings=settings, engine=engine).solver_search)
        if dry_run:
            for frequency in FREQUENCIES:
                previews = due_digest_previews(
                    engine=engine, rank=rank, frequency=frequency, timezone=timezone
                )
                with_news = [(s, d) for s, d in previews if d is not None]
                out.print(
                    f"{frequency.value}: {len(with_news)} of {len(previews)} due subscribers "
                    "would get a digest"
                )
                for subscriber, digest in with_news:
                    assert digest is not None
                    to = subscriber.slack_channel_id or subscriber.slack_user_id
                    out.print(
                        f"  → {to}: {len(digest.fits)} new, {len(digest.deadlines)} deadlines, "
                        f"{len(digest.team_news)} team updates",
                        highlight=False,
                    )
            return
        problems = [
            p for p in slack_settings_problems(settings) if p.startswith(("SLACK_BOT", "SLACK_API"))
        ]
        if problems:
            raise SettingsError("cannot send digests: " + "; ".join(problems))
        runtime = jobs.build_runtime(settings, engine)
        failed = 0
        for frequency in FREQUENCIES:
            run = send_due_digests(
                engine=engine,
                poster=runtime.poster,
                rank=runtime.rank,
                frequency=frequency,
                timezone=timezone,
                workers=runtime.workers,
                llm=runtime.llm,
            )
            failed += run.count(Outcome.FAILED)
            out.print(run.summary(), highlight=False)
        if failed:
            err.print(f"{failed} digests failed; the next run retries them (see the log)")
