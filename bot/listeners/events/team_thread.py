"""Mentions in a challenge card's thread that the team service answers: "who is missing?" and
"summarize" (also "summarise", "tiivistä"). Everything else goes to the question flow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.blocks.team_thread import (
    build_team_answer,
    build_thread_restricted,
    build_thread_unreadable,
)
from bot.services.identity import Viewer
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch
from bot.services.teams import threads
from bot.services.teams.rosters import TeamNotVisible

log = logging.getLogger(__name__)
# Enough for any team discussion; a longer thread is summarised from its first pages.
THREAD_PAGES_MAX = 5
THREAD_PAGE_SIZE = 200


@dataclass(frozen=True)
class ThreadReply:
    payload: dict[str, Any]
    private: bool = False  # ephemeral, to the asker only


def fetch_thread(client: WebClient, channel: str, thread_ts: str) -> list[threads.ThreadMessage]:
    """The thread's messages, oldest first; ThreadUnreadable when Slack will not give them."""
    messages: list[threads.ThreadMessage] = []
    cursor: str | None = None
    try:
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
    except SlackApiError as exc:
        log.warning("conversations.replies failed: %s", exc.response.get("error"))
        raise threads.ThreadUnreadable() from exc
    return messages


def answer_in_team_thread(
    client: WebClient,
    viewer: Viewer,
    text: str,
    *,
    channel: str,
    thread_ts: str,
    engine: Engine,
    llm: LanguageModel | None,
    open_search: Callable[[], SolverSearch],
) -> ThreadReply | None:
    """The team service's answer, or None when this is not a team request in a card's thread."""
    try:
        answer = threads.answer_team_request(
            engine=engine,
            viewer=viewer,
            text=text,
            channel_id=channel,
            thread_ts=thread_ts,
            open_search=open_search,
            llm=llm,
            read_thread=lambda: fetch_thread(client, channel, thread_ts),
        )
    except TeamNotVisible:
        return ThreadReply(build_thread_restricted(), private=True)
    except threads.ThreadUnreadable:
        return ThreadReply(build_thread_unreadable(), private=True)
    return None if answer is None else ThreadReply(build_team_answer(answer))
