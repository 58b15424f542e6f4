"""Events API: the Home tab, mentions and direct messages."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.deps import BotDeps
from bot.listeners.events.app_home_opened import make_app_home_opened
from bot.listeners.events.questions import (
    is_direct_message,
    is_follow_up,
    make_question_listener,
)


def register(app: App, deps: BotDeps) -> None:
    app.event("app_home_opened")(make_app_home_opened(deps))
    app.event("app_mention")(make_question_listener(deps))

    def direct(event: dict[str, Any]) -> bool:
        return is_direct_message(event)

    app.event("message", matchers=[direct])(make_question_listener(deps))

    def follow_up(event: dict[str, Any]) -> bool:
        return is_follow_up(deps, event)

    app.event("message", matchers=[follow_up])(make_question_listener(deps))
    # Other message events (edits, channel chatter the bot may see) are acknowledged and left.
    app.event("message")(lambda: None)
