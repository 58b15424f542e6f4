"""`/digest`: show or change your digest, subscribe a channel, preview what would be sent."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, Respond

from bot.blocks.digest import build_digest_message
from bot.blocks.messages import DIGEST_USAGE, build_notice, build_usage
from bot.deps import BotDeps
from bot.listeners.commands.parsing import DigestRequest, parse_digest_text
from bot.listeners.strangers import people_only, respond_reply
from bot.services.digests import subscriptions
from bot.services.digests.choosing import default_ranker, preview_for_person
from bot.services.identity import Viewer
from storage.db import session_scope
from storage.models import DigestFrequency


def in_a_channel(channel_id: str) -> bool:
    """Typed in a channel (C..., G...) rather than the bot's DM (D...)."""
    return channel_id[:1] in ("C", "G")


def make_digest_command(deps: BotDeps) -> Callable[..., None]:
    rank = default_ranker(deps.solver_search)
    timezone = ZoneInfo(deps.settings.digest_timezone)

    def answer(request: DigestRequest, viewer: Viewer, channel_id: str) -> dict[str, Any]:
        channel = channel_id if in_a_channel(channel_id) else None
        if request.action == "preview":
            return preview(viewer)
        with session_scope(deps.engine) as session:
            if request.action == "show":
                text = f"You get the digest: *{viewer.digest_frequency.value}*."
                if channel:
                    on = subscriptions.channel_frequency(session=session, channel_id=channel)
                    if on is not DigestFrequency.OFF:
                        text += f" This channel gets it *{on.value}*."
                return build_notice(text)
            if request.action == "frequency":
                chosen = subscriptions.change_digest_frequency(
                    session=session, viewer=viewer, text=request.frequency
                )
                return build_notice(f"Done: you now get the digest *{chosen.value}*.")
            if request.action == "subscribe" and channel:
                frequency = DigestFrequency(request.frequency or "weekly")
                new = subscriptions.subscribe_channel(
                    session=session, channel_id=channel, frequency=frequency
                )
                lead = "Done: this channel now gets" if new else "This channel gets"
                return build_notice(
                    f"{lead} the *{frequency.value}* digest of new public challenges."
                )
            if request.action == "subscribe":
                if request.frequency:
                    subscriptions.change_digest_frequency(
                        session=session, viewer=viewer, text=request.frequency
                    )
                    viewer = _with(viewer, DigestFrequency(request.frequency))
                frequency = subscriptions.subscribe_person(session=session, viewer=viewer)
                return build_notice(f"Done: you get the digest *{frequency.value}*, in my DM.")
            if request.action == "unsubscribe" and channel:
                stopped = subscriptions.unsubscribe_channel(session=session, channel_id=channel)
                return build_notice(
                    "Done: this channel no longer gets the digest."
                    if stopped
                    else "This channel does not get the digest."
                )
            if request.action == "unsubscribe":
                stopped = subscriptions.unsubscribe_person(session=session, viewer=viewer)
                return build_notice(
                    "Done: you no longer get the digest."
                    if stopped
                    else "You do not get the digest."
                )
        # Help and usage are answered before this.
        return build_usage(DIGEST_USAGE)

    def preview(viewer: Viewer) -> dict[str, Any]:
        # Read in a transaction of its own that is over before the model writes the opening,
        # which counts against the person's daily limit: they asked for it.
        digest = preview_for_person(
            engine=deps.engine,
            viewer=viewer,
            rank=rank,
            timezone=timezone,
            asked_by=viewer.person_id,
            llm=deps.llm,
        )
        if digest is None:
            return build_notice(
                "Nothing new for you right now, so no digest would be sent: no new challenges "
                "that fit your organisation, no deadlines near, no team news."
            )
        return build_digest_message(digest)

    @people_only(deps, respond_reply)
    def digest_command(ack: Ack, command: dict[str, Any], respond: Respond, viewer: Viewer) -> None:
        ack()
        request = parse_digest_text(command.get("text", ""))
        if request.action == "help":
            respond(**build_usage(DIGEST_USAGE))
        elif request.action == "usage":
            respond(**build_usage(DIGEST_USAGE, problem=request.problem))
        else:
            respond(**answer(request, viewer, command.get("channel_id", "")))

    return digest_command


def _with(viewer: Viewer, frequency: DigestFrequency) -> Viewer:
    return dataclasses.replace(viewer, digest_frequency=frequency)
