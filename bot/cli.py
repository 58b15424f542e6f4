"""`scic`: the command line staff use to load, inspect and run the bot."""

from __future__ import annotations

import enum
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.services import records
from bot.settings import Settings, SettingsError, load_settings
from storage.db import StoreUnavailable, make_engine, session_scope
from storage.files import RecordFileError, detect_format
from storage.importing import ImportReport

if TYPE_CHECKING:
    from bot.services.identity import Viewer
    from bot.services.matching import SolverSearch

app = typer.Typer(
    name="scic",
    help="SCIC Bot: the Smart City Innovation Cluster's assistant.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)
log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


class RecordKind(enum.StrEnum):
    members = "members"
    people = "people"
    challenges = "challenges"


class FileFormat(enum.StrEnum):
    csv = "csv"
    json = "json"


class CliError(Exception):
    """Bad input from the command line; printed as one line, exit code 2."""


def fail(message: str) -> None:
    raise CliError(message)


def settings() -> Settings:
    return load_settings()


@contextmanager
def store(*, migrate: bool = False) -> Iterator[Engine]:
    engine = make_engine(settings().store_url)
    try:
        if migrate:
            records.ensure_schema(engine)
        else:
            records.require_schema(engine)
        yield engine
    finally:
        engine.dispose()


def print_report(report: ImportReport, *, limit: int = 50) -> None:
    verb = "would be" if report.dry_run else "were"
    summary = (
        f"{report.kind}: {report.total} rows read; {len(report.created)} {verb} created, "
        f"{len(report.updated)} {verb} updated, {len(report.unchanged)} unchanged"
    )
    if report.problems:
        summary += f"; {report.bad_rows} rows have problems"
    out.print(summary)
    for problem in report.problems[:limit]:
        err.print(f"  [red]✗[/red] {problem}", highlight=False, markup=True)
    if len(report.problems) > limit:
        err.print(f"  … and {len(report.problems) - limit} more problems")


@app.command()
def init(
    demo: Annotated[
        bool, typer.Option(help="Also load the demo members, people and challenges.")
    ] = False,
) -> None:
    """Create the store, or upgrade its schema; with --demo, load the demo data."""
    with store(migrate=True) as engine:
        out.print(f"Store ready at {engine.url.render_as_string()}")
        if demo:
            with session_scope(engine) as session:
                for report in records.load_demo(session=session):
                    print_report(report)
            with solver_search(engine) as search:
                mode = "dense + lexical" if search.dense else "LEXICAL ONLY (no embedding model)"
                out.print(f"Search index up to date ({mode}).")


@app.command("import")
def import_(
    kind: Annotated[RecordKind, typer.Argument(help="What the file holds.")],
    file: Annotated[Path, typer.Argument(help="A .csv or .json file.", show_default=False)],
    format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="Override the format told by the file name."),
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option(help="Import the good rows and report the bad ones.")
    ] = False,
    dry_run: Annotated[bool, typer.Option(help="Report what would change; write nothing.")] = False,
) -> None:
    """Import members, people or challenges from CSV or JSON, upserting by natural key.

    Keys: members by slug, people by email, challenges by slug. A file with any bad row is
    rejected whole (each problem named by row, field and reason) unless --skip-invalid.
    Import members first, then people, then challenges: later kinds refer to earlier ones.

    \b
    members:    slug, name, kind, country, city, size, website, description, capabilities,
                technologies, languages, membership_status, references
    people:     email, name, organisation (member slug), role, expertise, slack_user_id,
                is_staff, digest_frequency
    challenges: slug, title, description, owner_member (member slug), owner_name, city,
                country, region, tags, needs, status, deadline (YYYY-MM-DD), budget_min,
                budget_max, currency, visibility, source, created_by (person email),
                language, allowed_members (member slugs)

    \b
    kind: company|city|region|research_institute|university|other
    size: micro|small|medium|large;  membership_status: active|pending|former
    status: draft|open|teams_forming|proposal_submitted|won|lost|closed
    visibility: public|restricted;  digest_frequency: weekly|daily|off
    In CSV, list fields are joined with ';' and `references` is a JSON list of
    {title, description, year, client}. Examples: examples/ in the repository.
    """
    fmt = detect_format(file, format.value if format else None)
    with store() as engine, session_scope(engine) as session, progress_bar() as bar:
        task = bar.add_task(f"Importing {kind.value}", total=None)
        report = records.import_file(
            session=session,
            kind=kind.value,
            path=file,
            fmt=fmt,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            on_rows=lambda n: bar.update(task, total=n),
            on_progress=lambda done: bar.update(task, completed=done),
        )
        if report.problems and not skip_invalid:
            session.rollback()
    print_report(report)
    if report.problems and not skip_invalid:
        err.print(
            f"Nothing was imported: fix the rows above, or use --skip-invalid to import the "
            f"{report.total - report.bad_rows} good rows."
        )
        raise typer.Exit(1)
    if dry_run:
        out.print("Dry run: nothing was written.")


