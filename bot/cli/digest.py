"""`scic digest preview|send`: a digest in the terminal, or a digest run now."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bot.blocks.digest import digest_text
from bot.cli.store import open_store, settings
from bot.cli.terminal import err, fail, no_such_person, out
from bot.deps import BotDeps
from bot.services.digests.choosing import default_ranker, preview_for_channel, preview_for_person
from bot.services.digests.sending import Outcome, due_digest_previews, send_due_digests
from bot.services.identity import person_at_the_terminal
from bot.services.llm import LanguageModel
from bot.settings import SettingsError, slack_settings_problems
from storage.models import DigestFrequency

app = typer.Typer(
    help="The opportunity digest: preview it, or send the current period's now.",
    no_args_is_help=True,
)
FREQUENCIES = (DigestFrequency.WEEKLY, DigestFrequency.DAILY)


def show(text: str) -> None:
    # As the lines Slack would show: never wrapped at the terminal's width.
    out.print(text, soft_wrap=True, highlight=False, markup=False)


@app.command()
def preview(
    person: Annotated[
        str | None,
        typer.Option(
            "--person", metavar="EMAIL", help="Whose digest; without it, a channel's digest."
        ),
    ] = None,
) -> None:
    """Print the digest as it would go out now; sends nothing and records nothing."""
    if person is not None and not person.strip():
        fail("--person needs an email; leave it out for a channel's digest")
    config = settings()
    timezone = ZoneInfo(config.digest_timezone)
    with open_store(config) as engine:
        # Its calls are logged like any other; the preview itself records nothing.
        llm = LanguageModel.from_settings(config, engine)
        if person:
            viewer = person_at_the_terminal(engine=engine, email=person)
            if viewer is None:
                no_such_person(person)
            who = f"{viewer.name} <{viewer.email}>"
            rank = default_ranker(BotDeps(settings=config, engine=engine).solver_search)
            # Read, then the transaction is over before the model writes the opening; staff
            # at the terminal asked, not the person: counted for nobody.
            digest = preview_for_person(
                engine=engine, viewer=viewer, rank=rank, timezone=timezone, asked_by=None, llm=llm
            )
        else:
            digest = preview_for_channel(engine=engine, channel_id=None, timezone=timezone, llm=llm)
            who = "a channel"
    if digest is None:
        show(f"Nothing to say to {who} right now: no digest would be sent.")
        return
    show(digest_text(digest))


@app.command()
def send(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List who would get what; send nothing.")
    ] = False,
) -> None:
    """Send this period's weekly and daily digests to everyone who has not had theirs."""
    config = settings()
    timezone = ZoneInfo(config.digest_timezone)
    with open_store(config) as engine:
        rank = default_ranker(BotDeps(settings=config, engine=engine).solver_search)
        if dry_run:
            for frequency in FREQUENCIES:
                previews = due_digest_previews(
                    engine=engine, rank=rank, frequency=frequency, timezone=timezone
                )
                with_news = [(s, d) for s, d in previews if d is not None]
                show(
                    f"{frequency.value}: {len(with_news)} of {len(previews)} due subscribers "
                    "would get a digest"
                )
                for subscriber, digest in with_news:
                    assert digest is not None
                    to = subscriber.slack_channel_id or subscriber.slack_user_id
                    show(
                        f"  → {to}: {len(digest.fits)} new, {len(digest.deadlines)} deadlines, "
                        f"{len(digest.team_news)} team updates"
                    )
            return
        problems = [
            p for p in slack_settings_problems(config) if p.startswith(("SLACK_BOT", "SLACK_API"))
        ]
        if problems:
            raise SettingsError("cannot send digests: " + "; ".join(problems))
        from bot import jobs  # the Slack side of the bot: only a real send needs it

        runtime = jobs.build_runtime(config, engine)
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
            show(run.summary())
        if failed:
            err.print(f"{failed} digests failed; the next run retries them (see the log)")
