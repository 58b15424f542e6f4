"""A mention or a DM: show the asker the bot is working, then answer in the thread.

A team request in a challenge card's thread ("who is missing?", "summarize") goes to the team
service (`team_thread`); everything else to the question service (`questions.asking`), which
remembers the thread, answers from the records and logs the question. With a language model,
the written answer streams into the thread with Slack's streaming methods (`StreamedMessage`),
or, where Slack will not stream (or SLACK_STREAMING is off), into a first message edited as
the model writes (`DraftMessage`); the finished message always holds the template answer too.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext
from slack_bolt.kwargs_injection import Args
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.chat_stream import ChatStream
from sqlalchemy import Engine

from bot.blocks.answers import (
    build_answer,
    build_below_written_answer,
    build_working,
    build_written_answer,
    build_written_draft,
)
from bot.blocks.common import escape
from bot.blocks.messages import build_answer_failed
from bot.deps import AnswerSlots
from bot.listeners.events.team_thread import answer_in_team_thread
from bot.listeners.strangers import people_only
from bot.services.identity import Viewer
from bot.services.language import detect_language
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch
from bot.services.questions.asking import STORE_ERRORS, Reply, Thread, reply_to
from bot.services.questions.understanding import clean
from bot.services.slack_events import answering
from bot.settings import Settings

log = logging.getLogger(__name__)
WORKING_REACTION = "eyes"
# Characters of a written answer slack_sdk's ChatStream gathers before each chat.appendStream:
# a few words each time, well within Slack's rate limits for a long answer.
STREAM_BUFFER = 120
# Where a sentence of the written answer ends: a stop and a space, or a line break.
SENTENCE_END = re.compile(r"[.!?…:]\)?\s+|\n+")
# Seconds between updates of a message while its answer is written: Slack allows chat.update
# about 50 times a minute, and a few words more each time is all a reader needs.
UPDATE_INTERVAL = 1.5


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


class DraftMessage:
    """The message the written answer grows in: posted when the model starts writing,
    updated at most every UPDATE_INTERVAL seconds, replaced by the final answer.

    ``earlier``: the message an earlier attempt at this answer was written in (it failed, and
    the question was taken up again): this attempt writes and finishes its answer there, so
    no unfinished draft is left above the answer. ``on_posted`` hears the ts of a message
    posted for the answer, for a later attempt to find."""

    def __init__(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str,
        language: str,
        *,
        earlier: str | None = None,
        on_posted: Callable[[str], None] = lambda ts: None,
    ) -> None:
        self.client, self.channel, self.thread_ts = client, channel, thread_ts
        self.language = language
        self.ts: str | None = earlier
        self.on_posted = on_posted
        self._restart = earlier is not None
        self._last = 0.0

    def show(self, text: str) -> None:
        if self.ts is None:
            posted = self.client.chat_postMessage(
                channel=self.channel, thread_ts=self.thread_ts, **build_working(self.language)
            )
            self.ts, self._last = str(posted["ts"]), time.monotonic()
            self.on_posted(self.ts)
            return
        if self._restart:
            # The earlier attempt's text may have been cut short: working again, from the start.
            self._restart, self._last = False, time.monotonic()
            try:
                self.client.chat_update(
                    channel=self.channel, ts=self.ts, **build_working(self.language)
                )
            except Exception as exc:
                log.info("could not restart the earlier draft: %s", exc)
            return
        if time.monotonic() - self._last < UPDATE_INTERVAL or not DRAFT_PACE.take():
            return
        self._last = time.monotonic()
        try:
            self.client.chat_update(channel=self.channel, ts=self.ts, **build_written_draft(text))
        except Exception as exc:
            # A skipped progress update costs nothing: the final one carries it all.
            log.info("could not update the answer's draft: %s", exc)

    def finish(self, ending: Ending) -> None:
        """The final answer in place of the draft; posted anew if Slack will not update it."""
        payload = ending.payload
        if self.ts is not None:
            try:
                self.client.chat_update(channel=self.channel, ts=self.ts, **payload)
                return
            except Exception as exc:
                log.warning("could not finish the answer in place (%s), posting it instead", exc)
        self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, **payload)


@dataclass(frozen=True)
class Ending:
    """How an answer ends: the whole message, and for a written answer its text and what goes
    under it (what a stream still lacks when it stops)."""

    payload: dict[str, Any]
    written: str | None = None
    below: list[dict[str, Any]] | None = None


class StreamedMessage:
    """The written answer streamed with Slack's own methods (chat.startStream, appendStream,
    stopStream, through slack_sdk's `WebClient.chat_stream`), the sources and the solvers'
    buttons added when the stream stops.

    Where Slack will not start a stream (an error from chat.startStream: a workspace or proxy
    without the methods) the draft editing of `DraftMessage` takes over for this answer. Text
    once streamed cannot be taken back, so only whole sentences that passed the checks go out,
    and when the final answer is not what was streamed (a later sentence failed a check, and
    the template answer stands) the message is replaced with chat.update.
    """

    def __init__(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str,
        language: str,
        *,
        recipient_user_id: str,
        recipient_team_id: str | None,
        on_posted: Callable[[str], None] = lambda ts: None,
    ) -> None:
        self.client, self.channel, self.thread_ts = client, channel, thread_ts
        self.recipient_user_id, self.recipient_team_id = recipient_user_id, recipient_team_id
        self.draft = DraftMessage(client, channel, thread_ts, language, on_posted=on_posted)
        self.stream: ChatStream | None = None
        #: The (escaped) text handed to the stream so far, sent or still in its buffer.
        self.sent = ""
        #: The stream takes no more text: Slack refused an append, or the text was rewritten.
        self.broken = False
        self.fell_back = False

    @property
    def language(self) -> str:
        return self.draft.language

    def show(self, text: str) -> None:
        if self.fell_back:
            self.draft.show(text)
            return
        shown = escape(text)
        if self.broken or not shown.startswith(self.sent):
            self.broken = True
            return
        # Whole sentences only: one is streamed once it is complete and its citations and
        # names have passed the checks (a citation of no source ends a sentence before Slack
        # sees it), and the text up to it can no longer change.
        ends = [m.end() for m in SENTENCE_END.finditer(shown)]
        ready = shown[: ends[-1]] if ends else ""
        if len(ready) <= len(self.sent):
            return
        first = self.stream is None
        stream = self.stream or self._open()
        try:
            # The first sentence starts the stream at once (chunks, even none, make ChatStream
            # send its buffer): the reader sees the answer begin, and a workspace that cannot
            # stream is known early enough for the drafts to take over.
            stream.append(markdown_text=ready[len(self.sent) :], chunks=[] if first else None)
        except Exception as exc:
            if stream.ts is None:
                log.info("Slack will not stream the answer (%s); editing a draft instead", exc)
                self.fell_back, self.stream = True, None
                self.draft.show("")
                self.draft.show(text)
            else:
                log.info("Slack refused more of the streamed answer: %s", exc)
                self.broken = True
            return
        if first and stream.ts is not None:
            self.draft.on_posted(stream.ts)
        self.sent = ready

    def finish(self, ending: Ending) -> None:
        written = escape(ending.written) if ending.written is not None else None
        if self.fell_back or (self.stream is None and written is None):
            # Drafts, or a template answer with nothing streamed: one message, as ever.
            self.draft.finish(ending)
            return
        stream = self.stream or self._open()
        try:
            if written is not None and not self.broken and written.startswith(self.sent):
                # The rest of the text, the sources and the buttons (a one-sentence answer
                # starts and stops its stream here).
                stream.stop(markdown_text=written[len(self.sent) :], blocks=ending.below)
                return
            if stream.ts is not None:
                stream.stop()
        except Exception as exc:
            log.warning("could not finish the answer's stream (%s); sending it whole", exc)
        # What was streamed is not the answer (or nothing could be): the whole answer.
        self.draft.ts = stream.ts
        self.draft.finish(ending)

    def _open(self) -> ChatStream:
        self.stream = self.client.chat_stream(
            channel=self.channel,
            thread_ts=self.thread_ts,
            recipient_user_id=self.recipient_user_id,
            recipient_team_id=self.recipient_team_id,
            buffer_size=STREAM_BUFFER,
        )
        return self.stream


def _show_working(client: WebClient, event: dict[str, Any]) -> str:
    """The working reaction on the asker's message; the thread the answer goes in."""
    ts = event["ts"]
    try:
        client.reactions_add(channel=event["channel"], timestamp=ts, name=WORKING_REACTION)
    except SlackApiError as exc:
        log.info("could not add the working reaction: %s", exc.response.get("error"))
    return str(event.get("thread_ts") or ts)


