"""Mentions in a challenge card's thread that the team service answers: "who is missing?" and
"summarize" (also "summarise", "tiivistä"). Everything else goes to the question flow.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.messages import build_notice
from bot.blocks.team_thread import build_missing_answer, build_thread_summary
from bot.deps import BotDeps
from bot.services.identity import Viewer
from bot.services.language import detect_language
from bot.services.teams import rosters, threads
from storage.db import session_scope

log = logging.getLogger(__name__)
# Enough for any team discussion; a longer thread is summarised from its first pages.
THREAD_PAGES_MAX = 5
THREAD_PAGE_SIZE = 200


@dataclass(frozen=True)
class ThreadReply:
    payload: dict[str, Any]
    private: bool = False  # ephemeral, to the asker only


def fetch_thread(client: WebClient, channel: str, thread_ts: str) -> list[threads.ThreadMessage]:
    messages: list[threads.ThreadMessage] = []
    cursor: str | None = None
    for _ in range(THREAD_PAGES_MAX):
        page = client.conversations_replies(
            channel=channel, ts=thread_ts, limit=THREAD_PAGE_SIZE, cursor=cursor
        )
        for raw in page.get("messages") or []:
            messages.append(
                threads.ThreadMessage(
                    user=str(raw.get("user") or ""),
                    text=str(raw.get("text") or ""),
                    ts=str(raw.get("ts") or ""),
                    from_bot=bool(raw.get("bot_id")) or raw.get("subtype") == "bot_message",
                )
            )
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not page.get("has_more") or not cursor:
            break
    return messages


def answer_in_team_thread(
    deps: BotDeps, client: WebClient, viewer: Viewer, text: str, *, channel: str, thread_ts: str
) -> ThreadReply | None:
    """The team service's answer, or None when this is not a team request in a card's thread."""
    intent = threads.thread_intent(text)
    if intent is None:
        return None
    try:
        with session_scope(deps.engine) as session:
            challenge = rosters.challenge_for_thread(
                session=session, viewer=viewer, channel_id=channel, thread_ts=thread_ts
            )
            if challenge is None:
                return None
            title = challenge.title
            if intent is threads.ThreadIntent.WHO_IS_MISSING:
                report = threads.who_is_missing(
                    session=session,
                    viewer=viewer,
                    challenge=challenge,
                    suggest_team_fn=threads.default_team_suggester(deps.solver_search),
                )
                return ThreadReply(build_missing_answer(report))
    except rosters.TeamNotVisible:
        text = (
            "This challenge is restricted to the organisations invited to it, so I can only "
            "answer their people here. Ask the SCIC staff if yours should be one of them."
        )
        return ThreadReply(build_notice(text), private=True)
    try:
        messages = fetch_thread(client, channel, thread_ts)
    except SlackApiError as exc:
        log.warning("conversations.replies failed: %s", exc.response.get("error"))
        text = "I could not read this thread (is the bot allowed to read the channel's history?)."
        return ThreadReply(build_notice(text), private=True)
    summary = threads.summarize_thread(
        deps.llm,
        messages,
        challenge_title=title,
        # "tiivistä" asks for a Finnish summary (Slack markup is not read as words).
        language=detect_language(text),
        person_id=viewer.person_id,
    )
    return ThreadReply(build_thread_summary(summary))
