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
from sqlalchemy import Engine

from bot.blocks.team_roster import build_status_posted, build_team_roster
from bot.services.teams import rosters

log = logging.getLogger(__name__)


def publish_roster(
    engine: Engine,
    client: WebClient,
    team_id: int,
    *,
    channel: str | None = None,
    thread_ts: str | None = None,
) -> None:
    """Post the roster in the thread the first time, update it in place afterwards.

    ``channel``/``thread_ts`` name the card's thread when the challenge has none on record.
    """
    place = rosters.claim_roster_post(
        engine=engine, team_id=team_id, channel_id=channel, thread_ts=thread_ts
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
        rosters.release_roster_claim(engine=engine, team_id=team_id)
        log.warning("posting the roster of team %d failed: %s", team_id, exc.response.get("error"))
        return
    latest = rosters.remember_roster_post(
        engine=engine,
        team_id=team_id,
        channel_id=str(posted["channel"]),
        message_ts=str(posted["ts"]),
    )
    if latest != shown:
        # Someone joined or left while the roster was being posted; their request saw no ts.
        client.chat_update(channel=posted["channel"], ts=posted["ts"], **build_team_roster(latest))


def announce_status_change(
    engine: Engine, client: WebClient, change: rosters.StatusChange, *, slack_user_id: str
) -> None:
    """A team moved to a new status (the roster's menu or `/challenge team-status`): a line in
    the thread, then the roster updated."""
    if change.channel_id and change.thread_ts:
        client.chat_postMessage(
            channel=change.channel_id,
            thread_ts=change.thread_ts,
            **build_status_posted(change, slack_user_id=slack_user_id),
        )
    publish_roster(engine, client, change.roster.team_id)
