"""`/solvers <problem>`: the ranking, shown only to the asker, with *Share in channel*."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from sqlalchemy import Engine

from bot.blocks.answers import build_answer
from bot.blocks.messages import build_usage
from bot.listeners.strangers import people_only, respond_reply
from bot.services.identity import Viewer
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch
from bot.services.questions.asking import reply_to
from bot.settings import Settings

SOLVERS_USAGE = "*`/solvers <problem>`* — who in the cluster could solve it, shown only to you."


def solvers_reply(
    problem: str,
    *,
    viewer: Viewer,
    share: bool,
    shared: bool = False,
    settings: Settings,
    engine: Engine,
    llm: LanguageModel | None,
    open_search: Callable[[], SolverSearch],
) -> dict[str, Any]:
    """The ranking for ``problem``; with ``share``, a button to post it in the channel;
    ``shared``: it is posted there, so it holds only what every member may see."""
    # The model translates a Finnish problem for the search; it writes nothing here.
    reply = reply_to(
        engine=engine,
        search=open_search(),
        viewer=viewer,
        text=problem,
        llm=llm,
        operator_slug=settings.operator_member,
        need_only=True,
        write=False,
        shared=shared,
    )
    return build_answer(
        reply.answer,
        staff_channel=settings.staff_channel,
        with_actions=not share,
        share_value=problem if share else None,
    )


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