@app.command()
def export(
    kind: Annotated[RecordKind, typer.Argument(help="What to export.")],
    file: Annotated[
        Path, typer.Argument(help="A .csv or .json file to write.", show_default=False)
    ],
    format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="Override the format told by the file name."),
    ] = None,
) -> None:
    """Export members, people or challenges in the format `scic import` reads."""
    fmt = detect_format(file, format.value if format else None)
    with store() as engine, session_scope(engine) as session:
        count = records.export_file(session=session, kind=kind.value, path=file, fmt=fmt)
    out.print(f"Wrote {count} {kind.value} to {file}")


@app.command()
def stats() -> None:
    """Count the records in each table of the store."""
    with store() as engine, session_scope(engine) as session:
        counts = records.store_stats(session=session)
    table = Table("table", "rows", title=f"Store: {engine.url.render_as_string()}")
    for name, count in counts.items():
        table.add_row(name, str(count))
    out.print(table)


@app.command()
def usage(
    days: Annotated[int, typer.Option(min=1, max=366, help="How many days back.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The language model's calls and tokens per day and task (empty when LLM_MODEL is off)."""
    from bot.services.llm import usage_report

    with store() as engine, session_scope(engine) as session:
        rows = usage_report(session=session, days=days)
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
        "failed",
        "over limit",
        "tokens in",
        "tokens out",
        title=f"Language model use, last {days} days (UTC)",
    )
    for r in rows:
        table.add_row(
            r.day,
            r.task,
            str(r.calls),
            str(r.failed),
            str(r.limited),
            str(r.input_tokens),
            str(r.output_tokens),
        )
    out.print(table)


@contextmanager
def solver_search(engine: Engine) -> Iterator[SolverSearch]:
    from bot.services.matching import SolverSearch

    with err.status("Opening the search index (catching up with the store)…"):
        search = SolverSearch.open(settings(), engine)
    yield search


@app.command()
def reindex(
    check: Annotated[
        bool, typer.Option(help="Only report drift between store and index; exit 1 if any.")
    ] = False,
) -> None:
    """Rebuild the search index from the store, or check that it agrees with the store."""
    from retrieval.sync import check_drift, rebuild_index

    with store() as engine, solver_search(engine) as search:
        if check:
            drift = check_drift(engine=engine, indexes=search.indexes)
            for label, ids in (
                ("missing from the index", drift.missing),
                ("stale in the index", drift.stale),
                ("in the index but not in the store", drift.ghosts),
            ):
                if ids:
                    out.print(f"{len(ids)} passages {label}, e.g. {', '.join(ids[:3])}")
            if not drift.clean:
                raise typer.Exit(1)
            out.print("The index agrees with the store.")
            return
        with progress_bar() as bar:
            task = bar.add_task("Indexing passages", total=None)
            total = rebuild_index(
                engine=engine,
                indexes=search.indexes,
                on_progress=lambda done, n: bar.update(task, completed=done, total=n),
            )
    mode = "dense + lexical" if search.dense else "LEXICAL ONLY (no embedding model)"
    out.print(f"Indexed {total} passages ({mode}).")


@app.command("match")
def match_(
    text: Annotated[str, typer.Argument(help="The problem, in a few words or a paragraph.")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many members.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Rank the member organisations best placed to solve TEXT, with the evidence."""
    from bot.services.matching import suggest_solvers

    if not text.strip():
        fail('give the problem to match, e.g. scic match "snow load on school roofs"')
    with store() as engine, solver_search(engine) as search, session_scope(engine) as session:
        matches = suggest_solvers(session=session, search=search, query=text, k=k)
    if as_json:
        print(json.dumps([asdict(m) for m in matches], ensure_ascii=False, indent=2))
        return
    if not matches:
        out.print("No member matches that yet. Try other words, or ask the staff.")
        return
    table = Table("#", "member", "score", "why", "contact", title=f"Who can solve: {text}")
    for rank, m in enumerate(matches, start=1):
        contact = m.contacts[0] if m.contacts else None
        table.add_row(
            str(rank),
            f"{m.member_name}\n[dim]{m.city}, {m.country}[/dim]",
            f"{m.score:.3f}",
            m.reason,
            f"{contact.name}\n[dim]{contact.email}[/dim]" if contact else "",
        )
    out.print(table)


def terminal_viewer(engine: Engine, as_email: str | None) -> Viewer:
    """Who the terminal speaks as: ``--as EMAIL``, or the first staff member."""
    from bot.console import console_viewer

    viewer = console_viewer(engine, as_email)
    if viewer is None:
        raise CliError(
            f"no person {as_email or 'with staff rights'} in the store; import people first"
        )
    return viewer


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="A question, as you would ask the bot in Slack.")],
    as_email: Annotated[
        str | None, typer.Option("--as", help="Ask as this person (default: a staff member).")
    ] = None,
) -> None:
    """Ask the bot one question and print its answer (written by the model when one is set)."""
    from bot.console import reply_text
    from bot.services.answers import answer_question
    from bot.services.llm import LanguageModel

    with store() as engine:
        viewer = terminal_viewer(engine, as_email)
        llm = LanguageModel.from_settings(settings(), engine)
        with solver_search(engine) as search, session_scope(engine) as session:
            answer = answer_question(
                session=session, search=search, viewer=viewer, text=text, llm=llm
            )
        reply = reply_text(answer, llm=llm, viewer=viewer)
    out.print(reply, highlight=False, markup=False)


@app.command()
def console(
    as_email: Annotated[
        str | None, typer.Option("--as", help="Talk as this person (default: a staff member).")
    ] = None,
) -> None:
    """Talk to the bot in the terminal: the same answers as in Slack, no Slack needed."""
    from bot.console import run_console
    from bot.services.llm import LanguageModel

    with store() as engine:
        viewer = terminal_viewer(engine, as_email)
        llm = LanguageModel.from_settings(settings(), engine)
        with solver_search(engine) as search:
            run_console(engine=engine, search=search, viewer=viewer, read=input, out=out, llm=llm)


@app.command()
def serve() -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT."""
    from bot.serve import run

    run(settings())


def _mount_sub_commands() -> None:
    from bot import digest_cli, report_cli

    app.add_typer(digest_cli.digest_app, name="digest")
    app.command("report")(report_cli.report)


_mount_sub_commands()

bench_app = typer.Typer(
    help="Benchmarks: they print figures and are run on purpose, never as tests.",
    no_args_is_help=True,
)
app.add_typer(bench_app, name="bench")


def _model_dir_args() -> list[str]:
    model_dir = settings().embedding_model_dir
    return ["--model-dir", str(model_dir)] if model_dir else []


@bench_app.command("expertise")
def bench_expertise(
    dataset: Annotated[
        Path, typer.Option(help="The expertise dataset folder (archives/, submissions.json...).")
    ],
    out: Annotated[Path, typer.Option(help="Where to write {expertId: {paperId: score}}.")] = Path(
        "predictions.json"
    ),
    ablation: Annotated[
        bool, typer.Option(help="Print the ablation table instead (no predictions file).")
    ] = False,
) -> None:
    """Who-can-solve matching on real ground truth: loss, easy/hard accuracy, MRR, recall."""
    from bench import expertise

    if not (dataset / "evaluations.tsv").is_file():
        fail(f"{dataset} is not an expertise dataset folder (no evaluations.tsv)")
    args = [str(dataset), "--out", str(out), *_model_dir_args()]
    expertise.main([*args, "--ablation"] if ablation else args)


@bench_app.command("speed")
def bench_speed() -> None:
    """Indexing throughput against Chroma's stock embedder, query latency at 1k-100k, memory."""
    from bench import speed

    speed.main(_model_dir_args())


@bench_app.command("ack")
def bench_ack(
    requests: Annotated[int, typer.Option(min=1, help="Requests per request type.")] = 100,
) -> None:
    """Slack acknowledgement times of every request type, through a real HTTP port."""
    from bench import ack

    ack.main(["--requests", str(requests)])


@bench_app.command("digest")
def bench_digest(
    subscribers: Annotated[int, typer.Option(min=1, help="People plus channels.")] = 1000,
) -> None:
    """Send the digest to many subscribers through the Slack stand-in; time and pacing."""
    from bench import digest

    digest.main(["--subscribers", str(subscribers)])


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


def main() -> None:
    """Entry point: turns every known failure into one clear line and a non-zero exit."""
    try:
        logging.basicConfig(
            level=settings().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        # Alembic narrates every migration step at INFO; the CLI says what matters itself.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    except SettingsError as exc:
        err.print(f"[red]Error:[/red] {exc}", highlight=False)
        sys.exit(2)
    try:
        app()  # usage errors are Typer's to print; it exits with code 2
    except (CliError, SettingsError, StoreUnavailable, RecordFileError) as exc:
        err.print(f"[red]Error:[/red] {exc}", highlight=False)
        sys.exit(2)
    except SQLAlchemyError as exc:
        err.print(
            f"[red]Error:[/red] the store failed: {str(exc).splitlines()[0]}. "
            "Check DATABASE_URL and that the server is running.",
            highlight=False,
        )
        sys.exit(2)
    except Exception as exc:  # the last line of defence: a message, never a traceback
        log.debug("unexpected error", exc_info=True)
        err.print(
            f"[red]Error:[/red] unexpected {type(exc).__name__}: {exc} "
            "(run with LOG_LEVEL=DEBUG for details)",
            highlight=False,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
