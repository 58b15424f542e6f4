"""Cross-cutting rules run on every request before a listener sees it.

Order matters: the bot's dependencies go into Bolt's context first (listeners take them by
name: ``settings``, ``engine``, ``llm``, ``open_search``, ``answer_slots``), then other bots
are dropped, then Slack's retried events and replayed commands and interactions (before
anything is looked up twice). Nothing here is slow: who the Slack user is (``viewer``) is
looked up only after the acknowledgement, by the listener wrappers in
`bot.listeners.strangers`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.deps import BotDeps
from bot.services.identity import IdentityUnavailable, Viewer, identify_slack_user
from bot.services.questions.asking import STORE_ERRORS, Thread, asked_in_thread
from bot.services.slack_events import first_delivery

log = logging.getLogger(__name__)

Next = Callable[[], None]
# Context key of a question's delivery that this bot takes up again (`bot.recovery`).
REDELIVERY = "scic_redelivery"
# How long to remember that a Slack user is not in the records, so that a stranger clicking
# around does not cost a users.info call per click; staff adding them shows within a minute.
UNKNOWN_USER_TTL = 60.0


def _event(body: dict[str, Any]) -> dict[str, Any]:
    event = body.get("event")
    return event if isinstance(event, dict) else {}


def is_from_a_bot(body: dict[str, Any]) -> bool:
    """Messages by any bot (ours included) or integration: the bot never answers those."""
    event = _event(body)
    return bool(event.get("bot_id")) or event.get("subtype") == "bot_message"


def skip_bot_messages(body: dict[str, Any], next: Next) -> BoltResponse | None:
    if is_from_a_bot(body):
        # 200, so that Slack does not retry something we chose to ignore.
        return BoltResponse(status=200, body="")
    next()
    return None


def provide_dependencies(deps: BotDeps) -> Callable[..., None]:
    def dependencies(context: BoltContext, next: Next) -> None:
        """What listeners take by name, put in the context once instead of a factory each."""
        context["settings"] = deps.settings
        context["engine"] = deps.engine
        context["llm"] = deps.llm
        context["answer_slots"] = deps.answering
        # Opened on first use (a search right after an import waits for the index then).
        context["open_search"] = deps.solver_search
        next()

    return dependencies


def delivery_key(body: dict[str, Any]) -> str | None:
    """What makes a request one of a kind: an event's id (Slack retries events with the same
    id), or the trigger id every slash command and interaction carries (a replayed request
    carries the same one). None for requests that have neither."""
    event_id = body.get("event_id")
    if body.get("type") == "event_callback" and isinstance(event_id, str) and event_id:
        return event_id
    trigger_id = body.get("trigger_id")
    if isinstance(trigger_id, str) and trigger_id:
        key = f"trigger:{trigger_id}"
        # Receipts keep 64 characters; Slack's trigger ids are about 45.
        return key if len(key) <= 64 else "trigger:" + hashlib.sha256(key.encode()).hexdigest()
    return None


# Context key: whether this message is a follow-up in a channel thread where the bot answered
# (read once, by the deduplication, and used again by the follow-up listener's matcher).
FOLLOW_UP = "scic_follow_up"


def is_a_question(body: dict[str, Any]) -> bool:
    """A mention of the bot or a person's DM to it: a delivery kept until it is answered.
    (A follow-up in a channel thread is kept too, once the store says the bot answered in that
    thread: `is_follow_up`.)"""
    event = _event(body)
    if body.get("type") != "event_callback" or not event.get("user") or is_from_a_bot(body):
        return False
    if event.get("type") == "app_mention":
        return True
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and not event.get("subtype")
    )


def is_thread_reply(body: dict[str, Any]) -> bool:
    """A person's plain reply in a channel thread (no mention: those are `app_mention`s)."""
    event = _event(body)
    thread_ts = event.get("thread_ts")
    return (
        body.get("type") == "event_callback"
        and event.get("type") == "message"
        and bool(event.get("user"))
        and not is_from_a_bot(body)
        and not event.get("subtype")
        and event.get("channel_type") != "im"
        and bool(thread_ts)
        and thread_ts != event.get("ts")
        and "<@" not in str(event.get("text", ""))
    )


def is_follow_up(body: dict[str, Any], context: BoltContext, engine: Engine) -> bool:
    """A reply in a channel thread where the bot already answered a question: answered, and
    kept until it is, like a mention. Elsewhere the bot speaks only when asked."""
    known = context.get(FOLLOW_UP)
    if known is None:
        event = _event(body)
        known = is_thread_reply(body) and asked_in_thread(
            engine=engine, thread=Thread(event["channel"], str(event["thread_ts"]))
        )
        context[FOLLOW_UP] = known
    return bool(known)


