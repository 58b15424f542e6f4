"""Slack listeners, one small file per callback; each package's `register` wires its own."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import BotDeps
from bot.listeners import actions, commands, events, views


def register_listeners(app: App, deps: BotDeps) -> None:
    events.register(app, deps)
    commands.register(app, deps)
    actions.register(app, deps)
    views.register(app, deps)
