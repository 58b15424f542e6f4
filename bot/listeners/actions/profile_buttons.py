"""*Edit our profile* on the Home tab (and a nudge's *Edit*): open the profile form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.profile import build_profile_modal, build_profile_notice, refusal_text
from bot.listeners.strangers import people_only, private_reply
from bot.services import profiles
from bot.services.identity import Viewer


def member_id_of(action: dict[str, Any]) -> int:
    value = str(action.get("value", ""))
    return int(value) if value.isdigit() else 0


@people_only(private_reply)
def profile_edit_pressed(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    viewer: Viewer,
    engine: Engine,
) -> None:
    ack()
    try:
        draft = profiles.open_profile_by_id(
            engine=engine, viewer=viewer, member_id=member_id_of(action)
        )
    except profiles.ProfileError as exc:
        client.chat_postMessage(
            channel=viewer.slack_user_id, **build_profile_notice(refusal_text(exc))
        )
        return
    client.views_open(trigger_id=body["trigger_id"], view=build_profile_modal(draft))
