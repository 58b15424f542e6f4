"""`scic reindex|match|ask|console`: the search index, and the bot's answers in the terminal."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import Engine

from bot.cli.store import open_search, open_store, settings
from bot.cli.terminal import err, fail, no_such_person, out, progress_bar, say_error
from storage import clock

if TYPE_CHECKING:
    from bot.services.identity import Viewer
    from bot.services.matching import SolverMatch, SolverSearch, TeamSuggestion

app = typer.Typer()


@app.command()
def reindex(
    check: Annotated[
        bool, typer.Option(help="Only report drift between store and index; exit 1 if any.")
    ] = False,
) -> None:
    """Rebuild the search index from the store, or check that it agrees with the store.

    An embedded index that cannot be read (deleted or corrupted files) is moved aside and
    rebuilt; with --check it is reported (exit 1)."""
    from retrieval.sync import check_drift, rebuild_index

    with open_store() as engine:
        try:
            search = _open_index(engine)
        except Exception as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if check or settings().chroma_url:
                # Exit 1, as for drift: the index is what is wrong, not the command.
                say_error(f"the search index cannot be read ({reason}); `scic reindex` rebuilds it")
                raise typer.Exit(1) from None
            moved = set_aside_index(settings().chroma_path)
            out.print(f"The index could not be read ({reason}); moved it to {moved}.")
            search = _open_index(engine)
        if check:
            drift = check_drift(engine=engine, indexes=search.indexes)
            for label, ids in (
                ("missing from the index", drift.missing),
                ("stale in the index", drift.stale),
                ("in the index but not in the store", drift.ghosts),
                ("without their rendering in the other language", drift.unrendered),
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


def _open_index(engine: Engine) -> SolverSearch:
    with open_search(engine) as search:
        # Read both collections now: a corrupt file opens fine and fails on the first read.
        search.indexes.members.count()
        search.indexes.challenges.count()
        return search


def set_aside_index(folder: Path) -> Path:
    """Move an unreadable embedded index out of the way (kept for inspection, not deleted)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    aside = folder.with_name(f"{folder.name}.unreadable-{clock.now():%Y%m%d-%H%M%S}")
    if folder.exists():
        folder.rename(aside)
    # Chroma keeps one client per folder in the process; the next open must start afresh.
    SharedSystemClient.clear_system_cache()
    return aside


# Members named under each need of a brief.
NAMED_PER_NEED = 3


