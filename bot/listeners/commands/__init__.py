"""Slash commands: /challenge, /digest, /profile, /solvers."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners.commands.challenge import challenge_command
from bot.listeners.commands.digest import digest_command
from bot.listeners.commands.profile import profile_command
from bot.listeners.commands.solvers import solvers_command


def register(app: App) -> None:
    app.command("/challenge")(challenge_command)
    app.command("/digest")(digest_command)
    app.command("/profile")(profile_command)
    app.command("/solvers")(solvers_command)
