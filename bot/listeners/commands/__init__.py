"""Slash commands: /challenge, /digest, /solvers."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import BotDeps
from bot.listeners.commands.challenge import make_challenge_command
from bot.listeners.commands.digest import make_digest_command
from bot.listeners.commands.solvers import make_solvers_command


def register(app: App, deps: BotDeps) -> None:
    app.command("/challenge")(make_challenge_command(deps))
    app.command("/digest")(make_digest_command(deps))
    app.command("/solvers")(make_solvers_command(deps))
