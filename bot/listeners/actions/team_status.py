"""The staff-only status menu on a roster: the change is stored, posted in the thread, shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.messages import build_not_staff, build_notice
from bot.blocks.team_roster import build_status_posted, parse_option_value
from bot.deps import BotDeps
from bot.listeners.roster import publish_roster
from bot.listeners.strangers import ephemeral_reply, people_only
from bot.services.identity import Viewer
from bot.services.teams.rosters import StatusChange, TeamError, TeamNotStaff, change_team_status
from storage.db import session_scope


def announce_status_change(
    deps: BotDeps, client: WebClient, change: StatusChange, *, slack_user_id: str
) -> None:
    """Shared with `/challenge team-status`: a line in the thread, then the roster updated."""
    if change.channel_id and change.thread_ts:
        client.chat_postMessage(
            channel=change.channel_id,
            thread_ts=change.thread_ts,
            **build_status_posted(change, slack_user_id=slack_user_id),
        )
    publish_roster(deps, client, change.roster.team_id)


def make_team_status_action(deps: BotDeps) -> Callable[..., None]:
    @people_only(deps, ephemeral_reply)
    def team_status_chosen(
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
        try:
            with session_scope(deps.engine) as session:
                change = change_team_status(
                    session=session, viewer=viewer, team_id=chosen[0], status=chosen[1]
                )
        except TeamNotStaff:
            note = build_not_staff(what="change a team's status")
            client.chat_postEphemeral(channel=channel, user=user_id, **note)
            return
        except TeamError as exc:
            client.chat_postEphemeral(channel=channel, user=user_id, **build_notice(str(exc)))
            return
        announce_status_change(deps, client, change, slack_user_id=user_id)

    return team_status_chosen
