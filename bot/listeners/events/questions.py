"""A mention or a DM: show the asker the bot is working, then answer in the thread.

A team request in a challenge card's thread ("who is missing?", "summarize") goes to the team
service (`team_thread`); everything else to `answer_question`, where the "who can solve
this?" flow plugs in. Until then the bot says plainly that it cannot answer yet and where to
ask, so a question never meets silence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.messages import build_questions_not_ready, build_unknown_person
from bot.deps import BotDeps
from bot.listeners.events.team_thread import answer_in_team_thread
from bot.services.identity import Viewer

log = logging.getLogger(__name__)
WORKING_REACTION = "eyes"


def answer_question(
    deps: BotDeps, viewer: Viewer, text: str, *, channel: str, thread_ts: str
) -> dict[str, Any]:
    """Hook: the reply to a question, as a message payload. The answer flow plugs in here."""
    return build_questions_not_ready(staff_channel=deps.settings.staff_channel)


def make_question_listener(deps: BotDeps) -> Callable[..., None]:
    def question(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        channel, ts = event["channel"], event["ts"]
        thread_ts = event.get("thread_ts") or ts
        try:
            client.reactions_add(channel=channel, timestamp=ts, name=WORKING_REACTION)
        except SlackApiError as exc:
            log.info("could not add the working reaction: %s", exc.response.get("error"))
        viewer: Viewer | None = context.get("viewer")
        text = event.get("text", "")
        team_reply = None
        if viewer is None:
            reply = build_unknown_person(staff_channel=deps.settings.staff_channel)
        else:
            team_reply = answer_in_team_thread(
                deps, client, viewer, text, channel=channel, thread_ts=thread_ts
            )
            reply = (
                team_reply.payload
                if team_reply
                else answer_question(deps, viewer, text, channel=channel, thread_ts=thread_ts)
            )
        if team_reply is not None and team_reply.private:
            client.chat_postEphemeral(
                channel=channel, user=event["user"], thread_ts=thread_ts, **reply
            )
            return
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, **reply)

    return question


def is_direct_message(event: dict[str, Any]) -> bool:
    """A person's own new message in a DM with the bot (not an edit, join or deletion)."""
    return event.get("channel_type") == "im" and not event.get("subtype")
