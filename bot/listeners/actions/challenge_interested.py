"""*I'm interested* on a challenge card: the person's organisation joins the challenge's team.

With one team the organisation joins at once and the person gets a role menu; with several
competing teams a modal asks which one (and the role). Either way the roster in the card's
thread is posted once, then updated in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.common import escape
from bot.blocks.messages import build_notice
from bot.blocks.team_roster import build_join_modal, build_joined_note
from bot.deps import BotDeps
from bot.listeners.roster import publish_roster
from bot.listeners.strangers import ephemeral_reply, people_only
from bot.services.identity import Viewer
from bot.services.teams.rosters import JoinOutcome, join_team
from storage.db import session_scope

REFUSALS = {
    JoinOutcome.NO_ORGANISATION: "Your person record is not linked to a member organisation, so "
    "I cannot put one on the team; ask the SCIC staff to link it.",
    JoinOutcome.NOT_FOUND: "This challenge is not open to your organisation, so I cannot put it "
    "on the team. Ask the SCIC staff if you think it should be.",
}


def make_interested_action(deps: BotDeps) -> Callable[..., None]:
    @people_only(deps, ephemeral_reply)
    def interested(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        viewer: Viewer,
    ) -> None:
        ack()
        user_id = body["user"]["id"]
        channel = body["channel"]["id"]
        card_ts = (body.get("message") or {}).get("ts")
        with session_scope(deps.engine) as session:
            result = join_team(session=session, viewer=viewer, challenge_id=int(action["value"]))
        if result.outcome is JoinOutcome.CHOOSE_TEAM and result.challenge is not None:
            where = {"challenge_id": result.challenge.id, "channel": channel, "thread_ts": card_ts}
            client.views_open(
                trigger_id=body["trigger_id"],
                view=build_join_modal(
                    challenge_title=result.challenge.title,
                    choices=result.choices,
                    private_metadata=where,
                ),
            )
            return
        if result.roster is not None:
            if result.outcome is JoinOutcome.JOINED:
                publish_roster(
                    deps, client, result.roster.team_id, channel=channel, thread_ts=card_ts
                )
            already = result.outcome is JoinOutcome.ALREADY
            note = build_joined_note(
                result.roster, organisation=viewer.member_name, already=already
            )
            client.chat_postEphemeral(channel=channel, user=user_id, **note)
            return
        title = escape(result.challenge.title) if result.challenge else "this challenge"
        text = REFUSALS.get(
            result.outcome, f"*{title}* is no longer taking organisations into its teams."
        )
        client.chat_postEphemeral(channel=channel, user=user_id, **build_notice(text))

    return interested
