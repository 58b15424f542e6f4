"""Slack listeners: plain functions, one small file per callback, taking what they need by name
(Bolt injects the payload, and bot.middleware puts the bot's dependencies in the context)."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, assistant, commands, events, views


def register_listeners(app: App) -> None:
    assistant.register(app)
    events.register(app)
    commands.register(app)
    actions.register(app)
    views.register(app)
