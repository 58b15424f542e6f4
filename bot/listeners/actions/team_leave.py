"""*Leave* on a roster: the person's organisation leaves the team and the roster says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.common import escape
from bot.blocks.messages import build_notice
from bot.deps import BotDeps
from bot.listeners.roster import publish_roster
from bot.listeners.strangers import ephemeral_reply, people_only
from bot.services.identity import Viewer
from bot.services.teams.rosters import TeamError, leave_team
from storage.db import session_scope


def make_team_leave_action(deps: BotDeps) -> Callable[..., None]:
    @people_only(deps, ephemeral_reply)
    def team_left(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        viewer: Viewer,
    ) -> None:
        ack()
        user_id, channel = body["user"]["id"], body["channel"]["id"]
        value = str(action.get("value", ""))
        if not value.isdigit():
            return  # only a forged payload carries another value
        try:
            with session_scope(deps.engine) as session:
                shown = leave_team(session=session, viewer=viewer, team_id=int(value))
        except TeamError as exc:
            client.chat_postEphemeral(channel=channel, user=user_id, **build_notice(str(exc)))
            return
        publish_roster(deps, client, shown.team_id)
        text = f"*{escape(viewer.member_name)}* has left *{escape(shown.label)}*."
        client.chat_postEphemeral(channel=channel, user=user_id, **build_notice(text))

    return team_left
