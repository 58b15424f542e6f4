"""Events API: the Home tab, mentions and direct messages."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners.events.app_home_opened import app_home_opened
from bot.listeners.events.questions import is_direct_message, question
from bot.middleware import is_follow_up


def register(app: App) -> None:
    app.event("app_home_opened")(app_home_opened)
    app.event("app_mention")(question)
    app.event("message", matchers=[is_direct_message])(question)
    app.event("message", matchers=[is_follow_up])(question)
    # Other message events (edits, channel chatter the bot may see) are acknowledged and left.
    app.event("message")(lambda: None)
