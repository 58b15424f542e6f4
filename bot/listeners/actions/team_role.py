"""The role menu on a roster (or on the note after joining): the organisation's role changes."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.messages import build_notice
from bot.blocks.team_roster import NO_ROLE, parse_option_value
from bot.listeners.replies import reply_privately
from bot.listeners.roster import publish_roster
from bot.listeners.strangers import ephemeral_reply, people_only
from bot.services.identity import Viewer
from bot.services.teams.rosters import TeamError, change_role


@people_only(ephemeral_reply)
def team_role_chosen(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    viewer: Viewer,
    engine: Engine,
) -> None:
    ack()
    chosen = parse_option_value((action.get("selected_option") or {}).get("value", ""))
    if chosen is None:
        return  # only a forged payload carries another value
    team_id, role = chosen
    try:
        change_role(
            engine=engine, viewer=viewer, team_id=team_id, role="" if role == NO_ROLE else role
        )
    except TeamError as exc:
        reply_privately(client, body, build_notice(str(exc)))
        return
    publish_roster(engine, client, team_id)
