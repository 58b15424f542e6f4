"""`scic init|import|export|stats`: create the store and move the cluster's records in and out."""

from __future__ import annotations

import csv
import enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.cli.store import open_search, open_store
from bot.cli.terminal import err, fail, out, progress_bar
from bot.services import profiles, records
from storage.files import detect_format
from storage.importing import ImportReport

app = typer.Typer()


class RecordKind(enum.StrEnum):
    members = "members"
    people = "people"
    challenges = "challenges"


class ExportKind(enum.StrEnum):
    members = "members"
    people = "people"
    challenges = "challenges"
    profile_changes = "profile-changes"


class FileFormat(enum.StrEnum):
    csv = "csv"
    json = "json"


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
    with open_store(migrate=True) as engine:
        out.print(f"Store ready at {engine.url.render_as_string()}")
        if demo:
            for report in records.load_demo(engine=engine):
                print_report(report)
    if demo:
        index_changes()


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
    no_index: Annotated[
        bool,
        typer.Option(
            "--no-index",
            help="Leave the search index to `scic serve`'s background indexer or `scic reindex`.",
        ),
    ] = False,
) -> None:
    """Import members, people or challenges from CSV or JSON, upserting by natural key.

    Keys: members by slug, people by email, challenges by slug. A file with any bad row is
    rejected whole (each problem named by row, field and reason) unless --skip-invalid.
    Import members first, then people, then challenges: later kinds refer to earlier ones.
    What was imported is then indexed for search (unless --no-index).

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
    if not file.name:  # an empty argument: Path("") is the current folder
        fail(f"give the file to import, e.g. scic import {kind.value} {kind.value}.csv")
    fmt = detect_format(file, format.value if format else None)
    with open_store() as engine, progress_bar() as bar:
        task = bar.add_task(f"Importing {kind.value}", total=None)
        report = records.import_file(
            engine=engine,
            kind=kind.value,
            path=file,
            fmt=fmt,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            on_rows=lambda n: bar.update(task, total=n),
            on_progress=lambda done: bar.update(task, completed=done),
        )
    print_report(report)
    if fmt == "csv":
        _tell_about_formulas(file)
    if report.problems and not skip_invalid:
        err.print(
            f"Nothing was imported: fix the rows above, or use --skip-invalid to import the "
            f"{report.total - report.bad_rows} good rows."
        )
        raise typer.Exit(1)
    if dry_run:
        out.print("Dry run: nothing was written.")
    elif not no_index and (report.created or report.updated):
        index_changes()


def index_changes() -> None:
    """Index what the store queued for the search index, with a progress bar."""
    with (
        open_store() as engine,
        open_search(engine, catch_up=False) as search,
        progress_bar() as bar,
    ):
        task = bar.add_task("Indexing for search", total=None)
        done = search.index_all(
            on_progress=lambda n, total: bar.update(task, completed=n, total=total)
        )
    mode = "dense + lexical" if search.dense else "LEXICAL ONLY (no embedding model)"
    out.print(f"Search index up to date: {done} records indexed ({mode}).")


def _tell_about_formulas(file: Path) -> None:
    from storage.files import formula_cells

    try:
        count = formula_cells(file.read_text(encoding="utf-8-sig", errors="replace"))
    except (OSError, csv.Error):
        return
    if count:
        err.print(
            f"Note: {count} cell(s) begin with =, +, - or @. They are kept as text; "
            "`scic export` writes them with a leading ' so that spreadsheets do not run them "
            "as formulas."
        )


@app.command()
def export(
    kind: Annotated[
        ExportKind,
        typer.Argument(help="What to export; profile-changes: the profiles' audit trail."),
    ],
    file: Annotated[
        Path, typer.Argument(help="A .csv or .json file to write.", show_default=False)
    ],
    format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="Override the format told by the file name."),
    ] = None,
) -> None:
    """Export members, people or challenges in the format `scic import` reads, or the audit
    trail of members' profile edits (profile-changes: who, when, which fields, before, after)."""
    if not file.name:  # an empty argument: Path("") is the current folder
        fail(f"give the file to write, e.g. scic export {kind.value} {kind.value}.csv")
    fmt = detect_format(file, format.value if format else None)
    if kind is ExportKind.profile_changes:
        with open_store() as engine:
            count = profiles.export_profile_changes(engine=engine, path=file, fmt=fmt)
        out.print(f"Wrote {count} profile changes to {file}")
        return
    with open_store() as engine:
        count = records.export_file(engine=engine, kind=kind.value, path=file, fmt=fmt)  # type: ignore[arg-type]
    out.print(f"Wrote {count} {kind.value} to {file}")


@app.command()
def stats() -> None:
    """Count the records in each table of the store."""
    with open_store() as engine:
        counts = records.store_stats(engine=engine)
    table = Table("table", "rows", title=f"Store: {engine.url.render_as_string()}")
    for name, count in counts.items():
        table.add_row(name, str(count))
    out.print(table)
