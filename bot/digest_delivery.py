"""Digests to Slack: post each one paced per channel, and find one an interrupted run sent.

Slack allows about one message per second per channel (chat.postMessage) and answers 429 with
Retry-After beyond it; the Web client built by bot.app waits and retries those, and
`ChannelPacer` keeps this process from asking faster than that in the first place.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.digest import build_digest_message
from bot.services.digests.choosing import Digest
from bot.services.digests.sending import DeliveryFailed
from storage.digests import Subscriber

log = logging.getLogger(__name__)

# Message metadata marks each digest, so a retry can recognise one that already went out.
EVENT_TYPE = "scic_digest"
# How many recent messages of the conversation a retry looks through for its digest.
HISTORY_LOOKBACK = 100


class ChannelPacer:
    """At most one message per ``interval`` seconds to any one channel, across threads.

    A little over Slack's one second, so that network jitter never squeezes two into one.
    """

    def __init__(
        self,
        interval: float = 1.1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> None:
        # Reserve the slot under the lock, sleep outside it: other channels are not held up.
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(channel, now))
            self._next[channel] = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


def slack_error(exc: Exception) -> str:
    """What Slack (or the network) said, short enough for a log line and the delivery log."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return f"{type(exc).__name__}: {exc}"


class SlackDigestPoster:
    """Posts digests with the bot's Web client: to the person by DM, or to the channel."""

    def __init__(self, client: WebClient, pacer: ChannelPacer | None = None) -> None:
        self.client = client
        self.pacer = pacer or ChannelPacer()

    @staticmethod
    def address(subscriber: Subscriber) -> str:
        # A user id as the channel posts into the bot's DM with that user.
        address = subscriber.slack_channel_id or subscriber.slack_user_id
        if not address:
            raise DeliveryFailed("no_slack_address")
        return address

    def post(self, subscriber: Subscriber, digest: Digest) -> str:
        channel = self.address(subscriber)
        payload = build_digest_message(digest)
        metadata = {
            "event_type": EVENT_TYPE,
            "event_payload": {
                "subscription": subscriber.subscription_id,
                "period": digest.period,
            },
        }
        self.pacer.wait(channel)
        try:
            response = self.client.chat_postMessage(
                channel=channel,
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
                **payload,
            )
        except (SlackApiError, OSError) as exc:
            raise DeliveryFailed(slack_error(exc)) from exc
        return str(response["ts"])

    def find_posted(self, subscriber: Subscriber, period: str, since: datetime) -> str | None:
        """The ts of this period's digest in the conversation, or None when absent or unknown.

        Needs im:write and im:history for DMs (channels:history or groups:history for channels);
        without them the answer is None and the retry sends (see bot.services.digests).
        """
        try:
            channel = self._conversation(subscriber)
            response = self.client.conversations_history(
                channel=channel,
                # A minute of slack for clocks that disagree.
                oldest=f"{since.timestamp() - 60:.6f}",
                include_all_metadata=True,
                limit=HISTORY_LOOKBACK,
            )
        except (SlackApiError, OSError, DeliveryFailed) as exc:
            log.warning(
                "cannot check whether digest %s reached subscription %d: %s",
                period,
                subscriber.subscription_id,
                slack_error(exc),
            )
            return None
        for found in response.get("messages") or []:
            if _is_digest(found, subscriber.subscription_id, period):
                return str(found["ts"])
        return None

    def _conversation(self, subscriber: Subscriber) -> str:
        if subscriber.slack_channel_id:
            return subscriber.slack_channel_id
        opened = self.client.conversations_open(users=self.address(subscriber))
        return str(opened["channel"]["id"])


def _is_digest(found: dict[str, Any], subscription_id: int, period: str) -> bool:
    metadata = found.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return bool(
        metadata.get("event_type") == EVENT_TYPE
        and payload.get("subscription") == subscription_id
        and payload.get("period") == period
    )
