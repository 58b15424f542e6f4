"""*Not relevant* on a digest item: the challenge leaves the organisation's digests."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.digest import build_not_relevant_noted
from bot.listeners.replies import reply_privately
from bot.listeners.strangers import ephemeral_reply, people_only
from bot.services.digests.feedback import mark_not_relevant
from bot.services.identity import Viewer


@people_only(ephemeral_reply)
def not_relevant(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    viewer: Viewer,
    engine: Engine,
) -> None:
    ack()
    result = mark_not_relevant(engine=engine, viewer=viewer, challenge_id=int(action["value"]))
    reply_privately(client, body, build_not_relevant_noted(result, organisation=viewer.member_name))
