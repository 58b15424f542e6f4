"""`/solvers <problem>`: the ranking shown only to the asker (the answer flow plugs in here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.blocks.messages import build_questions_not_ready, build_unknown_person, build_usage
from bot.deps import BotDeps

SOLVERS_USAGE = "*`/solvers <problem>`* — who in the cluster could solve it, shown only to you."


def make_solvers_command(deps: BotDeps) -> Callable[..., None]:
    def solvers_command(
        ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext
    ) -> None:
        ack()
        staff_channel = deps.settings.staff_channel
        if context.get("viewer") is None:
            respond(**build_unknown_person(staff_channel=staff_channel))
        elif not command.get("text", "").strip():
            respond(**build_usage(SOLVERS_USAGE, problem="Describe the problem after `/solvers`."))
        else:
            respond(**build_questions_not_ready(staff_channel=staff_channel))

    return solvers_command
