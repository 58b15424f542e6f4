"""`/challenge team-status` and `/challenge team new`: staff move a team or open another one."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.messages import build_not_staff, build_notice
from bot.blocks.team_roster import build_status_posted, build_team_created
from bot.listeners.commands.parsing import ChallengeRequest
from bot.listeners.roster import announce_status_change
from bot.services.identity import Viewer
from bot.services.teams import rosters


def answer_team_request(
    request: ChallengeRequest, *, viewer: Viewer, client: WebClient, engine: Engine
) -> dict[str, Any]:
    """Do the team request; the answer for the person who typed it."""
    try:
        if request.action == "team_new":
            created = rosters.create_extra_team(
                engine=engine, viewer=viewer, challenge_key=request.key, name=request.team
            )
            return build_team_created(created)
        change = rosters.change_team_status_by_key(
            engine=engine,
            viewer=viewer,
            challenge_key=request.key,
            status=request.status,
            team=request.team,
        )
    except rosters.TeamNotStaff:
        return build_not_staff(what="change teams")
    except rosters.TeamError as exc:
        return build_notice(str(exc))
    announce_status_change(engine, client, change, slack_user_id=viewer.slack_user_id)
    return build_status_posted(change, slack_user_id=viewer.slack_user_id)
