"""Where a listener's answer goes: shown only to the person who clicked, where they clicked."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient


def reply_privately(client: WebClient, body: dict[str, Any], reply: dict[str, Any]) -> None:
    """An ephemeral message to the clicker, in the channel of the message they clicked on."""
    client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"], **reply)
