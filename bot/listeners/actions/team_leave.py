"""*Leave* on a roster: the person's organisation leaves the team and the roster says so."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.messages import build_notice
from bot.blocks.team_roster import build_team_left
from bot.listeners.replies import reply_privately
from bot.listeners.roster import publish_roster
from bot.listeners.strangers import ephemeral_reply, people_only
from bot.services.identity import Viewer
from bot.services.teams.rosters import TeamError, leave_team


@people_only(ephemeral_reply)
def team_left(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    viewer: Viewer,
    engine: Engine,
) -> None:
    ack()
    value = str(action.get("value", ""))
    if not value.isdigit():
        return  # only a forged payload carries another value
    try:
        shown = leave_team(engine=engine, viewer=viewer, team_id=int(value))
    except TeamError as exc:
        reply_privately(client, body, build_notice(str(exc)))
        return
    publish_roster(engine, client, shown.team_id)
    reply_privately(
        client, body, build_team_left(organisation=viewer.member_name, team_label=shown.label)
    )
