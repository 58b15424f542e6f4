"""The Home tab's *More challenges* / *Newer* buttons: publish the requested page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.deps import BotDeps
from bot.listeners.events.app_home_opened import publish_home


def make_home_page_action(deps: BotDeps) -> Callable[..., None]:
    def home_page_turned(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        page = int(action["value"]) if str(action.get("value", "")).isdigit() else 0
        publish_home(deps, client, body["user"]["id"], context.get("viewer"), page)

    return home_page_turned
