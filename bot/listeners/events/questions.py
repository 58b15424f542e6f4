"""A mention or a DM: show the asker the bot is working, then answer in the thread.

A team request in a challenge card's thread ("who is missing?", "summarize") goes to the team
service (`team_thread`); everything else to `answer_question`, which answers from the records
with the thread's earlier questions as context, and says plainly when it cannot (offering the
staff), so a question never meets silence. With a language model, a first message goes out at
once and the written answer streams into it; if the model fails in any way, that message
becomes the template answer, with no error shown.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt.kwargs_injection import Args
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.blocks.answers import (
    build_answer,
    build_no_answer,
    build_working,
    build_written_answer,
    build_written_draft,
)
from bot.deps import BotDeps
from bot.listeners.events.team_thread import answer_in_team_thread
from bot.listeners.strangers import people_only
from bot.services import answers
from bot.services.identity import Viewer
from bot.services.language import detect_language
from bot.services.llm import LanguageModel, LanguageModelError
from bot.services.matching import SolverSearch
from bot.settings import Settings
from storage.db import session_scope
from storage.questions import earlier_questions, log_question

log = logging.getLogger(__name__)
WORKING_REACTION = "eyes"
# Seconds between updates of a message while its answer is written: Slack allows chat.update
# about 50 times a minute, and a few words more each time is all a reader needs.
UPDATE_INTERVAL = 1.5


def find_answer(
    deps: BotDeps, viewer: Viewer, text: str, *, channel: str, thread_ts: str
) -> answers.Answer | None:
    """What the records say to ``text``, with the thread's earlier questions; None if it broke.

    A Finnish problem is translated between two sessions, so no database connection waits
    on the model; in a channel, the answer leaves out what not every member may see.
    """
    try:
        with session_scope(deps.engine) as session:
            earlier = earlier_questions(session=session, channel_id=channel, thread_ts=thread_ts)
        search = deps.solver_search()
        searched = answers.search_for_question(
            text, earlier=earlier, llm=deps.llm, viewer=viewer, english_only=search.english_only
        )
        with session_scope(deps.engine) as session:
            return answers.answer_question(
                session=session,
                search=search,
                viewer=viewer,
                text=text,
                earlier=earlier,
                searched=searched,
                shared=not is_direct_channel(channel),
            )
    except Exception:
        log.exception("answering a question failed")
        return None


def is_direct_channel(channel: str) -> bool:
    """A DM with the bot: only the asker reads the answer."""
    return channel.startswith("D")


def remember_answer(
    deps: BotDeps,
    viewer: Viewer,
    text: str,
    said: str,
    members: list[str],
    *,
    channel: str,
    thread_ts: str,
) -> int:
    """Log the question with the answer that went out; the log entry's id."""
    with session_scope(deps.engine) as session:
        return log_question(
            session=session,
            person_id=viewer.person_id,
            slack_user_id=viewer.slack_user_id,
            channel_id=channel,
            thread_ts=thread_ts,
            question=text,
            answer=said,
            answered_members=members,
        )


def _members(answer: answers.Answer) -> list[str]:
    return [m.member_slug for m in answer.solvers]


def _nothing_found(deps: BotDeps, text: str) -> dict[str, Any]:
    # Never silence: whatever broke, the asker hears that the bot could not answer.
    question = answers.clean(text)
    return build_no_answer(
        question,
        staff_channel=deps.settings.staff_channel,
        language=detect_language(question) if question else "en",
    )


def template_answer(
    deps: BotDeps,
    viewer: Viewer,
    text: str,
    answer: answers.Answer | None,
    *,
    channel: str,
    thread_ts: str,
) -> dict[str, Any]:
    """The answer built from the templates, logged; the no-answer message if anything broke."""
    if answer is None:
        return _nothing_found(deps, text)
    try:
        question_id = remember_answer(
            deps, viewer, text, answer.text, _members(answer), channel=channel, thread_ts=thread_ts
        )
    except Exception:
        log.exception("logging a question failed")
        return _nothing_found(deps, text)
    return build_answer(answer, staff_channel=deps.settings.staff_channel, question_id=question_id)


def answer_question(
    deps: BotDeps, viewer: Viewer, text: str, *, channel: str, thread_ts: str
) -> dict[str, Any]:
    """The reply to a question from the templates, as a message payload."""
    answer = find_answer(deps, viewer, text, channel=channel, thread_ts=thread_ts)
    return template_answer(deps, viewer, text, answer, channel=channel, thread_ts=thread_ts)


def _update(client: WebClient, channel: str, ts: str, payload: dict[str, Any]) -> None:
    client.chat_update(channel=channel, ts=ts, **payload)


