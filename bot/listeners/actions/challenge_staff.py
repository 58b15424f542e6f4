"""The staff view of `/challenge show` (seen only by the staff member who asked): the deadline's
date picker and the "when the deadline passes" menu. A moved deadline is told in the card's
thread too."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.blocks.challenge_list import build_after_deadline_set
from bot.blocks.lifecycle import build_deadline_moved
from bot.blocks.messages import build_not_staff, build_notice
from bot.listeners.replies import reply_privately
from bot.listeners.strangers import ephemeral_reply, people_only
from bot.services import challenges
from bot.services.identity import Viewer

log = logging.getLogger(__name__)


def announce_deadline(
    client: WebClient, change: challenges.DeadlineChange, *, slack_user_id: str
) -> dict[str, Any]:
    """Tell the card's thread of a moved deadline; the same note is the staff member's answer."""
    note = build_deadline_moved(change, slack_user_id=slack_user_id)
    shown = change.challenge
    if shown.channel_id and shown.thread_ts:
        try:
            client.chat_postMessage(channel=shown.channel_id, thread_ts=shown.thread_ts, **note)
        except SlackApiError as exc:
            log.warning("telling %s's thread of its deadline failed: %s", shown.slug, exc)
    return note


def _challenge_id(body: dict[str, Any]) -> str:
    block = next((a.get("block_id", "") for a in body.get("actions") or []), "")
    return str(block).removeprefix("challenge_staff_")


@people_only(ephemeral_reply)
def deadline_picked(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    viewer: Viewer,
    engine: Engine,
) -> None:
    ack()
    try:
        change = challenges.move_deadline(
            engine=engine,
            viewer=viewer,
            key=_challenge_id(body),
            deadline=str(action.get("selected_date") or ""),
        )
    except challenges.NotStaff:
        reply_privately(client, body, build_not_staff(what="move a challenge's deadline"))
        return
    except challenges.ChallengeError as exc:
        reply_privately(client, body, build_notice(str(exc)))
        return
    reply_privately(
        client, body, announce_deadline(client, change, slack_user_id=viewer.slack_user_id)
    )


@people_only(ephemeral_reply)
def after_deadline_chosen(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    viewer: Viewer,
    engine: Engine,
) -> None:
    ack()
    challenge_id, _, status = str((action.get("selected_option") or {}).get("value", "")).partition(
        ":"
    )
    try:
        chosen = challenges.set_status_after_deadline(
            engine=engine, viewer=viewer, key=challenge_id, status=status
        )
    except challenges.NotStaff:
        reply_privately(
            client, body, build_not_staff(what="choose what a deadline does to a challenge")
        )
        return
    except challenges.ChallengeError as exc:
        reply_privately(client, body, build_notice(str(exc)))
        return
    reply_privately(client, body, build_after_deadline_set(chosen))
