"""The bot's conversations in a terminal (`scic ask`, `scic console`): the question service
exactly as Slack calls it, shown as text.

A console session is one thread, remembered in the question log like a Slack thread (`/new`
starts another); a pasted multi-line text is one message (the terminal's bracketed paste,
through prompt_toolkit).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable

from rich.console import Console
from sqlalchemy import Engine

from bot.blocks.answer_layout import reply_text
from bot.services.identity import Viewer, person_at_the_terminal
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch
from bot.services.questions.asking import Reply, Thread, reply_to

CONSOLE_CHANNEL = "console"
NEW_THREAD = "/new"


def console_viewer(engine: Engine, email: str | None) -> Viewer | None:
    """Who the terminal speaks as: the person with ``email``, or the first staff member."""
    return person_at_the_terminal(engine=engine, email=email)


def new_thread() -> Thread:
    return Thread(CONSOLE_CHANNEL, uuid.uuid4().hex)


def ask_once(
    *,
    engine: Engine,
    search: SolverSearch,
    viewer: Viewer,
    text: str,
    llm: LanguageModel | None,
    operator_slug: str,
) -> Reply:
    """One question in a thread of its own (`scic ask`)."""
    return reply_to(
        engine=engine,
        search=search,
        viewer=viewer,
        text=text,
        thread=new_thread(),
        llm=llm,
        operator_slug=operator_slug,
    )


def terminal_reader() -> Callable[[str], str]:
    """How the console reads a message: prompt_toolkit on a terminal (a paste of several lines
    stays one message), plain lines from a pipe."""
    if not sys.stdin.isatty():
        return input
    from prompt_toolkit import PromptSession

    session: PromptSession[str] = PromptSession()
    return session.prompt


def run_console(
    *,
    engine: Engine,
    search: SolverSearch,
    viewer: Viewer,
    read: Callable[[str], str],
    out: Console,
    llm: LanguageModel | None = None,
    operator_slug: str = "scic",
) -> None:
    """Ask and answer until the person types `quit` or ends the input."""
    out.print(
        f"Talking as {viewer.name} ({viewer.email}). Type a question, `{NEW_THREAD}` for a new "
        "thread, or `quit`."
    )
    thread = new_thread()
    while True:
        try:
            text = read("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            out.print()
            return
        if text.lower() in ("quit", "exit", "q"):
            return
        if text.lower() == NEW_THREAD:
            thread = new_thread()
            out.print("(a new thread: earlier questions are forgotten)")
            continue
        if not text:
            continue
        reply = reply_to(
            engine=engine,
            search=search,
            viewer=viewer,
            text=text,
            thread=thread,
            llm=llm,
            operator_slug=operator_slug,
        )
        out.print(reply_text(reply), highlight=False, markup=False)
