"""*Open a source* under a written answer: the chosen record in full, shown only to the chooser.

A member (or one of its references) opens as the member's profile; a challenge only when the
chooser may see it, checked again with their own rights, since the menu's value comes from
Slack and the answer may have been written for someone else in the thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.blocks.answers import build_member_profile, build_source_not_shown, read_source_value
from bot.blocks.challenge_list import build_challenge_detail
from bot.blocks.messages import build_unknown_person
from bot.deps import BotDeps
from bot.services.answers import MemberProfile, open_source
from bot.services.identity import Viewer
from storage.db import session_scope


def _thread_of(body: dict[str, Any]) -> str | None:
    container = body.get("container") or {}
    message = body.get("message") or {}
    return container.get("thread_ts") or message.get("thread_ts") or None


def make_open_source_action(deps: BotDeps) -> Callable[..., None]:
    def open_source_action(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        user_id = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        if not channel:
            return
        viewer: Viewer | None = context.get("viewer")
        if viewer is None:
            reply = build_unknown_person(staff_channel=deps.settings.staff_channel)
        else:
            value = str((action.get("selected_option") or {}).get("value", ""))
            kind, key = read_source_value(value)
            with session_scope(deps.engine) as session:
                found = open_source(session=session, viewer=viewer, kind=kind, key=key)
            if found is None:
                reply = build_source_not_shown()
            elif isinstance(found, MemberProfile):
                reply = build_member_profile(found)
            else:
                reply = build_challenge_detail(found)
        client.chat_postEphemeral(
            channel=channel, user=user_id, thread_ts=_thread_of(body), **reply
        )

    return open_source_action
