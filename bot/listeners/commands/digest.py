"""`/digest`: show or change your digest, subscribe a channel, preview what would be sent."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, Respond
from sqlalchemy import Engine

from bot.blocks.digest import (
    build_channel_subscribed,
    build_digest_message,
    build_digest_setting,
    build_frequency_changed,
    build_nothing_to_preview,
    build_person_subscribed,
    build_unsubscribed,
)
from bot.blocks.messages import DIGEST_USAGE, build_usage
from bot.listeners.commands.parsing import DigestRequest, parse_digest_text
from bot.listeners.strangers import people_only, respond_reply
from bot.services.digests import subscriptions
from bot.services.digests.choosing import default_ranker, preview_for_person
from bot.services.identity import Viewer
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch
from bot.settings import Settings


def in_a_channel(channel_id: str) -> bool:
    """Typed in a channel (C..., G...) rather than the bot's DM (D...)."""
    return channel_id[:1] in ("C", "G")


def _answer(
    request: DigestRequest, viewer: Viewer, channel_id: str, *, engine: Engine
) -> dict[str, Any]:
    channel = channel_id if in_a_channel(channel_id) else None
    if request.action == "show":
        on = subscriptions.channel_frequency(engine=engine, channel_id=channel) if channel else None
        return build_digest_setting(viewer.digest_frequency, channel=on)
    if request.action == "frequency":
        chosen = subscriptions.change_digest_frequency(
            engine=engine, viewer=viewer, text=request.frequency
        )
        return build_frequency_changed(chosen)
    if request.action == "subscribe" and channel:
        frequency = subscriptions.parse_frequency(request.frequency or "weekly")
        new = subscriptions.subscribe_channel(
            engine=engine, channel_id=channel, frequency=frequency
        )
        return build_channel_subscribed(frequency, new=new)
    if request.action == "subscribe":
        if request.frequency:
            chosen = subscriptions.change_digest_frequency(
                engine=engine, viewer=viewer, text=request.frequency
            )
            viewer = dataclasses.replace(viewer, digest_frequency=chosen)
        return build_person_subscribed(subscriptions.subscribe_person(engine=engine, viewer=viewer))
    if request.action == "unsubscribe" and channel:
        stopped = subscriptions.unsubscribe_channel(engine=engine, channel_id=channel)
        return build_unsubscribed(channel=True, stopped=stopped)
    if request.action == "unsubscribe":
        stopped = subscriptions.unsubscribe_person(engine=engine, viewer=viewer)
        return build_unsubscribed(channel=False, stopped=stopped)
    # Help and usage are answered before this.
    return build_usage(DIGEST_USAGE)


def _preview(
    viewer: Viewer,
    *,
    settings: Settings,
    engine: Engine,
    llm: LanguageModel | None,
    open_search: Callable[[], SolverSearch],
) -> dict[str, Any]:
    # Read in a transaction of its own that is over before the model writes the opening,
    # which counts against the person's daily limit: they asked for it.
    digest = preview_for_person(
        engine=engine,
        viewer=viewer,
        rank=default_ranker(open_search),
        timezone=ZoneInfo(settings.digest_timezone),
        asked_by=viewer.person_id,
        llm=llm,
    )
    return build_nothing_to_preview() if digest is None else build_digest_message(digest)


@people_only(respond_reply)
def digest_command(
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    viewer: Viewer,
    settings: Settings,
    engine: Engine,
    llm: LanguageModel | None,
    open_search: Callable[[], SolverSearch],
) -> None:
    ack()
    request = parse_digest_text(command.get("text", ""))
    if request.action == "help":
        respond(**build_usage(DIGEST_USAGE))
    elif request.action == "usage":
        respond(**build_usage(DIGEST_USAGE, problem=request.problem))
    elif request.action == "preview":
        respond(
            **_preview(viewer, settings=settings, engine=engine, llm=llm, open_search=open_search)
        )
    else:
        respond(**_answer(request, viewer, command.get("channel_id", ""), engine=engine))
