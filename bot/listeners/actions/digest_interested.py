"""*Interested* on a digest item: the person's organisation goes on the challenge's list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.challenge_card import build_interest_note
from bot.blocks.common import escape
from bot.blocks.digest import build_feedback_notice
from bot.deps import BotDeps
from bot.listeners.strangers import ephemeral_reply, people_only
from bot.services.challenges import InterestOutcome, express_interest
from bot.services.identity import Viewer
from storage.db import session_scope


def make_digest_interested_action(deps: BotDeps) -> Callable[..., None]:
    @people_only(deps, ephemeral_reply)
    def digest_interested(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        viewer: Viewer,
    ) -> None:
        ack()
        user_id = body["user"]["id"]
        channel = body["channel"]["id"]
        with session_scope(deps.engine) as session:
            result = express_interest(
                session=session, viewer=viewer, challenge_id=int(action["value"])
            )
        challenge = result.challenge
        title = escape(challenge.title) if challenge else ""
        organisation = escape(viewer.member_name)
        if result.outcome is InterestOutcome.RECORDED and challenge is not None:
            where = ""
            if challenge.channel_id and challenge.thread_ts:
                # The team forms in the card's thread; tell it, as the card's button does.
                client.chat_postMessage(
                    channel=challenge.channel_id,
                    thread_ts=challenge.thread_ts,
                    **build_interest_note(slack_user_id=user_id, organisation=viewer.member_name),
                )
                where = f" The team forms in the challenge's thread in <#{challenge.channel_id}>."
            text = f"Noted: *{organisation}* is on the list for *{title}*.{where}"
        else:
            text = {
                InterestOutcome.ALREADY: f"*{organisation}* is already on the list for *{title}*.",
                InterestOutcome.NO_ORGANISATION: "Your person record is not linked to a member "
                "organisation, so I cannot put one on the list; ask the SCIC staff to link it.",
                InterestOutcome.NOT_FOUND: "This challenge is no longer open to you.",
            }.get(result.outcome, "")
        client.chat_postEphemeral(channel=channel, user=user_id, **build_feedback_notice(text))

    return digest_interested
