"""*Open a source* under a written answer: the chosen record in full, shown only to the chooser.

A member (or one of its references) opens as the member's profile; a challenge only when the
chooser may see it, checked again with their own rights, since the menu's value comes from
Slack and the answer may have been written for someone else in the thread.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_bolt.kwargs_injection import Args
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.answers import build_member_profile, build_source_not_shown, read_source_value
from bot.blocks.challenge_list import build_challenge_detail
from bot.listeners.strangers import people_only
from bot.services.answers import MemberProfile, open_source
from bot.services.identity import Viewer


def _thread_of(body: dict[str, Any]) -> str | None:
    container = body.get("container") or {}
    message = body.get("message") or {}
    return container.get("thread_ts") or message.get("thread_ts") or None


def _channel_of(body: dict[str, Any]) -> str | None:
    channel = (body.get("channel") or {}).get("id")
    return channel or (body.get("container") or {}).get("channel_id") or None


def _reply_in_thread(client: WebClient, body: dict[str, Any], reply: dict[str, Any]) -> None:
    """Shown only to the chooser, in the answer's thread; nowhere when Slack names no channel."""
    channel = _channel_of(body)
    if channel:
        client.chat_postEphemeral(
            channel=channel, user=body["user"]["id"], thread_ts=_thread_of(body), **reply
        )


def _stranger_reply(args: Args, reply: dict[str, Any]) -> None:
    args.ack()
    _reply_in_thread(args.client, args.body, reply)


@people_only(_stranger_reply)
def open_source_chosen(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    viewer: Viewer,
    engine: Engine,
) -> None:
    ack()
    if not _channel_of(body):
        return
    value = str((action.get("selected_option") or {}).get("value", ""))
    kind, key = read_source_value(value)
    found = open_source(engine=engine, viewer=viewer, kind=kind, key=key)
    if found is None:
        reply = build_source_not_shown()
    elif isinstance(found, MemberProfile):
        reply = build_member_profile(found)
    else:
        reply = build_challenge_detail(found)
    _reply_in_thread(client, body, reply)
