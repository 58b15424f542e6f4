"""Slack for digest delivery: the shared stand-in plus what a digest run needs of it.

`DigestSlack` adds per-recipient failures (a user gone, an archived channel) and answers
conversations.open / conversations.history from the messages it accepted, so a retry can find
a digest that already went out. `slack_poster` is the bot's real poster aimed at a stand-in.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.app import build_web_client
from bot.digest_delivery import ChannelPacer, SlackDigestPoster
from standins.slack import FakeSlack, bot_settings


@dataclass
class DigestSlack(FakeSlack):
    failing: dict[str, str] = field(default_factory=dict)
    posted: list[dict[str, Any]] = field(default_factory=list)
    _posted_lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_recipient(self, channel: str, error: str) -> None:
        """chat.postMessage to ``channel`` (a user id for a DM) answers ok=false, ``error``."""
        self.failing[channel] = error

    def heal(self, channel: str) -> None:
        self.failing.pop(channel, None)

    def digests(self) -> list[dict[str, Any]]:
        """The digests Slack accepted, as {channel, ts, text, blocks, metadata}."""
        with self._posted_lock:
            return list(self.posted)

    def digests_per_recipient(self) -> Counter[str]:
        return Counter(p["channel"] for p in self.digests())

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            channel = str(args.get("channel"))
            if channel in self.failing:
                return {"ok": False, "error": self.failing[channel]}
            answer = super()._answer(method, args)
            with self._posted_lock:
                self.posted.append(
                    {
                        "channel": channel,
                        "ts": answer["ts"],
                        "text": args.get("text"),
                        "blocks": args.get("blocks"),
                        "metadata": args.get("metadata"),
                    }
                )
            return answer
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users"))}}
        if method == "conversations.history":
            channel = str(args.get("channel"))
            # A DM's history holds what was posted to the user id as well as to the D id.
            wanted = {channel, channel[1:]} if channel.startswith("D") else {channel}
            messages = [
                {"type": "message", "ts": p["ts"], "text": p["text"], "metadata": p["metadata"]}
                for p in reversed(self.digests())
                if p["channel"] in wanted
            ]
            return {"ok": True, "messages": messages, "has_more": False}
        return super()._answer(method, args)


def slack_poster(fake: FakeSlack, *, pacer: ChannelPacer | None = None) -> SlackDigestPoster:
    """The real poster with the bot's real Web client (retry rules included) aimed at ``fake``."""
    return SlackDigestPoster(build_web_client(bot_settings(fake)), pacer)
