"""*Interested* on a digest item: the organisation is put on the challenge's interest list,
and the challenge's card thread (where the team forms) is told."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.challenge_card import build_interest_note
from bot.blocks.digest import build_interest_noted
from bot.listeners.replies import reply_privately
from bot.listeners.strangers import ephemeral_reply, people_only
from bot.services.challenges import InterestOutcome, express_interest
from bot.services.identity import Viewer


@people_only(ephemeral_reply)
def interest_from_digest(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    viewer: Viewer,
    engine: Engine,
) -> None:
    ack()
    result = express_interest(engine=engine, viewer=viewer, challenge_id=int(action["value"]))
    challenge = result.challenge
    told = None
    recorded = result.outcome is InterestOutcome.RECORDED
    if recorded and challenge and challenge.channel_id and challenge.thread_ts:
        # The team forms in the card's thread; tell it, as the card's button does.
        client.chat_postMessage(
            channel=challenge.channel_id,
            thread_ts=challenge.thread_ts,
            **build_interest_note(
                slack_user_id=body["user"]["id"], organisation=viewer.member_name
            ),
        )
        told = challenge.channel_id
    reply_privately(
        client,
        body,
        build_interest_noted(result, organisation=viewer.member_name, team_channel=told),
    )
