"""`/challenge`: open the intake modal (empty, or filled in from a pasted text), or list, show
and change the status of challenges (and of their teams, in `challenge_team`)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.challenge_list import (
    build_after_deadline_set,
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
from bot.listeners.actions.challenge_prefill import open_prefilled
from bot.listeners.actions.challenge_staff import announce_deadline
from bot.listeners.commands.challenge_team import answer_team_request
from bot.listeners.commands.parsing import ChallengeRequest, parse_challenge_text
from bot.listeners.strangers import people_only, respond_reply
from bot.services import challenges
from bot.services.identity import Viewer
from bot.services.llm import LanguageModel
from bot.services.teams import rosters


def _answer(
    request: ChallengeRequest, *, viewer: Viewer, engine: Engine, client: WebClient
) -> dict[str, Any]:
    if request.action == "help":
        return build_usage(CHALLENGE_USAGE)
    if request.action == "usage":
        return build_usage(CHALLENGE_USAGE, problem=request.problem)
    try:
        if request.action == "list":
            page = challenges.list_challenges(engine=engine, viewer=viewer, which=request.which)
            return build_challenge_list(page)
        if request.action == "show":
            found = challenges.find_challenge(engine=engine, viewer=viewer, key=request.key)
            # Staff alone see this answer: their controls go into it, never onto the card.
            teams = (
                rosters.rosters_of_challenge(engine=engine, viewer=viewer, challenge_id=found.id)
                if viewer.is_staff
                else None
            )
            return build_challenge_detail(found, staff_teams=teams)
        if request.action == "deadline":
            change = challenges.move_deadline(
                engine=engine, viewer=viewer, key=request.key, deadline=request.status
            )
            return announce_deadline(client, change, slack_user_id=viewer.slack_user_id)
        if request.action == "after_deadline":
            chosen = challenges.set_status_after_deadline(
                engine=engine, viewer=viewer, key=request.key, status=request.status
            )
            return build_after_deadline_set(chosen)
        changed, previous = challenges.change_status(
            engine=engine, viewer=viewer, key=request.key, status=request.status
        )
        return build_status_changed(changed, previous=previous)
    except challenges.NotStaff:
        what = {
            "deadline": "move a challenge's deadline",
            "after_deadline": "choose what a deadline does to a challenge",
        }.get(request.action, "change a challenge's status")
        return build_not_staff(what=what)
    except challenges.ChallengeError as exc:
        return build_notice(str(exc))


@people_only(respond_reply)
def challenge_command(
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    client: WebClient,
    viewer: Viewer,
    engine: Engine,
    llm: LanguageModel | None,
) -> None:
    ack()
    request = parse_challenge_text(command.get("text", ""))
    if request.action in ("team_status", "team_new"):
        respond(**answer_team_request(request, viewer=viewer, client=client, engine=engine))
    elif request.action not in ("new", "intake"):
        respond(**_answer(request, viewer=viewer, engine=engine, client=client))
    elif not viewer.is_staff:
        respond(**build_not_staff(what="post challenges"))
    elif request.action == "intake":
        open_prefilled(
            client,
            trigger_id=command["trigger_id"],
            viewer=viewer,
            text=request.text,
            channel_id=command.get("channel_id", ""),
            engine=engine,
            llm=llm,
        )
    else:
        # Where the command was typed, to tell the author there once the card is posted.
        origin = modal_metadata(command.get("channel_id", ""))
        client.views_open(
            trigger_id=command["trigger_id"], view=build_challenge_modal(private_metadata=origin)
        )
