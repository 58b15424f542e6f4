"""Buttons on an answer: *Share in channel*, *Not a fit* and *Ask staff*."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.answers import build_staff_question
from bot.blocks.common import message, section
from bot.deps import BotDeps
from bot.listeners.commands.solvers import solvers_reply
from bot.listeners.strangers import people_only, respond_reply
from bot.services.identity import Viewer
from bot.services.matching import set_feedback
from storage.db import session_scope
from storage.models import SuggestionFeedback
from storage.questions import set_question_feedback

log = logging.getLogger(__name__)


def _value(body: dict[str, Any]) -> str:
    return str(body["actions"][0].get("value", ""))


def make_share_action(deps: BotDeps) -> Callable[..., None]:
    @people_only(deps, respond_reply)
    def share(ack: Ack, body: dict[str, Any], respond: Respond, viewer: Viewer) -> None:
        ack()
        reply = solvers_reply(deps, viewer, _value(body), share=False)
        respond(response_type="in_channel", delete_original=True, **reply)

    return share


def make_not_a_fit_action(deps: BotDeps) -> Callable[..., None]:
    def not_a_fit(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        ack()
        viewer: Viewer | None = context.get("viewer")
        value = json.loads(_value(body))
        member, challenge, question = value["member"], value.get("challenge"), value.get("question")
        with session_scope(deps.engine) as session:
            if challenge is not None:
                set_feedback(
                    session=session,
                    challenge_id=int(challenge),
                    member_slug=member,
                    feedback=SuggestionFeedback.NOT_A_FIT,
                    person_id=viewer.person_id if viewer else None,
                )
            if question is not None:
                set_question_feedback(
                    session=session, question_id=int(question), feedback=f"not_a_fit:{member}"
                )
        later = " It is left out of later suggestions for this challenge." if challenge else ""
        text = f"Thanks, noted that this member is not a fit.{later}"
        respond(response_type="ephemeral", replace_original=False, **message(text, [section(text)]))

    return not_a_fit


def make_ask_staff_action(deps: BotDeps) -> Callable[..., None]:
    def ask_staff(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
    ) -> None:
        ack()
        staff_channel = deps.settings.staff_channel
        channel = (body.get("channel") or {}).get("id", "")
        ts = (body.get("container") or {}).get("thread_ts") or (body.get("message") or {}).get(
            "ts", ""
        )
        permalink = ""
        if channel and ts:
            try:
                permalink = str(
                    client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
                )
            except SlackApiError as exc:
                log.info("no permalink for the question: %s", exc.response.get("error"))
        client.chat_postMessage(
            channel=staff_channel,
            **build_staff_question(
                asker_user_id=body["user"]["id"], question=_value(body), permalink=permalink
            ),
        )
        text = "I've passed your question to the cluster's staff; they will reply here."
        respond(response_type="ephemeral", replace_original=False, **message(text, [section(text)]))

    return ask_staff
