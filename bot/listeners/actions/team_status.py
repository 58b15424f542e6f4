"""The team status menu of the staff view (`/challenge show`, seen only by the staff member):
the change is stored, posted in the thread, and the roster updated."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.messages import build_not_staff, build_notice
from bot.blocks.team_roster import parse_option_value
from bot.listeners.replies import reply_privately
from bot.listeners.roster import announce_status_change
from bot.listeners.strangers import ephemeral_reply, people_only
from bot.services.identity import Viewer
from bot.services.teams.rosters import TeamError, TeamNotStaff, change_team_status


@people_only(ephemeral_reply)
def team_status_chosen(
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
    try:
        change = change_team_status(
            engine=engine, viewer=viewer, team_id=chosen[0], status=chosen[1]
        )
    except TeamNotStaff:
        reply_privately(client, body, build_not_staff(what="change a team's status"))
        return
    except TeamError as exc:
        reply_privately(client, body, build_notice(str(exc)))
        return
    announce_status_change(engine, client, change, slack_user_id=body["user"]["id"])