def _question_id(body: dict[str, Any]) -> str | None:
    event_id = body.get("event_id")
    return event_id if isinstance(event_id, str) and event_id else None


def _stranger_reply(args: Args, reply: dict[str, Any]) -> None:
    # Events are acknowledged by Bolt; a stranger sees the same reaction, then the reply.
    assert args.event is not None
    engine: Engine = args.context["engine"]
    with answering(engine=engine, event_id=_question_id(args.body)) as lease:
        if lease is None:
            return
        thread_ts = _show_working(args.client, args.event)
        if lease.still_ours():
            args.client.chat_postMessage(
                channel=args.event["channel"], thread_ts=thread_ts, **reply
            )
            lease.finish(answered=True)


def _pending_reply(args: Args, reply: dict[str, Any]) -> None:
    # Slack would not say who asked: said once, and the question waits (not held, not marked)
    # for the recovery to bring it back once Slack answers.
    assert args.event is not None
    thread_ts = _show_working(args.client, args.event)
    args.client.chat_postMessage(channel=args.event["channel"], thread_ts=thread_ts, **reply)


def _ending(reply: Reply, settings: Settings) -> Ending:
    staff, question_id = settings.staff_channel, reply.question_id
    if reply.written is not None:
        return Ending(
            build_written_answer(
                reply.answer, reply.written, staff_channel=staff, question_id=question_id
            ),
            reply.written.text,
            build_below_written_answer(
                reply.answer, reply.written, staff_channel=staff, question_id=question_id
            ),
        )
    return Ending(build_answer(reply.answer, staff_channel=staff, question_id=question_id))


