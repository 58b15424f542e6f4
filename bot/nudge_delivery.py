"""Profile nudges to Slack: each into the person's DM with the bot, paced like the digests."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.nudge import build_nudge
from bot.digest_delivery import ChannelPacer, slack_error
from bot.services.digests.sending import DeliveryFailed
from bot.services.nudges import Nudge


class SlackNudgePoster:
    """Posts nudges with the bot's Web client; a user id as the channel posts into the DM."""

    def __init__(self, client: WebClient, pacer: ChannelPacer | None = None) -> None:
        self.client = client
        self.pacer = pacer or ChannelPacer()

    def post(self, recipient: str, nudge: Nudge) -> str:
        self.pacer.wait(recipient)
        try:
            response = self.client.chat_postMessage(
                channel=recipient, unfurl_links=False, unfurl_media=False, **build_nudge(nudge)
            )
        except (SlackApiError, OSError) as exc:
            raise DeliveryFailed(slack_error(exc)) from exc
        return str(response["ts"])
