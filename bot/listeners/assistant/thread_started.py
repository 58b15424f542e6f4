"""A person opened a new assistant thread: greet them and suggest prompts, in their language."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.set_suggested_prompts import SetSuggestedPrompts
from slack_bolt.kwargs_injection import Args
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.assistant import build_assistant_greeting, build_suggested_prompts
from bot.listeners.strangers import people_only
from bot.services.assistant import welcome
from bot.services.identity import Viewer

log = logging.getLogger(__name__)


def _thread(event: dict[str, Any]) -> tuple[str, str]:
    thread = event["assistant_thread"]
    return str(thread["channel_id"]), str(thread["thread_ts"])


def _stranger_reply(args: Args, reply: dict[str, Any]) -> None:
    assert args.event is not None
    channel, thread_ts = _thread(args.event)
    args.client.chat_postMessage(channel=channel, thread_ts=thread_ts, **reply)


@people_only(_stranger_reply)
def thread_started(
    event: dict[str, Any],
    client: WebClient,
    set_suggested_prompts: SetSuggestedPrompts,
    viewer: Viewer,
    engine: Engine,
) -> None:
    channel, thread_ts = _thread(event)
    person = welcome(engine=engine, viewer=viewer)
    client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, **build_assistant_greeting(person)
    )
    set_suggested_prompts(prompts=build_suggested_prompts(person))
