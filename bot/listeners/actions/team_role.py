"""The role menu on a roster (or on the note after joining): the organisation's role changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.messages import build_notice
from bot.blocks.team_roster import NO_ROLE, parse_option_value
from bot.deps import BotDeps
from bot.listeners.roster import publish_roster
from bot.listeners.strangers import ephemeral_reply, people_only
from bot.services.identity import Viewer
from bot.services.teams.rosters import TeamError, change_role
from storage.db import session_scope


def make_team_role_action(deps: BotDeps) -> Callable[..., None]:
    @people_only(deps, ephemeral_reply)
    def team_role_chosen(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        viewer: Viewer,
    ) -> None:
        ack()
        user_id, channel = body["user"]["id"], body["channel"]["id"]
        chosen = parse_option_value((action.get("selected_option") or {}).get("value", ""))
        if chosen is None:
            return  # only a forged payload carries another value
        team_id, role = chosen
        try:
            with session_scope(deps.engine) as session:
                change_role(
                    session=session,
                    viewer=viewer,
                    team_id=team_id,
                    role="" if role == NO_ROLE else role,
                )
        except TeamError as exc:
            client.chat_postEphemeral(channel=channel, user=user_id, **build_notice(str(exc)))
            return
        publish_roster(deps, client, team_id)

    return team_role_chosen
