"""A person's message in an assistant thread: the status while the answer is prepared, the
thread's title from its first question, then the answer exactly as in a DM."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_bolt.context.set_status import SetStatus
from slack_bolt.context.set_title import SetTitle
from slack_bolt.kwargs_injection import Args
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.blocks.assistant import assistant_status, thread_title
from bot.deps import AnswerSlots
from bot.listeners.events.questions import WORKING_REACTION, answer_in_thread
from bot.listeners.strangers import people_only
from bot.services.identity import Viewer
from bot.services.language import detect_language
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch
from bot.services.questions.asking import Thread, asked_in_thread
from bot.services.questions.understanding import clean
from bot.services.slack_events import answering
from bot.settings import Settings

log = logging.getLogger(__name__)


def _event_id(body: dict[str, Any]) -> str | None:
    event_id = body.get("event_id")
    return event_id if isinstance(event_id, str) and event_id else None


def _stranger_reply(args: Args, reply: dict[str, Any]) -> None:
    """The reply answers the kept message, as an answer does: held, posted, marked (else the
    recovery would tell the stranger again)."""
    assert args.event is not None
    event = args.event
    with answering(engine=args.context["engine"], event_id=_event_id(args.body)) as lease:
        if lease is None or not lease.still_ours():
            return
        args.client.chat_postMessage(
            channel=event["channel"], thread_ts=event["thread_ts"], **reply
        )
        lease.finish(answered=True)


def _pending_reply(args: Args, reply: dict[str, Any]) -> None:
    # Said once; the message waits for the recovery until Slack says who wrote it.
    assert args.event is not None
    event = args.event
    args.client.chat_postMessage(channel=event["channel"], thread_ts=event["thread_ts"], **reply)


def _show_status(client: WebClient, event: dict[str, Any], set_status: SetStatus) -> None:
    """The assistant's status under the thread; where Slack refuses it (a reply in a plain
    DM thread, which Bolt's Assistant also hands here) the working reaction, as in a DM."""
    language = detect_language(clean(event.get("text", "")))
    try:
        set_status(status=assistant_status(language))
    except SlackApiError as exc:
        log.info("no assistant status (%s); reacting instead", exc.response.get("error"))
        try:
            client.reactions_add(
                channel=event["channel"], timestamp=event["ts"], name=WORKING_REACTION
            )
        except SlackApiError as error:
            log.info("could not add the working reaction: %s", error.response.get("error"))


def _name_thread(
    event: dict[str, Any], set_title: SetTitle, engine: Engine, thread: Thread
) -> None:
    """The first question names the thread; later ones continue it."""
    if asked_in_thread(engine=engine, thread=thread):
        return
    try:
        set_title(thread_title(clean(event.get("text", ""))))
    except SlackApiError as exc:
        log.info("could not set the assistant thread's title: %s", exc.response.get("error"))


@people_only(_stranger_reply, pending=_pending_reply)
def user_message(
    event: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    set_status: SetStatus,
    set_title: SetTitle,
    viewer: Viewer,
    settings: Settings,
    engine: Engine,
    llm: LanguageModel | None,
    open_search: Callable[[], SolverSearch],
    answer_slots: AnswerSlots,
) -> None:
    # Kept before the ack like a DM's question (bot.recovery): held once, marked when answered,
    # worked out in its turn (the status goes up once it is claimed: it stays until answered).
    with (
        answer_slots.turn() as worked_out,
        answering(engine=engine, event_id=_event_id(body)) as lease,
    ):
        if lease is None:
            return
        thread_ts = str(event["thread_ts"])
        _show_status(client, event, set_status)
        _name_thread(event, set_title, engine, Thread(event["channel"], thread_ts))
        answered = answer_in_thread(
            event,
            client,
            viewer,
            thread_ts=thread_ts,
            team_id=context.team_id,
            settings=settings,
            engine=engine,
            llm=llm,
            open_search=open_search,
            still_ours=lease.still_ours,
            worked_out=worked_out,
            earlier_draft=lease.earlier_draft,
            keep_draft=lease.note_draft,
        )
        lease.finish(answered)