@people_only(_stranger_reply, pending=_pending_reply)
def question(
    event: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    viewer: Viewer,
    settings: Settings,
    engine: Engine,
    llm: LanguageModel | None,
    open_search: Callable[[], SolverSearch],
    answer_slots: AnswerSlots,
) -> None:
    """Answer once: the delivery is held (in any process) while the work goes on and marked
    answered after it (`slack_events.answering`). A failure that retrying mends (the store,
    Slack refusing the answer) leaves it to be taken up again (`bot.recovery`); any other
    failure is said as an error. The working sign goes up at once; the question is claimed
    and worked out in its turn (`AnswerSlots`: ANSWER_CONCURRENCY at once in a process)."""
    thread_ts = _show_working(client, event)
    with (
        answer_slots.turn() as worked_out,
        answering(engine=engine, event_id=_question_id(body)) as lease,
    ):
        if lease is None:
            log.info("question %s is answered, or being answered elsewhere", _question_id(body))
            return
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


def answer_in_thread(
    event: dict[str, Any],
    client: WebClient,
    viewer: Viewer,
    *,
    thread_ts: str,
    team_id: str | None,
    settings: Settings,
    engine: Engine,
    llm: LanguageModel | None,
    open_search: Callable[[], SolverSearch],
    still_ours: Callable[[], bool] = lambda: True,
    worked_out: Callable[[], None] = lambda: None,
    earlier_draft: str | None = None,
    keep_draft: Callable[[str], None] = lambda ts: None,
) -> bool:
    """Everything after the working sign, the same for a mention, a DM and a message in the
    assistant container: a team request, else the question service's answer in the thread.
    False when the store failed: nothing was posted, the question waits for `bot.recovery`;
    False too when ``still_ours`` (asked right before the answer is posted) says another
    process has taken the question over: its answer is the one that counts. ``worked_out``
    is called once the answer is worked out, before it is posted (the question leaves its
    answering slot: a post waiting out Slack's rate limit holds none)."""
    channel = event["channel"]
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
    if team_reply is not None:
        worked_out()
        if not still_ours():
            return False
        if team_reply.private:
            client.chat_postEphemeral(
                channel=channel, user=event["user"], thread_ts=thread_ts, **team_reply.payload
            )
        else:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, **team_reply.payload)
        return True
    asked = clean(text)
    language = detect_language(asked) if asked else "en"
    draft: DraftMessage | StreamedMessage = (
        StreamedMessage(
            client,
            channel,
            thread_ts,
            language,
            recipient_user_id=event["user"],
            recipient_team_id=team_id,
            on_posted=keep_draft,
        )
        if settings.slack_streaming and earlier_draft is None
        # A failed attempt's message is edited into the answer (a stream cannot be resumed).
        else DraftMessage(
            client, channel, thread_ts, language, earlier=earlier_draft, on_posted=keep_draft
        )
    )
    try:
        reply = reply_to(
            engine=engine,
            search=open_search(),
            viewer=viewer,
            text=text,
            thread=Thread(channel, thread_ts),
            llm=llm,
            operator_slug=settings.operator_member,
            on_draft=draft.show,
        )
        ending = _ending(reply, settings)
    except STORE_ERRORS as exc:
        log.warning(
            "the store failed while answering (%s); the question is answered once it is back",
            type(exc).__name__,
        )
        return False
    except Exception:
        log.exception("answering a question failed")
        # Never silence, and never "no answer in the records" for what was an error.
        ending = Ending(build_answer_failed())
    worked_out()
    if not still_ours():
        log.info("another process took this question over; its answer stands")
        return False
    draft.finish(ending)
    return True


def is_direct_message(event: dict[str, Any]) -> bool:
    """A person's own new message in a DM with the bot (not an edit, join or deletion)."""
    return event.get("channel_type") == "im" and not event.get("subtype")
