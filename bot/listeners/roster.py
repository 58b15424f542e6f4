"""Keeping a team's roster message in its challenge's thread up to date; shared by the team
listeners (the card's button, the roster's menus, the join modal, `/challenge team-status`).

The roster is posted once and then edited in place with chat.update. Which request posts it
is decided by the store (a compare-and-set on the team's roster ts), so two first clicks at
the same moment, even in two bot processes, still make one message.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.team_roster import build_team_roster
from bot.deps import BotDeps
from bot.services.teams import rosters
from storage.db import session_scope

log = logging.getLogger(__name__)


def publish_roster(
    deps: BotDeps,
    client: WebClient,
    team_id: int,
    *,
    channel: str | None = None,
    thread_ts: str | None = None,
) -> None:
    """Post the roster in the thread the first time, update it in place afterwards.

    ``channel``/``thread_ts`` name the card's thread when the challenge has none on record.
    """
    with session_scope(deps.engine) as session:
        place = rosters.claim_roster_post(
            session=session, team_id=team_id, channel_id=channel, thread_ts=thread_ts
        )
    if place.message_ts and place.channel_id:
        try:
            client.chat_update(
                channel=place.channel_id, ts=place.message_ts, **build_team_roster(place.roster)
            )
        except SlackApiError as exc:
            log.warning(
                "updating the roster of team %d failed: %s", team_id, exc.response.get("error")
            )
        return
    if not place.claimed or not place.channel_id or not place.thread_ts:
        return  # no card to hang it on, or another request is posting it right now
    shown = place.roster
    try:
        posted = client.chat_postMessage(
            channel=place.channel_id, thread_ts=place.thread_ts, **build_team_roster(shown)
        )
    except SlackApiError as exc:
        with session_scope(deps.engine) as session:
            rosters.release_roster_claim(session=session, team_id=team_id)
        log.warning("posting the roster of team %d failed: %s", team_id, exc.response.get("error"))
        return
    with session_scope(deps.engine) as session:
        latest = rosters.remember_roster_post(
            session=session,
            team_id=team_id,
            channel_id=str(posted["channel"]),
            message_ts=str(posted["ts"]),
        )
    if latest != shown:
        # Someone joined or left while the roster was being posted; their request saw no ts.
        client.chat_update(channel=posted["channel"], ts=posted["ts"], **build_team_roster(latest))
