"""The join modal submitted (a challenge with several teams): join the chosen team."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.blocks.team_roster import ROLE_FIELD, TEAM_FIELD, VALUE
from bot.deps import BotDeps
from bot.listeners.roster import publish_roster
from bot.services.identity import Viewer
from bot.services.teams.rosters import JoinOutcome, TeamError, join_team
from storage.db import session_scope


def _chosen(view: dict[str, Any], block_id: str) -> str:
    state = view.get("state", {}).get("values", {}).get(block_id, {}).get(VALUE, {})
    value = (state.get("selected_option") or {}).get("value", "")
    return value if isinstance(value, str) else ""


def make_team_join_submission(deps: BotDeps) -> Callable[..., None]:
    def team_join_submitted(
        ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        viewer: Viewer | None = context.get("viewer")
        try:
            where = json.loads(view.get("private_metadata") or "{}")
            challenge_id = int(where["challenge_id"])
        except (ValueError, KeyError, TypeError):
            ack(response_action="errors", errors={TEAM_FIELD: "This form is out of date."})
            return
        team = _chosen(view, TEAM_FIELD)
        if viewer is None or not team.isdigit():
            ack(response_action="errors", errors={TEAM_FIELD: "Choose a team."})
            return
        try:
            with session_scope(deps.engine) as session:
                result = join_team(
                    session=session,
                    viewer=viewer,
                    challenge_id=challenge_id,
                    team_id=int(team),
                    role=_chosen(view, ROLE_FIELD),
                )
        except TeamError as exc:
            ack(response_action="errors", errors={ROLE_FIELD: str(exc)})
            return
        if result.roster is None:
            problem = {
                JoinOutcome.CHOOSE_TEAM: "That team no longer takes organisations; choose another.",
                JoinOutcome.NO_ORGANISATION: "Your person record is not linked to an organisation.",
            }.get(result.outcome, "This challenge is no longer open to your organisation.")
            ack(response_action="errors", errors={TEAM_FIELD: problem})
            return
        ack()
        if result.outcome is JoinOutcome.JOINED:
            publish_roster(
                deps,
                client,
                result.roster.team_id,
                channel=where.get("channel"),
                thread_ts=where.get("thread_ts"),
            )

    return team_join_submitted
