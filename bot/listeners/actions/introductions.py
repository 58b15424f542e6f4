"""*Introduce me* on an answer, and the contact's *Accept* / *Not now* in their DM."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.blocks.answers import build_introduction, build_introduction_request, build_note
from bot.deps import BotDeps
from bot.listeners.strangers import people_only, respond_reply
from bot.services.identity import Viewer
from bot.services.introductions import (
    IntroductionError,
    decide_introduction,
    request_introduction,
)
from storage.db import session_scope
from storage.models import IntroductionStatus
from storage.questions import question_text


def _open_dm(client: WebClient, *users: str) -> str:
    return str(client.conversations_open(users=",".join(users))["channel"]["id"])


def make_introduce_action(deps: BotDeps) -> Callable[..., None]:
    @people_only(deps, respond_reply)
    def introduce(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, viewer: Viewer
    ) -> None:
        ack()
        value = json.loads(body["actions"][0]["value"])
        try:
            with session_scope(deps.engine) as session:
                question = question_text(session=session, question_id=value.get("question"))
                request = request_introduction(
                    session=session, asker=viewer, member_slug=value["member"], question=question
                )
        except IntroductionError as exc:
            respond(response_type="ephemeral", replace_original=False, **build_note(str(exc)))
            return
        if not request.new:
            note = (
                f"You already asked for an introduction to {request.member_name} "
                f"({request.status.value}); I have not asked again."
            )
        elif request.contact_slack_user_id is None:
            note = (
                f"Nobody at {request.member_name} is on Slack yet: write to "
                f"{request.contact_name} at {request.contact_email}."
            )
        else:
            dm = _open_dm(client, request.contact_slack_user_id)
            client.chat_postMessage(channel=dm, **build_introduction_request(request))
            note = (
                f"I've asked {request.contact_name} at {request.member_name} whether they'd like "
                "to talk. If they accept, I'll open a conversation with you both."
            )
        respond(response_type="ephemeral", replace_original=False, **build_note(note))

    return introduce


def make_decision_action(deps: BotDeps, *, accept: bool) -> Callable[..., None]:
    def decide(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        try:
            with session_scope(deps.engine) as session:
                request = decide_introduction(
                    session=session,
                    introduction_id=int(body["actions"][0]["value"]),
                    by_slack_user_id=body["user"]["id"],
                    accept=accept,
                )
        except IntroductionError as exc:
            respond(response_type="ephemeral", replace_original=False, **build_note(str(exc)))
            return
        if not request.new:
            respond(
                replace_original=True,
                **build_note(f"You already answered this request ({request.status.value})."),
            )
            return
        asker, contact = request.asker_slack_user_id, request.contact_slack_user_id or ""
        if request.status is IntroductionStatus.ACCEPTED:
            group = _open_dm(client, asker, contact)
            client.chat_postMessage(channel=group, **build_introduction(request))
            note = f"Thanks! I've opened a conversation with <@{asker}>."
        else:
            dm = _open_dm(client, asker)
            client.chat_postMessage(
                channel=dm,
                **build_note(
                    f"{request.contact_name} at {request.member_name} can't take this on right "
                    "now. Ask me again for other members, or ask the staff."
                ),
            )
            note = f"Noted; I've let <@{asker}> know you can't take it on now."
        respond(replace_original=True, **build_note(note))

    return decide
