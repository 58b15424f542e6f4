"""*I'm interested* on a challenge card: the person's organisation joins the challenge's team.

With one team the organisation joins at once and the person gets a role menu; with several
competing teams a modal asks which one (and the role). Either way the roster in the card's
thread is posted once, then updated in place.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.team_roster import build_join_modal, build_join_refused, build_joined_note
from bot.listeners.replies import reply_privately
from bot.listeners.roster import publish_roster
from bot.listeners.strangers import ephemeral_reply, people_only
from bot.services.identity import Viewer
from bot.services.teams.rosters import JoinOutcome, join_team


@people_only(ephemeral_reply)
def join_from_card(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    viewer: Viewer,
    engine: Engine,
) -> None:
    ack()
    channel = body["channel"]["id"]
    card_ts = (body.get("message") or {}).get("ts")
    result = join_team(engine=engine, viewer=viewer, challenge_id=int(action["value"]))
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
    if result.roster is None:
        reply_privately(client, body, build_join_refused(result))
        return
    if result.outcome is JoinOutcome.JOINED:
        publish_roster(engine, client, result.roster.team_id, channel=channel, thread_ts=card_ts)
    already = result.outcome is JoinOutcome.ALREADY
    note = build_joined_note(result.roster, organisation=viewer.member_name, already=already)
    reply_privately(client, body, note)
