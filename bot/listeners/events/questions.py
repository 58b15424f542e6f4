"""A mention or a DM: show the asker the bot is working, then answer in the thread.

A team request in a challenge card's thread ("who is missing?", "summarize") goes to the team
service (`team_thread`); everything else to `answer_question`, which answers from the records
with the thread's earlier questions as context, and says plainly when it cannot (offering the
staff), so a question never meets silence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.answers import build_answer, build_no_answer
from bot.blocks.messages import build_unknown_person
from bot.deps import BotDeps
from bot.listeners.events.team_thread import answer_in_team_thread
from bot.services import answers
from bot.services.identity import Viewer
from storage.db import session_scope
from storage.queries import earlier_questions, log_question

log = logging.getLogger(__name__)
WORKING_REACTION = "eyes"


def answer_question(
    deps: BotDeps, viewer: Viewer, text: str, *, channel: str, thread_ts: str
) -> dict[str, Any]:
    """The reply to a question, as a message payload, with the thread's earlier questions."""
    staff_channel = deps.settings.staff_channel
    try:
        with session_scope(deps.engine) as session:
            earlier = earlier_questions(session=session, channel_id=channel, thread_ts=thread_ts)
            answer = answers.answer_question(
                session=session,
                search=deps.solver_search(),
                viewer=viewer,
                text=text,
                earlier=earlier,
            )
            question_id = log_question(
                session=session,
                person_id=viewer.person_id,
                slack_user_id=viewer.slack_user_id,
                channel_id=channel,
                thread_ts=thread_ts,
                question=text,
                answer=answer.text,
                answered_members=[m.member_slug for m in answer.solvers],
            )
    except Exception:
        # Never silence: whatever broke, the asker hears that the bot could not answer.
        log.exception("answering a question failed")
        return build_no_answer(answers.clean(text), staff_channel=staff_channel)
    return build_answer(answer, staff_channel=staff_channel, question_id=question_id)


def is_follow_up(deps: BotDeps, event: dict[str, Any]) -> bool:
    """A plain reply in a channel thread where the bot already answered a question.

    Mentions are the app_mention listener's; elsewhere the bot speaks only when asked.
    """
    thread_ts = event.get("thread_ts")
    if (
        event.get("subtype")
        or event.get("channel_type") == "im"
        or not thread_ts
        or thread_ts == event.get("ts")
        or "<@" in event.get("text", "")
    ):
        return False
    with session_scope(deps.engine) as session:
        return bool(
            earlier_questions(session=session, channel_id=event["channel"], thread_ts=thread_ts)
        )


def make_question_listener(deps: BotDeps) -> Callable[..., None]:
    def question(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        channel, ts = event["channel"], event["ts"]
        thread_ts = event.get("thread_ts") or ts
        try:
            client.reactions_add(channel=channel, timestamp=ts, name=WORKING_REACTION)
        except SlackApiError as exc:
            log.info("could not add the working reaction: %s", exc.response.get("error"))
        viewer: Viewer | None = context.get("viewer")
        text = event.get("text", "")
        team_reply = None
        if viewer is None:
            reply = build_unknown_person(staff_channel=deps.settings.staff_channel)
        else:
            team_reply = answer_in_team_thread(
                deps, client, viewer, text, channel=channel, thread_ts=thread_ts
            )
            reply = (
                team_reply.payload
                if team_reply
                else answer_question(deps, viewer, text, channel=channel, thread_ts=thread_ts)
            )
        if team_reply is not None and team_reply.private:
            client.chat_postEphemeral(
                channel=channel, user=event["user"], thread_ts=thread_ts, **reply
            )
            return
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, **reply)

    return question


def is_direct_message(event: dict[str, Any]) -> bool:
    """A person's own new message in a DM with the bot (not an edit, join or deletion)."""
    return event.get("channel_type") == "im" and not event.get("subtype")
