"""`/challenge`: open the intake modal (empty, or filled in from a pasted text), or list, show
and change the status of challenges (and of their teams, in `challenge_team`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.blocks.challenge_list import (
    build_challenge_detail,
    build_challenge_list,
    build_status_changed,
)
from bot.blocks.challenge_modal import build_challenge_modal, modal_metadata
from bot.blocks.messages import (
    CHALLENGE_USAGE,
    build_not_staff,
    build_notice,
    build_usage,
)
from bot.deps import BotDeps
from bot.listeners.actions.challenge_prefill import open_prefilled
from bot.listeners.commands.challenge_team import answer_team_request
from bot.listeners.commands.parsing import parse_challenge_text
from bot.listeners.strangers import people_only, respond_reply
from bot.services import challenges
from bot.services.identity import Viewer
from storage.db import session_scope


def _answer(deps: BotDeps, viewer: Viewer, text: str) -> dict[str, Any]:
    request = parse_challenge_text(text)
    if request.action == "help":
        return build_usage(CHALLENGE_USAGE)
    if request.action == "usage":
        return build_usage(CHALLENGE_USAGE, problem=request.problem)
    try:
        with session_scope(deps.engine) as session:
            if request.action == "list":
                page = challenges.list_challenges(
                    session=session, viewer=viewer, which=request.which
                )
                return build_challenge_list(page)
            if request.action == "show":
                found = challenges.find_challenge(session=session, viewer=viewer, key=request.key)
                return build_challenge_detail(found)
            changed, previous = challenges.change_status(
                session=session, viewer=viewer, key=request.key, status=request.status
            )
            return build_status_changed(changed, previous=previous)
    except challenges.NotStaff:
        return build_not_staff(what="change a challenge's status")
    except challenges.ChallengeError as exc:
        return build_notice(str(exc))


def make_challenge_command(deps: BotDeps) -> Callable[..., None]:
    @people_only(deps, respond_reply)
    def challenge_command(
        ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, viewer: Viewer
    ) -> None:
        ack()
        request = parse_challenge_text(command.get("text", ""))
        if request.action in ("team_status", "team_new"):
            respond(**answer_team_request(deps, client, viewer, request))
        elif request.action not in ("new", "intake"):
            respond(**_answer(deps, viewer, command.get("text", "")))
        elif not viewer.is_staff:
            respond(**build_not_staff(what="post challenges"))
        elif request.action == "intake":
            open_prefilled(
                deps,
                client,
                trigger_id=command["trigger_id"],
                viewer=viewer,
                text=request.text,
                channel_id=command.get("channel_id", ""),
            )
        else:
            # Where the command was typed, to tell the author there once the card is posted.
            origin = modal_metadata(command.get("channel_id", ""))
            client.views_open(
                trigger_id=command["trigger_id"],
                view=build_challenge_modal(private_metadata=origin),
            )

    return challenge_command
