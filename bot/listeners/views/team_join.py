"""The join modal submitted (a challenge with several teams): join the chosen team."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot import ids
from bot.blocks.team_roster import JOIN_UNKNOWN_PERSON, join_problem
from bot.listeners.roster import publish_roster
from bot.listeners.strangers import identified
from bot.services.identity import Viewer
from bot.services.teams.rosters import JoinOutcome, TeamError, join_team


def _chosen(view: dict[str, Any], block_id: str) -> str:
    state = view.get("state", {}).get("values", {}).get(block_id, {}).get(ids.JOIN_VALUE, {})
    value = (state.get("selected_option") or {}).get("value", "")
    return value if isinstance(value, str) else ""


@identified
def team_join_submitted(
    ack: Ack, view: dict[str, Any], client: WebClient, viewer: Viewer | None, engine: Engine
) -> None:
    try:
        where = json.loads(view.get("private_metadata") or "{}")
        challenge_id = int(where["challenge_id"])
    except (ValueError, KeyError, TypeError):
        ack(response_action="errors", errors={ids.JOIN_TEAM_FIELD: "This form is out of date."})
        return
    if viewer is None:
        ack(response_action="errors", errors={ids.JOIN_TEAM_FIELD: JOIN_UNKNOWN_PERSON})
        return
    team = _chosen(view, ids.JOIN_TEAM_FIELD)
    if not team.isdigit():
        ack(response_action="errors", errors={ids.JOIN_TEAM_FIELD: "Choose a team."})
        return
    try:
        result = join_team(
            engine=engine,
            viewer=viewer,
            challenge_id=challenge_id,
            team_id=int(team),
            role=_chosen(view, ids.JOIN_ROLE_FIELD),
        )
    except TeamError as exc:
        ack(response_action="errors", errors={ids.JOIN_ROLE_FIELD: str(exc)})
        return
    if result.roster is None:
        ack(response_action="errors", errors={ids.JOIN_TEAM_FIELD: join_problem(result.outcome)})
        return
    ack()
    if result.outcome is JoinOutcome.JOINED:
        publish_roster(
            engine,
            client,
            result.roster.team_id,
            channel=where.get("channel"),
            thread_ts=where.get("thread_ts"),
        )
