"""`/solvers <problem>`: the ranking, shown only to the asker, with *Share in channel*."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from sqlalchemy import Engine

from bot.blocks.answers import build_no_answer, build_solvers
from bot.blocks.messages import build_usage
from bot.listeners.strangers import people_only, respond_reply
from bot.services import answers
from bot.services.identity import Viewer
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch
from bot.settings import Settings
from storage.db import session_scope

SOLVERS_USAGE = "*`/solvers <problem>`* — who in the cluster could solve it, shown only to you."


def solvers_reply(
    problem: str,
    *,
    viewer: Viewer,
    share: bool,
    settings: Settings,
    engine: Engine,
    llm: LanguageModel | None,
    open_search: Callable[[], SolverSearch],
) -> dict[str, Any]:
    """The ranking for ``problem``; with ``share``, a button to post it in the channel."""
    question = f"who can solve {problem}"
    search = open_search()
    # The model translates a Finnish problem before the session opens, not inside it.
    searched = answers.search_for_question(
        question, earlier=(), llm=llm, viewer=viewer, english_only=search.english_only
    )
    with session_scope(engine) as session:
        answer = answers.answer_question(
            session=session, search=search, viewer=viewer, text=question, searched=searched
        )
    if not answer.solvers:
        return build_no_answer(problem, staff_channel=settings.staff_channel)
    return build_solvers(answer, with_actions=not share, share_value=problem if share else None)


@people_only(respond_reply)
def solvers_command(
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    viewer: Viewer,
    settings: Settings,
    engine: Engine,
    llm: LanguageModel | None,
    open_search: Callable[[], SolverSearch],
) -> None:
    ack()
    problem = command.get("text", "").strip()
    if not problem:
        respond(**build_usage(SOLVERS_USAGE, problem="Describe the problem after `/solvers`."))
        return
    reply = solvers_reply(
        problem,
        viewer=viewer,
        share=True,
        settings=settings,
        engine=engine,
        llm=llm,
        open_search=open_search,
    )
    respond(response_type="ephemeral", **reply)
