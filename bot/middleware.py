"""Cross-cutting rules run on every request before a listener sees it.

Order matters: the bot's dependencies go into Bolt's context first (listeners take them by
name: ``settings``, ``engine``, ``llm``, ``open_search``), then other bots are dropped, then
Slack's retried events (before anything is looked up twice), then the Slack user is
identified once for every listener (``viewer``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import BotDeps
from bot.services.identity import identify_slack_user
from bot.services.slack_events import first_delivery

log = logging.getLogger(__name__)

Next = Callable[[], None]
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


def make_event_deduplication(deps: BotDeps) -> Callable[..., BoltResponse | None]:
    def skip_repeated_deliveries(body: dict[str, Any], next: Next) -> BoltResponse | None:
        key = delivery_key(body)
        if key is not None and not first_delivery(engine=deps.engine, event_id=key):
            log.info("%s was already handled; skipping the repeat", key)
            return BoltResponse(status=200, body="")
        next()
        return None

    return skip_repeated_deliveries


def _profile_email(client: WebClient, user_id: str) -> Callable[[], str | None]:
    def fetch() -> str | None:
        try:
            response = client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            return None
        profile = (response.get("user") or {}).get("profile") or {}
        email = profile.get("email")
        return email if isinstance(email, str) and email else None

    return fetch


def make_identification(deps: BotDeps) -> Callable[..., None]:
    unknown_until: dict[str, float] = {}
    lock = threading.Lock()

    def identify_person(context: BoltContext, client: WebClient, next: Next) -> None:
        """Put the Viewer (or None for a stranger) in ``context["viewer"]`` for the listeners."""
        user_id = context.user_id
        context["viewer"] = None
        if user_id:
            with lock:
                stranger = unknown_until.get(user_id, 0.0) > time.monotonic()
            if not stranger:
                viewer = identify_slack_user(
                    engine=deps.engine,
                    slack_user_id=user_id,
                    profile_email=_profile_email(client, user_id),
                )
                context["viewer"] = viewer
                if viewer is None:
                    with lock:
                        unknown_until[user_id] = time.monotonic() + UNKNOWN_USER_TTL
        next()

    return identify_person


def register(app: App, deps: BotDeps) -> None:
    app.use(provide_dependencies(deps))
    app.use(skip_bot_messages)
    app.use(make_event_deduplication(deps))
    app.use(make_identification(deps))
