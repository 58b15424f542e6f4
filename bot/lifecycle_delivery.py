"""Notices about challenges' dates to Slack: each into its thread, channel or DM, paced per
channel like the digests (`ChannelPacer`)."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.lifecycle import build_notice
from bot.digest_delivery import ChannelPacer, slack_error
from bot.services.digests.sending import DeliveryFailed
from bot.services.lifecycle import Notice


class SlackNoticePoster:
    """Posts notices with the bot's Web client; a user id as the channel posts into the DM."""

    def __init__(self, client: WebClient, pacer: ChannelPacer | None = None) -> None:
        self.client = client
        self.pacer = pacer or ChannelPacer()

    def post(self, notice: Notice) -> str:
        self.pacer.wait(notice.address)
        try:
            response = self.client.chat_postMessage(
                channel=notice.address,
                thread_ts=notice.thread_ts or None,
                unfurl_links=False,
                unfurl_media=False,
                **build_notice(notice),
            )
        except (SlackApiError, OSError) as exc:
            raise DeliveryFailed(slack_error(exc)) from exc
        return str(response["ts"])
