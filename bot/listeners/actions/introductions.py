"""*Introduce me* on an answer, and the contact's *Accept* / *Not now* in their DM."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.answers import (
    build_introduction,
    build_introduction_answered,
    build_introduction_asked,
    build_introduction_declined,
    build_introduction_request,
    build_note,
)
from bot.listeners.strangers import people_only, respond_reply
from bot.services.identity import Viewer
from bot.services.introductions import (
    IntroductionError,
    decide_introduction,
    request_introduction,
)


def _open_dm(client: WebClient, *users: str) -> str:
    return str(client.conversations_open(users=",".join(users))["channel"]["id"])


@people_only(respond_reply)
def introduce(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    viewer: Viewer,
    engine: Engine,
) -> None:
    ack()
    value = json.loads(body["actions"][0]["value"])
    try:
        request = request_introduction(
            engine=engine,
            asker=viewer,
            member_slug=value["member"],
            question_id=value.get("question"),
        )
    except IntroductionError as exc:
        respond(response_type="ephemeral", replace_original=False, **build_note(str(exc)))
        return
    if request.new and request.contact_slack_user_id is not None:
        dm = _open_dm(client, request.contact_slack_user_id)
        client.chat_postMessage(channel=dm, **build_introduction_request(request))
    respond(response_type="ephemeral", replace_original=False, **build_introduction_asked(request))


def _decide(
    body: dict[str, Any], client: WebClient, respond: Respond, engine: Engine, *, accept: bool
) -> None:
    try:
        request = decide_introduction(
            engine=engine,
            introduction_id=int(body["actions"][0]["value"]),
            by_slack_user_id=body["user"]["id"],
            accept=accept,
        )
    except IntroductionError as exc:
        respond(response_type="ephemeral", replace_original=False, **build_note(str(exc)))
        return
    if request.new and request.accepted:
        group = _open_dm(client, request.asker_slack_user_id, request.contact_slack_user_id or "")
        client.chat_postMessage(channel=group, **build_introduction(request))
    elif request.new:
        dm = _open_dm(client, request.asker_slack_user_id)
        client.chat_postMessage(channel=dm, **build_introduction_declined(request))
    respond(replace_original=True, **build_introduction_answered(request))


def accept_introduction(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, engine: Engine
) -> None:
    ack()
    _decide(body, client, respond, engine, accept=True)


def decline_introduction(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, engine: Engine
) -> None:
    ack()
    _decide(body, client, respond, engine, accept=False)