class DraftPace:
    """Draft updates for the whole process at most every ``interval`` seconds.

    Slack allows an app about 50 chat.update calls a minute in a workspace, however many
    answers are being written at once; a draft that would go over is skipped, since the
    final update carries everything anyway.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last = 0.0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.interval:
                return False
            self._last = now
            return True


DRAFT_PACE = DraftPace(60 / 45)


def _finish_message(
    client: WebClient, channel: str, thread_ts: str, ts: str, payload: dict[str, Any]
) -> None:
    """Replace the first message with ``payload``; post it anew if Slack will not update it."""
    try:
        _update(client, channel, ts, payload)
        return
    except Exception as exc:
        log.warning("could not finish the answer in place (%s), posting it instead", exc)
    client.chat_postMessage(channel=channel, thread_ts=thread_ts, **payload)


def write_answer_in_thread(
    deps: BotDeps,
    llm: LanguageModel,
    client: WebClient,
    viewer: Viewer,
    text: str,
    answer: answers.Answer,
    *,
    channel: str,
    thread_ts: str,
) -> None:
    """Post a first message at once, stream the model's answer into it, then finish it.

    The finished message is the written answer with its sources and the solvers' buttons;
    when the model fails (limit, timeout, a broken stream, a citation of no source) it is the
    template answer instead, exactly as without a model.
    """
    first = client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, **build_working(answer.language)
    )
    ts = str(first["ts"])
    written: answers.WrittenAnswer | None = None
    try:
        so_far = ""
        last_update = time.monotonic()
        for so_far in answers.stream_written_answer(llm=llm, answer=answer, viewer=viewer):
            if time.monotonic() - last_update >= UPDATE_INTERVAL and DRAFT_PACE.take():
                last_update = time.monotonic()
                try:
                    _update(client, channel, ts, build_written_draft(so_far))
                except Exception as exc:
                    # A skipped progress update costs nothing: the final one carries it all.
                    log.info("could not update the answer's draft: %s", exc)
        written = answers.written_answer(so_far, answer)
    except LanguageModelError as exc:
        log.info("written answer not used, template instead: %s", exc)
    except Exception:
        log.exception("writing an answer failed, template instead")
    if written is None:
        payload = template_answer(deps, viewer, text, answer, channel=channel, thread_ts=thread_ts)
    elif not written.answers_the_question:
        # No citation: the model found no answer in the records. Say so as the template does
        # and offer the staff, rather than show text no record backs.
        payload = build_no_answer(
            answer.question.subject,
            staff_channel=deps.settings.staff_channel,
            language=answer.language,
        )
        _remember(deps, viewer, text, payload["text"], [], channel=channel, thread_ts=thread_ts)
    else:
        question_id = _remember(
            deps, viewer, text, written.text, _members(answer), channel=channel, thread_ts=thread_ts
        )
        try:
            _update(
                client, channel, ts, build_written_answer(answer, written, question_id=question_id)
            )
            return
        except Exception as exc:
            # Slack refused the written answer's blocks, or could not be reached: the
            # template still answers.
            log.warning("could not show the written answer: %s", exc)
            payload = build_answer(
                answer, staff_channel=deps.settings.staff_channel, question_id=question_id
            )
    _finish_message(client, channel, thread_ts, ts, payload)


def _remember(
    deps: BotDeps,
    viewer: Viewer,
    text: str,
    said: str,
    members: list[str],
    *,
    channel: str,
    thread_ts: str,
) -> int | None:
    try:
        return remember_answer(
            deps, viewer, text, said, members, channel=channel, thread_ts=thread_ts
        )
    except Exception:
        # The answer still goes out; only its log entry (and the buttons' link to it) is lost.
        log.exception("logging a question failed")
        return None


def is_follow_up(event: dict[str, Any], engine: Engine) -> bool:
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
    with session_scope(engine) as session:
        return bool(
            earlier_questions(session=session, channel_id=event["channel"], thread_ts=thread_ts)
        )


def _show_working(client: WebClient, event: dict[str, Any]) -> str:
    """The working reaction on the asker's message; the thread the answer goes in."""
    ts = event["ts"]
    try:
        client.reactions_add(channel=event["channel"], timestamp=ts, name=WORKING_REACTION)
    except SlackApiError as exc:
        log.info("could not add the working reaction: %s", exc.response.get("error"))
    return str(event.get("thread_ts") or ts)


def _stranger_reply(args: Args, reply: dict[str, Any]) -> None:
    # Events are acknowledged by Bolt; a stranger sees the same reaction, then the reply.
    assert args.event is not None
    thread_ts = _show_working(args.client, args.event)
    args.client.chat_postMessage(channel=args.event["channel"], thread_ts=thread_ts, **reply)


@people_only(_stranger_reply)
def question(
    event: dict[str, Any],
    client: WebClient,
    viewer: Viewer,
    settings: Settings,
    engine: Engine,
    llm: LanguageModel | None,
    open_search: Callable[[], SolverSearch],
) -> None:
    channel = event["channel"]
    thread_ts = _show_working(client, event)
    text = event.get("text", "")
    team_reply = answer_in_team_thread(
        client,
        viewer,
        text,
        channel=channel,
        thread_ts=thread_ts,
        engine=engine,
        llm=llm,
        open_search=open_search,
    )
    deps = BotDeps(settings=settings, engine=engine, search=open_search(), llm=llm)
    if team_reply is None:
        answer = find_answer(deps, viewer, text, channel=channel, thread_ts=thread_ts)
        if llm is not None and answer is not None and answer.worth_writing:
            write_answer_in_thread(
                deps, llm, client, viewer, text, answer, channel=channel, thread_ts=thread_ts
            )
            return
        reply = template_answer(deps, viewer, text, answer, channel=channel, thread_ts=thread_ts)
    else:
        reply = team_reply.payload
    if team_reply is not None and team_reply.private:
        client.chat_postEphemeral(channel=channel, user=event["user"], thread_ts=thread_ts, **reply)
        return
    client.chat_postMessage(channel=channel, thread_ts=thread_ts, **reply)


def is_direct_message(event: dict[str, Any]) -> bool:
    """A person's own new message in a DM with the bot (not an edit, join or deletion)."""
    return event.get("channel_type") == "im" and not event.get("subtype")