def is_kept_question(body: dict[str, Any], context: BoltContext) -> bool:
    """Whether this request's delivery was kept before the ack, to be answered (and taken up
    again by `bot.recovery` until it is)."""
    return is_a_question(body) or bool(context.get(FOLLOW_UP))


def make_event_deduplication(deps: BotDeps) -> Callable[..., BoltResponse | None]:
    def skip_repeated_deliveries(
        body: dict[str, Any], context: BoltContext, next: Next
    ) -> BoltResponse | None:
        if context.get(REDELIVERY):
            # Taken up again by this bot (`bot.recovery`): already recorded, not a repeat.
            next()
            return None
        key = delivery_key(body)
        asked = is_a_question(body)
        try:
            question = asked or is_follow_up(body, context, deps.engine)
            kept = json.dumps(body) if question else None
            first = key is None or first_delivery(engine=deps.engine, event_id=key, body=kept)
        except STORE_ERRORS as exc:
            if key is None or not (asked or is_thread_reply(body)):
                raise  # not a question: HTTP 500, and Slack delivers it again
            # A question (or a thread reply that may follow one up): written down here,
            # acknowledged, and handed to the app again once the store is back.
            deps.journal().keep(key, json.dumps(body))
            log.warning(
                "the store is unavailable (%s); %s is kept in the outage journal",
                type(exc).__name__,
                key,
            )
            return BoltResponse(status=200, body="")
        if not first:
            log.info("%s was already handled; skipping the repeat", key)
            return BoltResponse(status=200, body="")
        next()
        return None

    return skip_repeated_deliveries


def assistant_thread_user(body: dict[str, Any]) -> str | None:
    """Who opened an assistant thread: Bolt finds no user in that event, it sits in the
    thread (``event.assistant_thread.user_id``)."""
    thread = _event(body).get("assistant_thread")
    user_id = thread.get("user_id") if isinstance(thread, dict) else None
    return user_id if isinstance(user_id, str) and user_id else None


def _profile_email(client: WebClient, user_id: str) -> Callable[[], str | None]:
    def fetch() -> str | None:
        try:
            # The client retries 429 (after Retry-After), 5xx and dropped connections itself.
            response = client.users_info(user=user_id)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in ("user_not_found", "users_not_found"):
                return None
            log.warning("users.info failed for %s: %s", user_id, error)
            raise IdentityUnavailable(f"users.info failed: {error}") from exc
        except OSError as exc:
            log.warning("users.info failed for %s: %s", user_id, type(exc).__name__)
            raise IdentityUnavailable(f"users.info failed: {type(exc).__name__}") from exc
        profile = (response.get("user") or {}).get("profile") or {}
        email = profile.get("email")
        return email if isinstance(email, str) and email else None

    return fetch


def make_identification(deps: BotDeps) -> Callable[..., None]:
    unknown_until: dict[str, float] = {}
    lock = threading.Lock()
    # One lookup per user at a time: requests are acknowledged before they are identified, so
    # a user's quick clicks would otherwise each ask users.info before the first link is kept.
    user_locks = [threading.Lock() for _ in range(64)]

    def identify(client: WebClient, user_id: str, *, ask_slack: bool) -> Viewer | None:
        with user_locks[hash(user_id) % len(user_locks)]:
            with lock:
                if unknown_until.get(user_id, 0.0) > time.monotonic():
                    return None
            viewer = identify_slack_user(
                engine=deps.engine,
                slack_user_id=user_id,
                profile_email=_profile_email(client, user_id) if ask_slack else lambda: None,
            )
            if viewer is None and ask_slack:
                with lock:
                    unknown_until[user_id] = time.monotonic() + UNKNOWN_USER_TTL
            return viewer

    def provide_identification(
        context: BoltContext, body: dict[str, Any], client: WebClient, next: Next
    ) -> None:
        """Put ``context["identify_viewer"]`` in the context: a function the listener calls
        after the acknowledgement (see `bot.listeners.strangers`), since it may read the store
        and ask Slack's users.info. It returns the Viewer, None for a stranger, or raises
        IdentityUnavailable; the answer is kept for the rest of the request.

        A modal's submission is identified before its acknowledgement (which carries the
        form's errors), so from the store alone: whoever submits a modal opened it, and was
        identified and linked then; Slack's users.info is never awaited before an ack."""
        # An assistant thread's opener is not where Bolt looks for a user.
        user_id = context.user_id or assistant_thread_user(body)
        ask_slack = body.get("type") != "view_submission"
        found: list[Viewer | None] = []

        def identify_viewer() -> Viewer | None:
            if not found:
                found.append(identify(client, user_id, ask_slack=ask_slack) if user_id else None)
            return found[0]

        context["identify_viewer"] = identify_viewer
        next()

    return provide_identification


def register(app: App, deps: BotDeps) -> None:
    app.use(provide_dependencies(deps))
    app.use(skip_bot_messages)
    app.use(make_event_deduplication(deps))
    app.use(make_identification(deps))
