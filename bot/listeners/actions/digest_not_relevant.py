"""*Not relevant* on a digest item: the challenge leaves the organisation's digests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.common import escape
from bot.blocks.digest import build_feedback_notice
from bot.deps import BotDeps
from bot.listeners.strangers import ephemeral_reply, people_only
from bot.services.digests.feedback import FeedbackOutcome, mark_not_relevant
from bot.services.identity import Viewer
from storage.db import session_scope


def make_digest_not_relevant_action(deps: BotDeps) -> Callable[..., None]:
    @people_only(deps, ephemeral_reply)
    def digest_not_relevant(
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
            result = mark_not_relevant(
                session=session, viewer=viewer, challenge_id=int(action["value"])
            )
        title = escape(result.challenge.title) if result.challenge else ""
        organisation = escape(viewer.member_name)
        text = {
            FeedbackOutcome.RECORDED: f"Noted: *{title}* will not be in *{organisation}*'s "
            "digests again.",
            FeedbackOutcome.ALREADY: f"*{organisation}* had already said *{title}* is not "
            "relevant.",
            FeedbackOutcome.NO_ORGANISATION: "Your person record is not linked to a member "
            "organisation, so I cannot tell whose digests to change; ask the SCIC staff "
            "to link it.",
            FeedbackOutcome.NOT_FOUND: "This challenge is no longer open to you.",
        }[result.outcome]
        client.chat_postEphemeral(channel=channel, user=user_id, **build_feedback_notice(text))

    return digest_not_relevant
