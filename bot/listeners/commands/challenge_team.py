"""`/challenge team-status` and `/challenge team new`: staff move a team or open another one."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.blocks.messages import build_not_staff, build_notice
from bot.blocks.team_roster import build_status_posted, build_team_created
from bot.deps import BotDeps
from bot.listeners.actions.team_status import announce_status_change
from bot.listeners.commands.parsing import ChallengeRequest
from bot.services.identity import Viewer
from bot.services.teams import rosters
from storage.db import session_scope


def answer_team_request(
    deps: BotDeps, client: WebClient, viewer: Viewer, request: ChallengeRequest
) -> dict[str, Any]:
    """Do the team request; the answer for the person who typed it."""
    try:
        with session_scope(deps.engine) as session:
            if request.action == "team_new":
                created = rosters.create_extra_team(
                    session=session, viewer=viewer, challenge_key=request.key, name=request.team
                )
            else:
                change = rosters.change_team_status_by_key(
                    session=session,
                    viewer=viewer,
                    challenge_key=request.key,
                    status=request.status,
                    team=request.team,
                )
    except rosters.TeamNotStaff:
        return build_not_staff(what="change teams")
    except rosters.TeamError as exc:
        return build_notice(str(exc))
    if request.action == "team_new":
        return build_team_created(created)
    announce_status_change(deps, client, change, slack_user_id=viewer.slack_user_id)
    return build_status_posted(change, slack_user_id=viewer.slack_user_id)
