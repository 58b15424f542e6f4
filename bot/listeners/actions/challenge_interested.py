"""*I'm interested* on a challenge card: the person's organisation goes on the list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.blocks.challenge_card import build_interest_note
from bot.blocks.common import escape
from bot.blocks.messages import build_notice, build_unknown_person
from bot.deps import BotDeps
from bot.services.challenges import InterestOutcome, express_interest
from bot.services.identity import Viewer
from storage.db import session_scope


def make_interested_action(deps: BotDeps) -> Callable[..., None]:
    def interested(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        user_id = body["user"]["id"]
        channel = body["channel"]["id"]
        viewer: Viewer | None = context.get("viewer")
        if viewer is None:
            note = build_unknown_person(staff_channel=deps.settings.staff_channel)
            client.chat_postEphemeral(channel=channel, user=user_id, **note)
            return
        with session_scope(deps.engine) as session:
            result = express_interest(
                session=session, viewer=viewer, challenge_id=int(action["value"])
            )
        challenge = result.challenge
        if result.outcome is InterestOutcome.RECORDED and challenge is not None:
            client.chat_postMessage(
                channel=challenge.channel_id or channel,
                thread_ts=challenge.thread_ts or body["message"]["ts"],
                **build_interest_note(slack_user_id=user_id, organisation=viewer.member_name),
            )
            return
        title = escape(challenge.title) if challenge else ""
        text = {
            InterestOutcome.ALREADY: f"*{escape(viewer.member_name)}* is already on the list for "
            f"*{title}*.",
            InterestOutcome.NO_ORGANISATION: "Your person record is not linked to a member "
            "organisation, so I cannot put one on the list; ask the SCIC staff to link it.",
            InterestOutcome.NOT_FOUND: "This challenge is no longer open to you.",
        }.get(result.outcome, "")
        client.chat_postEphemeral(channel=channel, user=user_id, **build_notice(text))

    return interested
