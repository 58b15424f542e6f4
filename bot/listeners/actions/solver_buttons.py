"""Buttons on an answer: *Share in channel*, *Not a fit* and *Ask staff*."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.blocks.answers import (
    build_not_a_fit_not_yours,
    build_not_a_fit_noted,
    build_not_a_fit_refused,
    build_passed_to_staff,
    build_staff_question,
)
from bot.listeners.commands.solvers import solvers_reply
from bot.listeners.strangers import people_only, respond_reply
from bot.services.identity import Viewer
from bot.services.llm import LanguageModel
from bot.services.matching import NotAFit, SolverSearch, mark_not_a_fit
from bot.settings import Settings

log = logging.getLogger(__name__)


def _value(body: dict[str, Any]) -> str:
    return str(body["actions"][0].get("value", ""))


@people_only(respond_reply)
def share(
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    viewer: Viewer,
    settings: Settings,
    engine: Engine,
    llm: LanguageModel | None,
    open_search: Callable[[], SolverSearch],
) -> None:
    ack()
    # Posted in the channel: the ranking holds only what everyone there may see, whatever
    # the sharer's own rights (a restricted challenge stays out).
    reply = solvers_reply(
        _value(body),
        viewer=viewer,
        share=False,
        shared=True,
        settings=settings,
        engine=engine,
        llm=llm,
        open_search=open_search,
    )
    respond(response_type="in_channel", delete_original=True, **reply)


@people_only(respond_reply)
def not_a_fit(
    ack: Ack, body: dict[str, Any], respond: Respond, viewer: Viewer, engine: Engine
) -> None:
    ack()
    try:
        value = json.loads(_value(body))
        member = str(value["member"])
        challenge, question = value.get("challenge"), value.get("question")
        challenge_id = int(challenge) if challenge is not None else None
        question_id = int(question) if question is not None else None
    except (ValueError, TypeError, KeyError, AttributeError):
        log.info("ignoring a Not a fit click with a malformed value")
        return
    noted = mark_not_a_fit(
        engine=engine,
        viewer=viewer,
        member_slug=member,
        challenge_id=challenge_id,
        question_id=question_id,
    )
    if noted is NotAFit.REFUSED:
        notice = build_not_a_fit_refused()
    elif noted is NotAFit.NOT_YOURS:
        notice = build_not_a_fit_not_yours()
    else:
        notice = build_not_a_fit_noted(for_a_challenge=noted is NotAFit.CHALLENGE)
    respond(response_type="ephemeral", replace_original=False, **notice)


@people_only(respond_reply)
def ask_staff(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    viewer: Viewer,
    settings: Settings,
) -> None:
    """Only people in the records reach the staff channel (a stranger's forged click would
    post anything there in the bot's name)."""
    ack()
    channel = (body.get("channel") or {}).get("id", "")
    ts = (body.get("container") or {}).get("thread_ts") or (body.get("message") or {}).get("ts", "")
    permalink = ""
    if channel and ts:
        try:
            permalink = str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except SlackApiError as exc:
            log.info("no permalink for the question: %s", exc.response.get("error"))
    client.chat_postMessage(
        channel=settings.staff_channel,
        **build_staff_question(
            asker_user_id=body["user"]["id"], question=_value(body), permalink=permalink
        ),
    )
    respond(response_type="ephemeral", replace_original=False, **build_passed_to_staff())
