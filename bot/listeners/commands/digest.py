"""`/digest [weekly|daily|off]`: show or change how often the person gets the digest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.blocks.messages import DIGEST_USAGE, build_notice, build_unknown_person, build_usage
from bot.deps import BotDeps
from bot.services.digest_settings import UnknownFrequency, change_digest_frequency
from bot.services.identity import Viewer
from storage.db import session_scope


def make_digest_command(deps: BotDeps) -> Callable[..., None]:
    def digest_command(
        ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext
    ) -> None:
        ack()
        viewer: Viewer | None = context.get("viewer")
        text = command.get("text", "").strip()
        if viewer is None:
            respond(**build_unknown_person(staff_channel=deps.settings.staff_channel))
        elif not text:
            respond(**build_notice(f"You get the digest: *{viewer.digest_frequency.value}*."))
        elif text.lower() == "help":
            respond(**build_usage(DIGEST_USAGE))
        else:
            try:
                with session_scope(deps.engine) as session:
                    chosen = change_digest_frequency(session=session, viewer=viewer, text=text)
            except UnknownFrequency as exc:
                respond(**build_usage(DIGEST_USAGE, problem=str(exc)))
            else:
                respond(**build_notice(f"Done: you now get the digest *{chosen.value}*."))

    return digest_command