@app.command("match")
def match_(
    text: Annotated[str, typer.Argument(help="The problem, in a few words or a paragraph.")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many members.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Rank the member organisations best placed to solve TEXT, with the evidence.

    A pasted brief stating several needs also gets which member covers which need: in the
    table, one row per need; with --json, each member's "covers" (the needs it covers, with
    the passage that matched each), members covering a need below the ranking appended, and
    the needs nobody covers said on stderr."""
    from bot.services.matching import cover_brief, rank_solvers

    if not text.strip():
        fail('give the problem to match, e.g. scic match "snow load on school roofs"')
    with open_store() as engine, open_search(engine) as search:
        matches = rank_solvers(
            engine=engine,
            search=search,
            text=text,
            k=k,
            operator_slug=settings().operator_member,
        )
        cover = cover_brief(
            engine=engine, search=search, text=text, operator_slug=settings().operator_member
        )
    if as_json:
        print(json.dumps(_match_rows(matches, cover), ensure_ascii=False, indent=2))
        nobody = [n for n in cover.needs if not cover.by_need[n]] if cover else []
        if nobody:
            err.print("Needs no member covers yet: " + "; ".join(nobody), markup=False)
        return
    if not matches and cover is None:
        out.print("No member matches that yet. Try other words, or ask the staff.")
        return
    title = f"Who can solve: {text}" if cover is None else "Who can solve the whole brief"
    table = Table("#", "member", "score", "why", "contact", title=title)
    for rank, m in enumerate(matches, start=1):
        contact = m.contacts[0] if m.contacts else None
        table.add_row(
            str(rank),
            f"{m.member_name}\n[dim]{m.city}, {m.country}[/dim]",
            f"{m.score:.3f}",
            m.reason,
            f"{contact.name}\n[dim]{contact.email}[/dim]" if contact else "",
        )
    if matches:
        out.print(table)
    if cover is not None:
        out.print(_cover_table(cover))


def _match_rows(matches: list[SolverMatch], cover: TeamSuggestion | None) -> list[dict[str, Any]]:
    """`scic match --json`: the ranked members; for a brief, each with the needs it covers and
    the passage that matched each, and the members covering a need the ranking did not list
    after them."""
    if cover is None:
        return [asdict(m) for m in matches]
    found = {m.member_slug: m for need in cover.needs for m in cover.by_need[need]}
    listed = [m.member_slug for m in matches]
    rows = []
    for slug in dict.fromkeys([*listed, *found]):
        member = next((m for m in matches if m.member_slug == slug), None) or found[slug]
        covers = [
            {
                "need": need,
                "evidence": [asdict(e) for e in m.evidence[:1]],
            }
            for need in cover.needs
            for m in cover.by_need[need]
            if m.member_slug == slug
        ]
        rows.append({**asdict(member), "covers": covers})
    return rows


def _cover_table(cover: TeamSuggestion) -> Table:
    table = Table("need", "covered by", title="Who covers which need")
    for need in cover.needs:
        who = [
            m.member_name + (f"\n[dim]{m.reason}[/dim]" if i == 0 else "")
            for i, m in enumerate(cover.by_need[need][:NAMED_PER_NEED])
        ]
        table.add_row(need, "\n".join(who) or "[yellow]not covered yet[/yellow]")
    return table


def terminal_viewer(engine: Engine, as_email: str | None) -> Viewer:
    """Who the terminal speaks as: ``--as EMAIL``, or the first staff member."""
    from bot.cli.conversation import console_viewer

    if as_email is not None and not as_email.strip():
        fail("--as needs an email, e.g. --as mikko.laine@espoo.example")
    viewer = console_viewer(engine, as_email)
    if viewer is None and as_email:
        no_such_person(as_email)
    if viewer is None:
        fail("no person with staff rights in the store; `scic import people` adds them")
    return viewer


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="A question, as you would ask the bot in Slack.")],
    as_email: Annotated[
        str | None, typer.Option("--as", help="Ask as this person (default: a staff member).")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print what was understood and shown: intent, language, members and "
            "challenges listed (in order), and the text.",
        ),
    ] = False,
) -> None:
    """Ask the bot one question and print its answer (written by the model when one is set)."""
    from bot.blocks.answer_layout import reply_text
    from bot.cli.conversation import ask_once
    from bot.services.llm import LanguageModel
    from bot.services.questions.asking import reply_json

    if not text.strip():
        fail('give a question, e.g. scic ask "who can solve snow load on school roofs?"')
    config = settings()
    with open_store(config) as engine:
        viewer = terminal_viewer(engine, as_email)
        llm = LanguageModel.from_settings(config, engine)
        with open_search(engine, config) as search:
            reply = ask_once(
                engine=engine,
                search=search,
                viewer=viewer,
                text=text,
                llm=llm,
                operator_slug=config.operator_member,
            )
    shown = reply_text(reply)
    if as_json:
        print(json.dumps(reply_json(reply, shown), ensure_ascii=False, indent=2))
    else:
        out.print(shown, highlight=False, markup=False)


@app.command()
def console(
    as_email: Annotated[
        str | None, typer.Option("--as", help="Talk as this person (default: a staff member).")
    ] = None,
) -> None:
    """Talk to the bot in the terminal: the same answers as in Slack, no Slack needed."""
    from bot.cli.conversation import run_console, terminal_reader
    from bot.services.llm import LanguageModel

    config = settings()
    with open_store(config) as engine:
        viewer = terminal_viewer(engine, as_email)
        llm = LanguageModel.from_settings(config, engine)
        with open_search(engine, config) as search:
            run_console(
                engine=engine,
                search=search,
                viewer=viewer,
                read=terminal_reader(),
                out=out,
                llm=llm,
                operator_slug=config.operator_member,
            )
